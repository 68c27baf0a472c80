"""Run one moshi-paced server (STT, TTS or LLM) in this process.

python -m benchmarks.moshi_paced stt --port-file stt.port
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable
from pathlib import Path

from benchmarks.fixed_latency.__main__ import recorded_voice, serve_app, serve_speech
from benchmarks.fixed_latency.common import Trace
from benchmarks.moshi_paced.llm import PacedLlm
from benchmarks.moshi_paced.stt import PacedStt
from benchmarks.moshi_paced.tts import PacedTts

KINDS = ("stt", "tts", "llm")


async def run_server(kind: str, on_ready: Callable[[int], None]) -> None:
    if kind == "stt":
        await serve_speech("/api/asr-streaming", PacedStt().serve_stream, Trace(), on_ready)
    elif kind == "tts":
        tts = PacedTts(recorded_voice())
        await serve_speech("/api/tts_streaming", tts.serve_stream, Trace(), on_ready)
    else:
        await serve_app(PacedLlm().app(), on_ready)


def main() -> None:
    parser = argparse.ArgumentParser(description="A moshi-paced speech or LLM server.")
    parser.add_argument("kind", choices=KINDS)
    parser.add_argument("--port-file", type=Path, required=True)
    args = parser.parse_args()
    port_file: Path = args.port_file

    def write_port(port: int) -> None:
        port_file.write_text(str(port))

    asyncio.run(run_server(args.kind, write_port))


if __name__ == "__main__":
    main()
