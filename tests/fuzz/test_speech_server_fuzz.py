"""Fuzzing the CPU STT and TTS servers (real `unmute-ops serve` processes): 10 000 hostile
frames each, 100 per stream. The server survives, tells the sender what was wrong, and
every slot comes back once the stream is gone."""

from __future__ import annotations

import asyncio
import contextlib
import math
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import msgpack
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.integration.backend_server import free_port

UNMUTE_OPS = str(Path(sys.executable).with_name("unmute-ops"))
BATCH = 100
EXAMPLES = 100  # × BATCH = 10 000 frames per server
SLOT_RETURN_GUARD_S = 10.0  # far longer than a stream takes to end once its client left
ERROR_GUARD_S = 30.0  # far longer than a server takes to answer a bad frame, even when busy
LATE_ERRORS_S = 3.0  # how long errors nobody is sure to get are collected for
PATHS = {"stt": "/api/asr-streaming", "tts": "/api/tts_streaming?format=PcmMessagePack&voice=x"}
# Each server under test: its kind, and the options of its engine.
SERVERS = {
    "stt": ("stt", []),
    "stt-whisper": ("stt", ["--engine", "whisper"]),
    "tts": ("tts", []),
    "tts-piper": ("tts", ["--engine", "piper"]),
}


def pack(value: object) -> bytes:
    return msgpack.packb(value, use_bin_type=True)  # type: ignore[no-any-return]


msgpack_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.floats()
    | st.text(max_size=30)
    | st.binary(max_size=30),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=15,
)
floats = st.floats(width=32)  # NaN and infinities included
message_types = st.sampled_from(
    ["Audio", "Marker", "Text", "Eos", "Voice", "Ready", "Word"]
) | st.text(max_size=10)

hostile_frames: st.SearchStrategy[bytes | str] = st.one_of(
    st.binary(max_size=200),  # not msgpack at all
    msgpack_values.map(pack),  # msgpack of the wrong shape
    st.builds(
        lambda t, extra: pack({"type": t, **extra}),
        message_types,
        st.dictionaries(
            st.sampled_from(["pcm", "id", "text", "embeddings", "shape"]),
            msgpack_values,
            max_size=3,
        ),
    ),
    st.lists(floats, max_size=3000).map(lambda pcm: pack({"type": "Audio", "pcm": pcm})),
    st.builds(
        lambda n: pack({"type": "Audio", "pcm": [0.0] * n}), st.integers(0, 200_000)
    ),  # giant
    st.text(max_size=50).map(lambda t: pack({"type": "Text", "text": t})),
    st.binary(min_size=1, max_size=60).map(
        lambda b: pack({"type": "Audio", "pcm": [1.0]})[: len(b) % 9]
    ),
    st.text(max_size=100),  # a text frame where binary is expected
    st.just(pack({"type": "Audio", "pcm": [math.inf, -math.inf, math.nan]})),
)


def _typed_map(frame: bytes | str) -> bool:
    if isinstance(frame, str):
        return False
    try:
        message = msgpack.unpackb(frame)
    except Exception:
        return False
    return isinstance(message, dict) and isinstance(message.get("type"), str)


@contextlib.contextmanager
def server(kind: str, options: list[str]) -> Iterator[int]:
    port = free_port()
    process = subprocess.Popen(
        [UNMUTE_OPS, "serve", kind, "--port", str(port), "--slots", "2", *options],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None
            with contextlib.suppress(httpx.HTTPError):
                if (
                    httpx.get(f"http://127.0.0.1:{port}/api/build_info", timeout=1).status_code
                    == 200
                ):
                    break
            assert time.monotonic() < deadline
            time.sleep(0.2)
        yield port
        assert process.poll() is None, f"the {kind} server crashed"
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="module", params=list(SERVERS))
def speech_server(request: pytest.FixtureRequest) -> Iterator[tuple[str, int]]:
    kind, options = SERVERS[request.param]
    with server(kind, options) as port:
        yield kind, port


def slots_in_use(kind: str, port: int) -> float:
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text
    line = next(li for li in text.splitlines() if li.startswith(f"unmute_{kind}_slots_in_use"))
    return float(line.split()[-1])


def slots_left(kind: str, port: int) -> float:
    """Slots still taken once every client has left: a stream gets a moment to end (up to
    a guard), a leaked one stays counted."""
    deadline = time.monotonic() + SLOT_RETURN_GUARD_S
    while (taken := slots_in_use(kind, port)) and time.monotonic() < deadline:
        time.sleep(0.02)
    return taken


async def _fuzz_stream(
    kind: str, port: int, frames: list[bytes | str], *, expect_error: bool
) -> list[dict[str, object]]:
    """Send the frames on one stream; return the server's `Error` messages. Waits for the
    first one when `expect_error`, however busy the server is."""
    errors: list[dict[str, object]] = []
    url = f"ws://127.0.0.1:{port}{PATHS[kind]}"
    async with connect(
        url, additional_headers={"kyutai-api-key": "public_token"}, max_size=None, max_queue=None
    ) as ws:
        assert msgpack.unpackb(await ws.recv())["type"] == "Ready"

        async def drain() -> None:
            with contextlib.suppress(ConnectionClosed):
                async for frame in ws:
                    message = msgpack.unpackb(frame) if isinstance(frame, bytes) else {}
                    if isinstance(message, dict) and message.get("type") == "Error":
                        errors.append(message)

        reader = asyncio.create_task(drain())
        with contextlib.suppress(ConnectionClosed):
            for frame in frames:
                await ws.send(frame)
        deadline = time.monotonic() + (ERROR_GUARD_S if expect_error else LATE_ERRORS_S)
        while not errors and not reader.done() and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        reader.cancel()
        await asyncio.gather(reader, return_exceptions=True)
    return errors


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(frames=st.lists(hostile_frames, min_size=BATCH, max_size=BATCH))
def test_hostile_frames(speech_server: tuple[str, int], frames: list[bytes | str]) -> None:
    kind, port = speech_server
    # Later garbage may follow an Eos that ended the stream: only a bad first frame is
    # sure to be answered.
    expect_error = not _typed_map(frames[0])
    errors = asyncio.run(_fuzz_stream(kind, port, frames, expect_error=expect_error))
    if expect_error:
        assert errors, "the sender is told what was wrong"
    assert all(isinstance(e.get("message"), str) and e["message"] for e in errors)
    # The server is alive and has room for the next stream.
    assert httpx.get(f"http://127.0.0.1:{port}/api/build_info", timeout=5).status_code == 200
    assert slots_left(kind, port) == 0, "the stream gave its slot back"
