"""The official `openai` SDK's realtime client holds text conversations with the backend's
OpenAI route over real sockets: a text-only conversation with the LLM's own token counts, a
function-call round trip, and an out-of-band response. Every server event is validated by
the SDK's models."""

from __future__ import annotations

import json

import pytest
from openai.types.realtime import RealtimeConversationItemFunctionCall

from tests.doubles.llm_double import ScriptedReply, ToolCallScript
from tests.integration.openai_client import OpenAiClient
from tests.integration.openai_stack import stack

pytestmark = pytest.mark.integration

WEATHER_TOOL = {
    "type": "function",
    "name": "get_weather",
    "description": "The weather in a city.",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
}


async def test_a_text_only_conversation() -> None:
    async with (
        stack([], ["Hello, nice to meet you."]) as (address, llm, tts),
        OpenAiClient(address, audio=False) as client,
    ):
        await client.send(
            {
                "type": "session.update",
                "session": {
                    "type": "realtime",
                    "output_modalities": ["text"],
                    "audio": {"input": {"turn_detection": None}},
                },
            }
        )
        await client.wait_count("session.updated", 1, timeout=5)
        updated = client.of_type("session.updated")[0].session
        assert updated.output_modalities == ["text"]
        assert updated.audio.input.turn_detection is None
        await client.send(
            {
                "type": "conversation.item.create",
                "item": {
                    "type": "message",
                    "role": "user",
                    "content": [{"type": "input_text", "text": "Hi there"}],
                },
            }
        )
        await client.send({"type": "response.create"})
        await client.wait_count("response.done", 1, timeout=10)

        done = client.of_type("response.done")[0]
        assert done.response.status == "completed"
        assert done.response.output_modalities == ["text"]
        text = "".join(d.delta for d in client.of_type("response.output_text.delta"))
        assert text == "Hello, nice to meet you."
        assert client.of_type("response.output_text.done")[0].text == text
        assert client.of_type("response.output_audio.delta") == []
        assert tts.words_received == [], "a text reply opens no TTS stream"
        # Usage is the LLM server's own count (the double counts a word as a token).
        assert llm.requests[0].body["stream_options"] == {"include_usage": True}
        prompt_words = sum(len(m["content"].split()) for m in llm.requests[0].messages)
        usage = done.response.usage
        assert (usage.input_tokens, usage.output_tokens) == (prompt_words, len(text.split()))
        assert usage.total_tokens == usage.input_tokens + usage.output_tokens

        assistant_id = done.response.output[0].id
        await client.send({"type": "conversation.item.retrieve", "item_id": assistant_id})
        await client.wait_count("conversation.item.retrieved", 1, timeout=5)
        item = client.of_type("conversation.item.retrieved")[0].item
        assert item.role == "assistant" and item.content[0].text == text
        assert llm.requests[0].messages[-1] == {"role": "user", "content": "Hi there"}
        assert client.of_type("error") == []


async def test_a_function_call_round_trip() -> None:
    call = ToolCallScript("get_weather", '{"city": "Paris"}', call_id="call_weather1")
    replies = [ScriptedReply("", tool_calls=(call,)), "It is sunny in Paris."]
    async with (
        stack([], replies) as (address, llm, _),
        OpenAiClient(address) as client,
    ):
        await client.send(
            {"type": "session.update", "session": {"type": "realtime", "tools": [WEATHER_TOOL]}}
        )
        await client.wait_count("session.updated", 1, timeout=5)
        await client.send(
            {
                "type": "conversation.item.create",
                "item": {
                    "type": "message",
                    "role": "user",
                    "content": [{"type": "input_text", "text": "Weather in Paris?"}],
                },
            }
        )
        await client.send({"type": "response.create"})
        await client.wait_count("response.done", 1, timeout=10)

        first = client.of_type("response.done")[0].response
        assert first.status == "completed"
        assert len(first.output) == 1
        function_call = first.output[0]
        assert isinstance(function_call, RealtimeConversationItemFunctionCall)
        assert (function_call.name, function_call.call_id) == ("get_weather", "call_weather1")
        assert json.loads(function_call.arguments) == {"city": "Paris"}
        arguments = client.of_type("response.function_call_arguments.done")[0]
        assert (arguments.name, arguments.arguments) == ("get_weather", '{"city": "Paris"}')
        streamed = client.of_type("response.function_call_arguments.delta")
        assert len(streamed) > 1, "the arguments stream as the LLM writes them"
        assert "".join(d.delta for d in streamed) == arguments.arguments
        types = client.types()
        assert (
            types.index("response.output_item.added")
            < types.index("response.function_call_arguments.delta")
            < types.index("response.function_call_arguments.done")
        )
        assert client.bot_audio(first.id).size == 0, "a tool call alone is not spoken"
        assert llm.requests[0].body["tools"] == [
            {
                "type": "function",
                "function": {
                    "name": "get_weather",
                    "description": "The weather in a city.",
                    "parameters": WEATHER_TOOL["parameters"],
                },
            }
        ]

        await client.send(
            {
                "type": "conversation.item.create",
                "item": {
                    "type": "function_call_output",
                    "call_id": "call_weather1",
                    "output": '{"sky": "sunny"}',
                },
            }
        )
        await client.send({"type": "response.create"})
        await client.wait_count("response.done", 2, timeout=10)
        second = client.of_type("response.done")[1].response
        assert second.status == "completed"
        spoken = client.of_type("response.output_audio_transcript.done")[-1].transcript
        assert spoken == "It is sunny in Paris."
        assert client.bot_audio(second.id).size > 0
        messages = llm.requests[1].messages
        assert messages[-2]["role"] == "assistant"
        assert messages[-2]["tool_calls"][0]["id"] == "call_weather1"
        assert messages[-2]["tool_calls"][0]["function"]["name"] == "get_weather"
        assert messages[-1] == {
            "role": "tool",
            "tool_call_id": "call_weather1",
            "content": '{"sky": "sunny"}',
        }
        assert client.of_type("error") == []


async def test_an_out_of_band_response_with_its_own_instructions_leaves_no_trace() -> None:
    async with (
        stack([], ["positive"]) as (address, llm, _),
        OpenAiClient(address, audio=False) as client,
    ):
        await client.wait_count("session.created", 1, timeout=5)
        await client.send(
            {
                "type": "response.create",
                "response": {
                    "conversation": "none",
                    "instructions": "Classify the sentiment.",
                    "output_modalities": ["text"],
                    "metadata": {"purpose": "classification"},
                    "input": [
                        {
                            "type": "message",
                            "role": "user",
                            "content": [{"type": "input_text", "text": "I love it"}],
                        }
                    ],
                },
            }
        )
        await client.wait_count("response.done", 1, timeout=10)
        done = client.of_type("response.done")[0].response
        assert done.status == "completed" and done.conversation_id is None
        assert client.of_type("response.output_text.done")[0].text == "positive"
        assert client.of_type("conversation.item.added") == [], "not in the conversation"
        assert llm.requests[0].messages == [
            {"role": "system", "content": "Classify the sentiment."},
            {"role": "user", "content": "I love it"},
        ]
        await client.send({"type": "conversation.item.retrieve", "item_id": done.output[0].id})
        await client.wait_count("error", 1, timeout=5)
        assert client.of_type("error")[0].error.code == "item_not_found"
