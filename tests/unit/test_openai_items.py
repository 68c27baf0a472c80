"""The OpenAI route's conversation items, and the LLM messages made from them."""

from __future__ import annotations

import pytest
from openai.types.realtime import (
    RealtimeConversationItemAssistantMessage,
    RealtimeConversationItemFunctionCall,
    RealtimeConversationItemFunctionCallOutput,
    RealtimeConversationItemUserMessage,
)

from backend.openai_realtime.items import ConversationItems, chat_messages
from backend.openai_realtime.wire import ClientEventError


def user(text: str, item_id: str | None = None) -> RealtimeConversationItemUserMessage:
    return RealtimeConversationItemUserMessage.model_validate(
        {
            "id": item_id,
            "type": "message",
            "role": "user",
            "content": [{"type": "input_text", "text": text}],
        }
    )


def assistant(
    transcript: str, status: str = "completed"
) -> RealtimeConversationItemAssistantMessage:
    return RealtimeConversationItemAssistantMessage.model_validate(
        {
            "type": "message",
            "role": "assistant",
            "status": status,
            "content": [{"type": "output_audio", "transcript": transcript}],
        }
    )


def test_items_keep_their_order_and_can_be_inserted_after_another() -> None:
    items = ConversationItems()
    assert items.add(user("one", "item_a")) is None
    assert items.add(user("three", "item_c")) == "item_a"
    assert items.add(user("two", "item_b"), previous_item_id="item_a") == "item_a"
    assert items.add(user("zero", "item_0"), previous_item_id="root") is None
    texts = [m["content"] for m in items.for_llm("sys", 1000)[1:]]
    assert texts == ["zero", "one", "two", "three"]


def test_unknown_or_duplicate_ids_are_refused() -> None:
    items = ConversationItems()
    items.add(user("one", "item_a"))
    with pytest.raises(ClientEventError) as caught:
        items.add(user("x"), previous_item_id="item_missing")
    assert caught.value.code == "item_not_found"
    with pytest.raises(ClientEventError):
        items.add(user("again", "item_a"))
    with pytest.raises(ClientEventError):
        items.delete("item_missing")


def test_an_interrupted_reply_is_marked_for_the_llm() -> None:
    messages = chat_messages("sys", [user("hi"), assistant("Once upon", status="incomplete")], 1000)
    assert messages[-1] == {"role": "assistant", "content": "Once upon—"}


def test_function_calls_and_outputs_become_tool_messages() -> None:
    call = RealtimeConversationItemFunctionCall(
        type="function_call", call_id="call_1", name="f", arguments="{}"
    )
    output = RealtimeConversationItemFunctionCallOutput(
        type="function_call_output", call_id="call_1", output="42"
    )
    messages = chat_messages("sys", [user("q"), call, output], 1000)
    assert messages[-2]["tool_calls"][0] == {
        "id": "call_1",
        "type": "function",
        "function": {"name": "f", "arguments": "{}"},
    }
    assert messages[-1] == {"role": "tool", "tool_call_id": "call_1", "content": "42"}


def test_the_newest_items_within_the_budget_are_sent() -> None:
    history = [user("a" * 50), assistant("b" * 50), user("c" * 50)]
    messages = chat_messages("sys", history, 120)
    assert [m["content"][0] for m in messages] == ["s", "b", "c"]
    messages = chat_messages("sys", [user("d" * 500)], 120)
    assert len(messages) == 2, "the newest item is always sent"
