"""Golden msgpack vectors of moshi-server's STT and TTS messages (protocols.md §2, §3).

One example of each message type, with the fields and msgpack types the protocol
document lists, packed the way it says (one map per frame, `type` first, floats as
float32, strings as str). They are packed here with the msgpack library, not with the
project's own encoder, so that the tests compare that encoder, and both sides' decoders,
against the document rather than against themselves. Sample values are exact in float32.

Regenerate the files after changing an example:

    .venv/bin/python -m tests.golden.moshi.vectors
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import msgpack

FOLDER = Path(__file__).parent
FRAME_SAMPLES = 1920  # the protocol's 80 ms frame: every TTS `Audio` holds one


def _ramp(samples: int) -> list[float]:
    """Distinct samples in [-1, 1), each exact in float32."""
    return [(index % 256) / 128.0 - 1.0 for index in range(samples)]


@dataclass(frozen=True)
class Vector:
    protocol: Literal["stt", "tts"]
    sender: Literal["client", "server"]
    message: dict[str, Any]

    @property
    def name(self) -> str:
        suffix = "_empty" if self.message.get("text") == "" else ""
        return f"{self.sender}_{self.message['type']}{suffix}"

    @property
    def path(self) -> Path:
        return FOLDER / self.protocol / f"{self.name}.msgpack"

    def packed(self) -> bytes:
        data: bytes = msgpack.packb(self.message, use_bin_type=True, use_single_float=True)
        return data


VECTORS = (
    # asr-streaming, client → server
    Vector("stt", "client", {"type": "Audio", "pcm": [0.0, 0.5, -0.5, 1.0, -1.0, 0.25]}),
    Vector("stt", "client", {"type": "Marker", "id": 7}),
    # asr-streaming, server → client
    Vector("stt", "server", {"type": "Ready"}),
    Vector("stt", "server", {"type": "Error", "message": "no free channels"}),
    Vector("stt", "server", {"type": "Word", "text": "hello", "start_time": 1.5}),
    Vector("stt", "server", {"type": "EndWord", "stop_time": 1.875}),
    Vector(
        "stt",
        "server",
        {"type": "Step", "step_idx": 12, "prs": [0.125, 0.25, 0.5, 0.75], "buffered_pcm": 960},
    ),
    Vector("stt", "server", {"type": "Marker", "id": 7}),
    # tts_streaming, client → server (`Voice` comes from the voice cloning service as is)
    Vector("tts", "client", {"type": "Text", "text": "hello"}),
    Vector("tts", "client", {"type": "Voice", "embeddings": b"\x00\x01\x02\x03", "shape": [1, 4]}),
    Vector("tts", "client", {"type": "Eos"}),
    # tts_streaming, server → client
    Vector("tts", "server", {"type": "Ready"}),
    Vector("tts", "server", {"type": "Error", "message": "no free channels"}),
    Vector("tts", "server", {"type": "Audio", "pcm": _ramp(FRAME_SAMPLES)}),
    Vector("tts", "server", {"type": "Text", "text": "hello", "start_s": 0.5, "stop_s": 0.875}),
    Vector("tts", "server", {"type": "Text", "text": "", "start_s": 0.0, "stop_s": 0.0}),
)


def vector(protocol: str, name: str) -> Vector:
    """The vector `name` (e.g. "server_Step") of `protocol`."""
    return next(v for v in VECTORS if v.protocol == protocol and v.name == name)


def main() -> None:
    for each in VECTORS:
        each.path.parent.mkdir(exist_ok=True)
        each.path.write_bytes(each.packed())
        print(f"wrote {each.path.relative_to(FOLDER)} ({len(each.packed())} bytes)")


if __name__ == "__main__":
    main()
