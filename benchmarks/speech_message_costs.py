"""CPU cost of reading and writing one moshi message, on the path each side really takes.

The backend reads a `Step` per 80 ms of the user's audio and a TTS `Audio` frame per
80 ms of the bot's; the CPU STT reads the user's `Audio` and writes a `Step`, the CPU TTS
writes `Audio`. Best of several repeats, in microseconds per message.

    python -m benchmarks.speech_message_costs
"""

from __future__ import annotations

import timeit
from collections.abc import Callable

import numpy as np

from backend.speech_protocol import stt_messages, tts_messages
from backend.speech_protocol.codec import Audio, encode
from backend.speech_protocol.constants import FRAME_SAMPLES
from backend.speech_protocol.stt_messages import Step
from backend.speech_protocol.tts_messages import Text
from embedded.stt.protocol import parse_client_frame

REPEATS = 7


def best_us(call: Callable[[], object], number: int) -> float:
    return min(timeit.repeat(call, number=number, repeat=REPEATS)) / number * 1e6


def measure() -> list[tuple[str, float]]:
    pcm = np.random.default_rng(0).uniform(-1, 1, FRAME_SAMPLES).astype(np.float32)
    step = encode(Step(42, (0.125, 0.25, 0.5, 0.75), 0))
    audio = encode(Audio(pcm))
    text = encode(Text("hello"))
    return [
        ("backend reads a Step", best_us(lambda: stt_messages.server_messages.decode(step), 20000)),
        (
            "backend reads a TTS Audio (1920 samples)",
            best_us(lambda: tts_messages.server_messages.decode(audio), 5000),
        ),
        ("CPU STT reads an Audio (1920 samples)", best_us(lambda: parse_client_frame(audio), 2000)),
        (
            "CPU STT writes a Step",
            best_us(lambda: encode(Step(42, (0.125, 0.25, 0.5, 0.75), 0)), 20000),
        ),
        ("CPU TTS writes an Audio (1920 samples)", best_us(lambda: encode(Audio(pcm)), 2000)),
        ("CPU TTS reads a Text", best_us(lambda: tts_messages.client_messages.decode(text), 20000)),
    ]


def main() -> None:
    for what, us in measure():
        print(f"{what:<42} {us:8.2f} µs")


if __name__ == "__main__":
    main()
