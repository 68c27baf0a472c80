"""Fuzzing `/v1/realtime`: 10 000 malformed or hostile client messages, in batches of 100
per connection. The server never crashes, answers every bad message with a clear
`invalid_request_error`, keeps the connection usable, and leaks no session."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.asyncio.client import connect

from backend.audio.ogg import OpusOutputEncoder
from backend.realtime import events as ev
from tests.fuzz.background_stack import BackgroundStack

BATCH = 100
EXAMPLES = 100  # × BATCH = 10 000 messages

CLIENT_TYPES = [
    "session.update",
    "input_audio_buffer.append",
    "unmute.input_audio_buffer.append_anonymized",
]


def _valid_ogg_pages() -> list[bytes]:
    encoder = OpusOutputEncoder()
    data = encoder.encode(np.sin(np.arange(24_000) / 7).astype(np.float32) * 0.3) + encoder.flush()
    pages, offset = [], 0
    while offset < len(data):
        n_segments = data[offset + 26]
        size = 27 + n_segments + sum(data[offset + 27 : offset + 27 + n_segments])
        pages.append(data[offset : offset + size])
        offset += size
    return pages


PAGES = _valid_ogg_pages()

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=50),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=20,
)


@st.composite
def corrupted_ogg(draw: st.DrawFn) -> bytes:
    page = bytearray(draw(st.sampled_from(PAGES)))
    for _ in range(draw(st.integers(1, 4))):
        page[draw(st.integers(0, len(page) - 1))] = draw(st.integers(0, 255))
    cut = draw(st.integers(1, len(page)))
    return bytes(page[:cut])


def audio_append(payload: st.SearchStrategy[bytes]) -> st.SearchStrategy[str]:
    return payload.map(
        lambda data: json.dumps(
            {"type": "input_audio_buffer.append", "audio": base64.b64encode(data).decode()}
        )
    )


# Histories offered to resume a conversation: wrong roles (a system prompt), wrong shapes,
# unknown fields; the valid ones among them are taken only at a session's start.
prior_turns = st.fixed_dictionaries(
    {
        "role": st.sampled_from(["user", "assistant", "system", "tool"]) | json_values,
        "content": st.text(max_size=50) | json_values,
    },
    optional={"name": json_values},
)


def session_with_history(history: object) -> str:
    return json.dumps({"type": "session.update", "session": {"voice": "v", "history": history}})


hostile_messages: st.SearchStrategy[str | bytes] = st.one_of(
    st.binary(max_size=300),  # binary frames
    st.text(max_size=300),  # not JSON, or JSON of the wrong shape
    json_values.map(json.dumps),
    st.fixed_dictionaries(
        {"type": st.sampled_from(CLIENT_TYPES) | st.text(max_size=30)},
        optional={
            "session": json_values,
            "audio": json_values,
            "number_of_samples": json_values,
            "event_id": json_values,
        },
    ).map(json.dumps),
    audio_append(st.binary(max_size=400)),  # random bytes as audio
    audio_append(corrupted_ogg()),  # Ogg pages damaged in place
    audio_append(st.binary(max_size=200).map(lambda b: b"OggS" + b)),
    st.just(json.dumps({"type": "input_audio_buffer.append", "audio": "A" * 1_500_000})),  # giant
    st.just("{}" * 1),  # the smallest frames, by the dozen in a batch
    st.lists(prior_turns, max_size=5).map(session_with_history),
    json_values.map(session_with_history),
    st.just(session_with_history([{"role": "user", "content": "x" * 60_000}] * 2)),  # too long
)


def _is_error(message: str) -> bool:
    event = ev.server_event_adapter.validate_json(message)
    return event.type == "error"


@pytest.fixture(scope="module")
def backend() -> Iterator[BackgroundStack]:
    with BackgroundStack() as stack:
        yield stack


async def _send_batch(address: str, batch: list[str | bytes]) -> list[Any]:
    # max_queue=None: events we do not read must not stall the closing handshake.
    async with connect(f"ws://{address}/v1/realtime", max_size=None, max_queue=None) as ws:
        for message in batch:
            await ws.send(message)
        # The connection is still usable: a valid session.update is answered.
        await ws.send(json.dumps({"type": "session.update", "session": {"voice": "v"}}))
        received: list[Any] = []
        async with asyncio.timeout(20):
            while True:
                event = ev.server_event_adapter.validate_json(await ws.recv())
                received.append(event)
                if event.type == "session.updated":
                    return received


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(batch=st.lists(hostile_messages, min_size=BATCH, max_size=BATCH))
def test_hostile_messages_are_refused_and_nothing_leaks(
    backend: BackgroundStack, batch: list[str | bytes]
) -> None:
    received = asyncio.run(_send_batch(backend.address, batch))
    errors = [e for e in received if e.type == "error"]
    assert all(e.error.type in ("invalid_request_error", "warning") for e in errors), errors
    assert all(e.error.message for e in errors), "every refusal says why"
    assert received[-1].type == "session.updated"
    assert backend.sessions_left() == 0, "the session let its seat go"
