"""What the backend's OpenAI route refuses, over real sockets: a wrong API key when the
operator set keys, and client events it cannot serve, each refusal naming the event while
the conversation goes on."""

from __future__ import annotations

import json

import pytest
from openai import AsyncOpenAI
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus
from websockets.typing import Subprotocol

from tests.integration.openai_client import OpenAiClient
from tests.integration.openai_stack import stack

pytestmark = pytest.mark.integration


async def test_keys_are_checked_when_the_operator_sets_them() -> None:
    async with stack([], [], openai_api_keys="key-one, key-two") as (address, _, _):
        async with OpenAiClient(address, api_key="key-two", audio=False) as client:
            await client.wait_count("session.created", 1, timeout=5)
        sdk = AsyncOpenAI(api_key="wrong", base_url=f"http://{address}/openai/v1")
        with pytest.raises(InvalidStatus) as refused:
            async with sdk.realtime.connect(model="m"):
                pass
        assert refused.value.response.status_code == 401
        assert json.loads(refused.value.response.body)["error"]["code"] == "invalid_api_key"
        # A browser sends the key as a subprotocol, under the proxy's /api prefix too.
        protocols = [Subprotocol("realtime"), Subprotocol("openai-insecure-api-key.key-one")]
        async with connect(
            f"ws://{address}/api/openai/v1/realtime?model=m", subprotocols=protocols
        ) as browser:
            assert browser.subprotocol == "realtime"
            assert json.loads(await browser.recv())["type"] == "session.created"


async def test_refusals_name_the_event_and_the_conversation_goes_on() -> None:
    async with (
        stack([], ["Fine, thanks."]) as (address, _, _),
        OpenAiClient(address, audio=False) as client,
    ):
        await client.wait_count("session.created", 1, timeout=5)
        await client.send({"type": "input_audio_buffer.commit", "event_id": "ev_commit"})
        await client.send({"type": "response.cancel", "event_id": "ev_cancel"})
        await client.send({"type": "conversation.item.delete", "item_id": "item_nope"})
        await client.send_raw('{"type": "response.audio.delta", "event_id": "ev_beta"}')
        await client.send({"type": "response.create", "response": {"output_modalities": ["text"]}})
        await client.send({"type": "response.create", "event_id": "ev_twice"})
        await client.wait_count("response.done", 1, timeout=10)
        errors = {e.error.event_id: e.error for e in client.of_type("error")}
        assert errors["ev_commit"].code == "input_audio_buffer_commit_empty"
        assert errors["ev_cancel"].code == "response_cancel_not_active"
        assert errors["ev_beta"].code == "invalid_event" and errors["ev_beta"].param == "type"
        assert errors["ev_twice"].code == "conversation_already_has_active_response"
        assert {e.type for e in errors.values()} == {"invalid_request_error"}
        not_found = [e.error for e in client.of_type("error") if e.error.code == "item_not_found"]
        assert not_found and not_found[0].param == "item_id"
        assert client.of_type("response.done")[0].response.status == "completed"
