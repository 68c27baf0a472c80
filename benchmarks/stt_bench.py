"""Measurements of the embedded STT server over real sockets.

    .venv/bin/python -m benchmarks.stt_bench [--streams 1,2,4,6,8] [--skip-capacity]

1. Accuracy: word error rate over every sentence of `tests.speech_clips` (flite `kal16`),
   and the recognition real-time factor (recogniser CPU seconds per audio second).
2. End of turn, as Unmute's backend sees it: each sentence streamed in real time, then
   silence until the smoothed `prs[2]` exceeds 0.6, then the flush (0.58 s of zeros at
   once). Reports the delay from the end of speech to the end of turn and to the last Word.
3. Capacity of one core: the server pinned to one CPU (`taskset`), N streams speaking in
   real time at once; a load is sustained while the recognisers keep up (the marker sent
   after the last audio comes back within 0.5 s) and Steps are not held up.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from dataclasses import dataclass, field
from typing import Any

import msgpack
import numpy as np
import numpy.typing as npt
import websockets
from websockets.asyncio.client import ClientConnection

from benchmarks.speech_server_process import KEY, metric, start_speech_server, stop_server
from tests.speech_clips import SAMPLE_RATE, SENTENCES, silence, speak, word_error_rate

FRAME = 1920
FRAME_S = FRAME / SAMPLE_RATE
FLUSH = silence(0.5 + FRAME_S)
CHUNK = 960  # 40 ms pieces, like a backend relaying browser audio
KEEPING_UP_S = 0.5  # a marker back later than this after the last audio: falling behind


@dataclass
class Stream:
    ws: ClientConnection
    received: list[tuple[float, dict[str, Any]]] = field(default_factory=list)
    event: asyncio.Event = field(default_factory=asyncio.Event)

    async def collect(self) -> None:
        try:
            async for frame in self.ws:
                self.received.append((time.monotonic(), msgpack.unpackb(frame)))
                self.event.set()
        except websockets.ConnectionClosed:
            pass

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send(msgpack.packb(message, use_bin_type=True, use_single_float=True))

    async def audio(self, pcm: npt.NDArray[np.float32], chunk: int = 24_000) -> None:
        for start in range(0, len(pcm), chunk):
            await self.send({"type": "Audio", "pcm": pcm[start : start + chunk].tolist()})

    async def realtime(self, pcm: npt.NDArray[np.float32]) -> float:
        """Send `pcm` at the pace it is spoken; returns when it started."""
        started = time.monotonic()
        for start in range(0, len(pcm), CHUNK):
            await self.send({"type": "Audio", "pcm": pcm[start : start + CHUNK].tolist()})
            await asyncio.sleep(
                max(0.0, started + (start + CHUNK) / SAMPLE_RATE - time.monotonic())
            )
        return started

    async def wait(self, kind: str, **fields: Any) -> float:
        """When the first such message arrived."""
        async with asyncio.timeout(120):
            while True:
                for at, message in self.received:
                    if message["type"] == kind and all(
                        message.get(k) == v for k, v in fields.items()
                    ):
                        return at
                self.event.clear()
                await self.event.wait()

    def of(self, kind: str) -> list[tuple[float, dict[str, Any]]]:
        return [(at, m) for at, m in self.received if m["type"] == kind]


class Connected:
    def __init__(self, address: str) -> None:
        self.address = address

    async def __aenter__(self) -> Stream:
        ws = await websockets.connect(
            f"ws://{self.address}/api/asr-streaming",
            additional_headers={"kyutai-api-key": KEY},
            max_size=None,
        )
        self.stream = Stream(ws)
        self.collector = asyncio.create_task(self.stream.collect())
        await self.stream.wait("Ready")
        return self.stream

    async def __aexit__(self, *_: object) -> None:
        await self.stream.ws.close()
        await self.collector


def speech_end_s(pcm: npt.NDArray[np.float32]) -> float:
    blocks = pcm[: len(pcm) // 240 * 240].reshape(-1, 240)
    loud = np.nonzero(np.sqrt((blocks**2).mean(axis=1)) > 0.01)[0]
    return float((loud[-1] + 1) * 0.01)


async def accuracy(address: str) -> None:
    audio_before = metric(address, "unmute_stt_audio_seconds_total")
    cpu_before = metric(address, "unmute_stt_recognition_cpu_seconds_total")
    hypotheses = []
    for index, sentence in enumerate(SENTENCES):
        async with Connected(address) as stream:
            await stream.audio(np.concatenate([speak(sentence), silence(0.5)]))
            await stream.send({"type": "Marker", "id": index})
            await stream.wait("Marker", id=index)
            hypotheses.append(" ".join(m["text"] for _, m in stream.of("Word")))
    wer = word_error_rate(list(SENTENCES), hypotheses)
    words = sum(len(s.split()) for s in SENTENCES)
    print(f"accuracy: WER {wer:.1%} over {len(SENTENCES)} sentences ({words} words)")
    for sentence, hypothesis in zip(SENTENCES, hypotheses, strict=True):
        if sentence != hypothesis:
            print(f"    {sentence!r} -> {hypothesis!r}")
    audio = metric(address, "unmute_stt_audio_seconds_total") - audio_before
    cpu = metric(address, "unmute_stt_recognition_cpu_seconds_total") - cpu_before
    print(f"recognition real-time factor: {cpu / audio:.3f} CPU s per audio s ({audio:.0f} s)")


async def end_of_turn(address: str, sentences: list[str]) -> None:
    turn_ends, last_words, after_flush, missing = [], [], [], 0
    for sentence in sentences:
        speech = speak(sentence)
        lead = silence(0.5)
        async with Connected(address) as stream:
            started = await stream.realtime(np.concatenate([lead, speech]))
            spoken_until = started + (len(lead) / SAMPLE_RATE) + speech_end_s(speech)
            value, seen = 0.0, 0
            while True:
                steps = stream.of("Step")
                for _, step in steps[seen:]:
                    if step["step_idx"] >= 12:  # the backend ignores the first second
                        value += 0.5 * (step["prs"][2] - value)
                seen = len(steps)
                if value > 0.6:
                    break
                await stream.realtime(silence(FRAME_S))
            turn_end = time.monotonic()
            await stream.audio(FLUSH, chunk=len(FLUSH))
            await stream.realtime(silence(1.0))
            words = stream.of("Word")
            if not words or words[-1][1]["text"] != sentence.split()[-1]:
                missing += 1
            if words:
                last_words.append(words[-1][0] - spoken_until)
                after_flush.append(words[-1][0] - turn_end)
            turn_ends.append(turn_end - spoken_until)
    print(f"end of turn ({len(sentences)} sentences, real time, backend smoothing):")
    print(f"    end of speech -> end of turn seen: {_summary(turn_ends)}")
    print(f"    end of speech -> last Word:        {_summary(last_words)}")
    print(f"    flush sent -> last Word:           {_summary(after_flush)} (negative: before)")
    print(f"    last word wrong or missing in {missing} of {len(sentences)}")


async def capacity(counts: list[int]) -> None:
    speech = np.concatenate([np.concatenate([speak(s), silence(0.4)]) for s in SENTENCES[:4]])
    print(f"capacity of one core ({len(speech) / SAMPLE_RATE:.1f} s of speech per stream):")
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {1})  # the clients stay off the server's core
    for count in counts:
        address, process = start_speech_server("stt", slots=count, cpu=0)
        try:
            lags, step_delays = await _capacity_round(address, speech, count)
            busy = metric(address, "unmute_stt_recognition_cpu_seconds_total")
        finally:
            stop_server(process)
        verdict = "keeps up" if max(lags) < KEEPING_UP_S else "falls behind"
        print(
            f"    {count:2d} streams: marker lag max {max(lags):.2f} s, "
            f"step delay p95 {np.percentile(step_delays, 95) * 1000:.0f} ms, "
            f"recogniser CPU {busy:.1f} s -> {verdict}"
        )


async def _capacity_round(
    address: str, speech: npt.NDArray[np.float32], count: int
) -> tuple[list[float], list[float]]:
    results = await asyncio.gather(
        *(_one_realtime_stream(address, speech, i) for i in range(count))
    )
    return [lag for lag, _ in results], [d for _, delays in results for d in delays]


async def _one_realtime_stream(
    address: str, speech: npt.NDArray[np.float32], index: int
) -> tuple[float, list[float]]:
    await asyncio.sleep(index * 0.05)  # people do not all start on the same millisecond
    async with Connected(address) as stream:
        started = await stream.realtime(speech)
        finished = time.monotonic()
        await stream.send({"type": "Marker", "id": 1})
        marker_at = await stream.wait("Marker", id=1)
        # When a frame's last sample was sent vs when its Step arrived.
        delays = [
            at - (started + (step["step_idx"] + 1) * FRAME_S) for at, step in stream.of("Step")
        ]
    return marker_at - finished, delays


def _summary(values: list[float]) -> str:
    if not values:
        return "n/a"
    return (
        f"median {statistics.median(values):.2f} s, "
        f"min {min(values):.2f} s, max {max(values):.2f} s"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--streams", default="1,2,4,6,8", help="stream counts for the capacity run")
    parser.add_argument("--skip-capacity", action="store_true")
    args = parser.parse_args()
    print(f"host: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    address, process = start_speech_server("stt", slots=2, cpu=None)
    try:
        await accuracy(address)
        await end_of_turn(address, list(SENTENCES[::3]))
    finally:
        stop_server(process)
    if not args.skip_capacity:
        await capacity([int(n) for n in args.streams.split(",")])


if __name__ == "__main__":
    asyncio.run(main())
