"""Fuzzing the OpenAI route (`/openai/v1/realtime`): 2 000 malformed or hostile client
events, in batches of 100 per connection. The server never crashes, answers every bad
event with an OpenAI-shaped `error` (validated by the `openai` SDK's models), keeps the
connection usable, loses nothing the client had added, and leaks no session."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.asyncio.client import connect

from backend.openai_realtime.wire import CLIENT_EVENTS
from tests.fuzz.background_stack import BackgroundStack
from tests.integration.openai_client import SERVER_EVENTS

BATCH = 100
EXAMPLES = 20  # × BATCH = 2 000 events
KEPT_ITEM = {
    "type": "message",
    "id": "item_keepthisoneintact00",
    "role": "user",
    "content": [{"type": "input_text", "text": "remember me"}],
}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=50),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=20,
)
item_shapes = st.fixed_dictionaries(
    {"type": st.sampled_from(["message", "function_call", "function_call_output", "mcp_call"])},
    optional={
        "role": st.sampled_from(["user", "assistant", "system", "tool"]) | json_values,
        "content": st.lists(
            st.fixed_dictionaries(
                {"type": st.sampled_from(["input_text", "input_audio", "output_text", "x"])},
                optional={"text": json_values, "audio": json_values},
            ),
            max_size=3,
        ),
        "call_id": json_values,
        "output": json_values,
        "name": json_values,
        "arguments": json_values,
        "id": st.text(max_size=30),
    },
)
session_shapes = st.fixed_dictionaries(
    {"type": st.sampled_from(["realtime", "transcription"]) | json_values},
    optional={
        "instructions": json_values,
        "output_modalities": st.lists(st.sampled_from(["audio", "text", "video"]), max_size=3),
        "audio": st.fixed_dictionaries(
            {},
            optional={
                "input": st.fixed_dictionaries(
                    {},
                    optional={
                        "format": st.fixed_dictionaries(
                            {"type": st.sampled_from(["audio/pcm", "audio/pcmu", "x"])},
                            optional={"rate": st.integers(0, 100_000)},
                        ),
                        "turn_detection": st.none()
                        | st.fixed_dictionaries(
                            {"type": st.sampled_from(["server_vad", "semantic_vad", "x"])},
                            optional={"create_response": json_values},
                        ),
                    },
                ),
                "output": json_values,
            },
        ),
        "tools": st.lists(json_values, max_size=3),
        "tool_choice": json_values,
    },
)

hostile_events: st.SearchStrategy[str | bytes] = st.one_of(
    st.binary(max_size=300),  # binary frames
    st.text(max_size=300),  # not JSON, or JSON of the wrong shape
    json_values.map(json.dumps),
    st.fixed_dictionaries(
        {"type": st.sampled_from(sorted(CLIENT_EVENTS)) | st.text(max_size=30)},
        optional={
            "event_id": json_values,
            "session": session_shapes | json_values,
            "item": item_shapes | json_values,
            "item_id": st.text(max_size=30) | json_values,
            "previous_item_id": st.text(max_size=30) | json_values,
            "content_index": json_values,
            "audio_end_ms": st.integers(-10, 10**9) | json_values,
            "audio": st.binary(max_size=301).map(lambda b: base64.b64encode(b).decode())
            | json_values,
            "response": json_values,
        },
    ).map(json.dumps),
    st.just(json.dumps({"type": "input_audio_buffer.append", "audio": "A" * 1_500_000})),
    st.just(json.dumps({"type": "input_audio_buffer.commit"})),
    st.just(json.dumps({"type": "response.cancel"})),
)


@pytest.fixture(scope="module")
def backend() -> Iterator[BackgroundStack]:
    with BackgroundStack() as stack:
        yield stack


async def _send_batch(address: str, batch: list[str | bytes]) -> list[Any]:
    url = f"ws://{address}/openai/v1/realtime?model=fuzz"
    async with connect(url, max_size=None, max_queue=None) as ws:
        await ws.send(json.dumps({"type": "conversation.item.create", "item": KEPT_ITEM}))
        for message in batch:
            await ws.send(message)
        # Nothing was lost, and the connection is still usable.
        retrieve = {"type": "conversation.item.retrieve", "item_id": KEPT_ITEM["id"]}
        await ws.send(json.dumps(retrieve))
        received: list[Any] = []
        async with asyncio.timeout(20):
            while True:
                event = SERVER_EVENTS.validate_json(await ws.recv())
                received.append(event)
                if event.type == "conversation.item.retrieved":
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
@given(batch=st.lists(hostile_events, min_size=BATCH, max_size=BATCH))
def test_hostile_events_are_refused_and_nothing_is_lost(
    backend: BackgroundStack, batch: list[str | bytes]
) -> None:
    received = asyncio.run(_send_batch(backend.address, batch))
    errors = [e for e in received if e.type == "error"]
    assert errors, "a batch of hostile events is refused somewhere"
    assert all(e.error.type in ("invalid_request_error", "server_error") for e in errors), errors
    assert all(e.error.message for e in errors), "every refusal says why"
    kept = received[-1].item
    assert kept.id == KEPT_ITEM["id"]
    assert kept.content[0].text == "remember me"
    assert backend.sessions_left() == 0, "the session let its seat go"
