"""Measurements of the embedded CPU TTS server over real sockets, per engine.

    .venv/bin/python -m benchmarks.tts_bench [--engines espeak,piper] [--word-gap 0.04]
        [--streams 1,2,4] [--replies usual|plain] [--voice PATH] [--threads 1] [--parallel 1]

The server runs as its own process (`unmute-ops serve tts --engine …`), as in production.
1. Time to first audio: replies streamed one word at a time at an LLM's pace, by 1, 2 or
   4 streams at once; the delay from sending the first word to receiving the first Audio
   frame (client side), next to the server's own `unmute_tts_time_to_first_audio_seconds`;
   and how long a listener playing each frame as it comes would wait for late frames.
2. Real-time factor: whole replies sent at once, then Eos; wall time until the stream
   closes divided by the seconds of audio received (one stream, then N at once), and the
   server's per-phrase synthesis RTF (`unmute_tts_real_time_factor`).
3. Memory: the server's resident set, now and at its peak (VmHWM), after all of it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import msgpack
import websockets

from benchmarks.process_stats import sample_process
from benchmarks.speech_server_process import KEY, metric, start_speech_server, stop_server

SAMPLE_RATE = 24_000
FRAME = 1920
REPLIES = (
    "Sure! The quickest way to the station is to walk down the main street and turn left "
    "at the bakery.",
    "Hmm, that's a good question. I think the answer depends on how much time you have.",
    "Oh, I love that movie. The music is wonderful, and the ending always surprises me.",
    "Well, first you boil the water, then you add the pasta and a pinch of salt.",
    "Honestly? I would take the train. It's cheaper, and you can read on the way.",
    "Good morning! How did you sleep? I hope the storm didn't keep you awake.",
    "That sounds like a lot of work. Would you like me to help you plan the week?",
    "Paris is lovely in the spring, with flowers everywhere and long evenings.",
)
# Replies whose first punctuation comes late: the first phrase is cut by its word limit.
PLAIN_REPLIES = (
    "The quickest way to the station is to walk down the main street and turn left.",
    "That sounds like a lot of work for one week, so let us plan it together.",
    "Paris is lovely in the spring with flowers everywhere and long evenings.",
    "I think the answer depends on how much time you have this afternoon.",
    "My favourite part of the film is the music at the very end of it.",
    "You could boil the water first and then add the pasta with some salt.",
)


@dataclass
class Reply:
    first_word_sent: float
    first_audio: float | None
    eos_sent: float
    closed: float
    audio_s: float
    stall_s: float  # silence a listener playing frames as they come would hear mid-reply


def playback_stall_s(arrivals: list[float]) -> float:
    """Played from the first frame on, one frame every 80 ms: how long playback waits
    in all for frames that come late."""
    stalled = 0.0
    for index, arrival in enumerate(arrivals):
        due = arrivals[0] + index * FRAME / SAMPLE_RATE + stalled
        stalled += max(0.0, arrival - due)
    return stalled


async def speak(address: str, text: str, word_gap_s: float, voice: str) -> Reply:
    """One reply: the words (paced by `word_gap_s`, 0 for all at once), then Eos."""
    url = f"ws://{address}/api/tts_streaming?format=PcmMessagePack&voice={voice}"
    async with websockets.connect(url, additional_headers={"kyutai-api-key": KEY}) as ws:
        ready = msgpack.unpackb(await ws.recv())
        assert ready == {"type": "Ready"}, ready
        first_word_sent = time.monotonic()
        eos_sent = first_word_sent

        async def send_words() -> None:
            nonlocal eos_sent
            for word in text.split():
                await ws.send(msgpack.packb({"type": "Text", "text": word}))
                if word_gap_s:
                    await asyncio.sleep(word_gap_s)
            eos_sent = time.monotonic()
            await ws.send(msgpack.packb({"type": "Eos"}))

        sender = asyncio.create_task(send_words())
        arrivals: list[float] = []
        async for frame in ws:
            if msgpack.unpackb(frame)["type"] == "Audio":
                arrivals.append(time.monotonic())
        closed = time.monotonic()
        await sender
    return Reply(
        first_word_sent=first_word_sent,
        first_audio=arrivals[0] if arrivals else None,
        eos_sent=eos_sent,
        closed=closed,
        audio_s=len(arrivals) * FRAME / SAMPLE_RATE,
        stall_s=playback_stall_s(arrivals),
    )


def summary(values: list[float], unit: str = " ms", scale: float = 1000.0, digits: int = 1) -> str:
    scaled = sorted(v * scale for v in values)
    p90 = scaled[min(len(scaled) - 1, int(0.9 * len(scaled)))]
    parts = [("median", statistics.median(scaled)), ("p90", p90)]
    parts += [("min", scaled[0]), ("max", scaled[-1])]
    shown = ", ".join(f"{name} {value:.{digits}f}{unit}" for name, value in parts)
    return f"{shown} (n={len(scaled)})"


async def time_to_first_audio(
    address: str, texts: Sequence[str], word_gap_s: float, streams: list[int], rounds: int
) -> None:
    print(f"time to first audio, words every {word_gap_s * 1000:.0f} ms (client side):")
    for count in streams:
        latencies = []
        stalls = []
        for index in range(max(1, rounds // count)):
            replies = await asyncio.gather(
                *(
                    speak(address, texts[(index * count + n) % len(texts)], word_gap_s, f"v{n}")
                    for n in range(count)
                )
            )
            for reply in replies:
                assert reply.first_audio is not None
                latencies.append(reply.first_audio - reply.first_word_sent)
                stalls.append(reply.stall_s)
        print(f"  {count} stream(s) at once: {summary(latencies)}")
        print(f"    playback stalls per reply: {summary(stalls)}")
    observed = metric(address, "unmute_tts_time_to_first_audio_seconds_count")
    total = metric(address, "unmute_tts_time_to_first_audio_seconds_sum")
    print(f"  server side mean {total / observed * 1000:.1f} ms over {observed:.0f} streams")


async def real_time_factor(address: str, streams: list[int], rounds: int) -> None:
    print("real-time factor, whole replies at once (wall time / audio time):")
    for count in streams:
        factors = []
        for index in range(rounds):
            started = time.monotonic()
            replies = await asyncio.gather(
                *(
                    speak(address, REPLIES[(index + n) % len(REPLIES)], 0.0, f"v{n}")
                    for n in range(count)
                )
            )
            wall = time.monotonic() - started
            factors.append(wall / sum(r.audio_s for r in replies))
        shown = summary(factors, unit="", scale=1.0, digits=4)
        print(f"  {count} stream(s) at once: {shown}")
    phrases = metric(address, "unmute_tts_real_time_factor_count")
    mean = metric(address, "unmute_tts_real_time_factor_sum") / phrases
    print(f"  server synthesis only: mean {mean:.4f} over {phrases:.0f} phrases")


def memory(pid: int) -> None:
    peak_kib = next(
        int(line.split()[1])
        for line in Path(f"/proc/{pid}/status").read_text().splitlines()
        if line.startswith("VmHWM:")
    )
    resident = sample_process(pid).rss_mib
    print(f"server memory: resident {resident:.0f} MiB, peak {peak_kib / 1024:.0f} MiB")


async def bench_engine(engine: str, args: argparse.Namespace, streams: list[int]) -> None:
    options = ["--engine", engine]
    if engine == "piper":
        options += ["--threads", str(args.threads), "--parallel", str(args.parallel)]
        options += ["--voice", args.voice] if args.voice else []
    print(f"\n== {engine} ({' '.join(options)})")
    address, process = start_speech_server("tts", slots=max(streams), options=options)
    try:
        await speak(address, "Warming up.", 0.0, "warm-up")
        replies = PLAIN_REPLIES if args.replies == "plain" else REPLIES
        await time_to_first_audio(address, replies, args.word_gap, streams, args.rounds)
        await real_time_factor(address, streams, max(1, args.rounds // 4))
        memory(process.pid)
    finally:
        stop_server(process)


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--engines", default="espeak,piper", help="engines to measure")
    parser.add_argument("--word-gap", type=float, default=0.04, help="seconds between words")
    parser.add_argument("--rounds", type=int, default=16, help="replies per measurement")
    parser.add_argument("--streams", default="1,2,4", help="concurrent stream counts")
    parser.add_argument(
        "--replies",
        choices=["usual", "plain"],
        default="usual",
        help="for time to first audio: usual replies (most open with a short exclamation) "
        "or plain ones (no punctuation early)",
    )
    parser.add_argument("--voice", help="a Piper voice's .onnx (default: the packaged one)")
    parser.add_argument("--threads", type=int, default=1, help="Piper: threads per phrase")
    parser.add_argument("--parallel", type=int, default=1, help="Piper: phrases at once")
    args = parser.parse_args()
    streams = [int(n) for n in args.streams.split(",")]
    print(f"host: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    for engine in args.engines.split(","):
        await bench_engine(engine, args, streams)


if __name__ == "__main__":
    asyncio.run(main())
