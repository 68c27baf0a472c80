"""Measurements of the embedded CPU TTS server over real sockets.

    .venv/bin/python -m benchmarks.tts_bench [--word-gap 0.04] [--streams 1,2,4]

The server runs as its own process (`unmute-ops serve tts`), as in production.
1. Time to first audio: replies streamed one word at a time at an LLM's pace; the delay
   from sending the first word to receiving the first Audio frame (client side), next to
   the server's own `unmute_tts_time_to_first_audio_seconds`.
2. Real-time factor: whole replies sent at once, then Eos; wall time until the stream
   closes divided by the seconds of audio received (one stream, then N at once), and the
   server's per-phrase synthesis RTF (`unmute_tts_real_time_factor`).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from dataclasses import dataclass

import msgpack
import websockets

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


@dataclass
class Reply:
    first_word_sent: float
    first_audio: float | None
    eos_sent: float
    closed: float
    audio_s: float


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
        first_audio: float | None = None
        frames = 0
        async for frame in ws:
            if msgpack.unpackb(frame)["type"] == "Audio":
                frames += 1
                first_audio = first_audio or time.monotonic()
        closed = time.monotonic()
        await sender
    return Reply(first_word_sent, first_audio, eos_sent, closed, frames * FRAME / SAMPLE_RATE)


def summary(values: list[float], unit: str = " ms", scale: float = 1000.0, digits: int = 1) -> str:
    scaled = sorted(v * scale for v in values)
    p90 = scaled[min(len(scaled) - 1, int(0.9 * len(scaled)))]
    parts = [("median", statistics.median(scaled)), ("p90", p90)]
    parts += [("min", scaled[0]), ("max", scaled[-1])]
    shown = ", ".join(f"{name} {value:.{digits}f}{unit}" for name, value in parts)
    return f"{shown} (n={len(scaled)})"


async def time_to_first_audio(address: str, word_gap_s: float, rounds: int) -> None:
    latencies = []
    for index in range(rounds):
        reply = await speak(address, REPLIES[index % len(REPLIES)], word_gap_s, f"v{index}")
        assert reply.first_audio is not None
        latencies.append(reply.first_audio - reply.first_word_sent)
    print(f"time to first audio, words every {word_gap_s * 1000:.0f} ms (client side):")
    print(f"  {summary(latencies)}")
    count = metric(address, "unmute_tts_time_to_first_audio_seconds_count")
    total = metric(address, "unmute_tts_time_to_first_audio_seconds_sum")
    print(f"  server side mean {total / count * 1000:.1f} ms over {count:.0f} streams")


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


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--word-gap", type=float, default=0.04, help="seconds between words")
    parser.add_argument("--rounds", type=int, default=16, help="replies per measurement")
    parser.add_argument("--streams", default="1,2,4", help="concurrent stream counts")
    args = parser.parse_args()
    streams = [int(n) for n in args.streams.split(",")]
    print(f"host: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    address, process = start_speech_server("tts", slots=max(streams))
    try:
        await speak(address, "Warming up.", 0.0, "warm-up")
        await time_to_first_audio(address, args.word_gap, args.rounds)
        await real_time_factor(address, streams, max(1, args.rounds // 4))
    finally:
        stop_server(process)


if __name__ == "__main__":
    asyncio.run(main())
