"""The conversation of an OpenAI Realtime session: its items in order, and what the LLM sees.

Items are OpenAI's (user and assistant messages, function calls and their outputs, system
messages), kept as the SDK's models so `conversation.item.retrieve` answers them as they
are. The assistant's messages hold what the user actually heard: a reply cut off by the
user, or truncated by the client (`conversation.item.truncate`), keeps only its heard words,
marked, as on the Unmute route.
"""

from __future__ import annotations

from typing import Any

from openai.types.realtime import (
    RealtimeConversationItemAssistantMessage,
    RealtimeConversationItemFunctionCall,
    RealtimeConversationItemFunctionCallOutput,
    RealtimeConversationItemSystemMessage,
    RealtimeConversationItemUserMessage,
)

from backend.conversation.rules import INTERRUPTION_MARK
from backend.openai_realtime.wire import ClientEventError, new_id

# The items this server keeps (MCP items belong to OpenAI's hosted tools).
Item = (
    RealtimeConversationItemSystemMessage
    | RealtimeConversationItemUserMessage
    | RealtimeConversationItemAssistantMessage
    | RealtimeConversationItemFunctionCall
    | RealtimeConversationItemFunctionCallOutput
)


class ConversationItems:
    def __init__(self) -> None:
        self._items: dict[str, Item] = {}  # insertion order is conversation order

    def __contains__(self, item_id: str) -> bool:
        return item_id in self._items

    def last_id(self) -> str | None:
        return next(reversed(self._items), None)

    def add(self, item: Item, previous_item_id: str | None = None) -> str | None:
        """Add `item` (after `previous_item_id` when given, else last); returns the id of
        the item before it. An item without an id gets one."""
        if item.id is None:
            item.id = new_id("item")
        if item.id in self._items:
            raise ClientEventError(
                f"An item with id {item.id!r} already exists.", param="item.id", code="item_exists"
            )
        item.object = "realtime.item"
        if previous_item_id is None or previous_item_id == self.last_id():
            previous = self.last_id()
            self._items[item.id] = item
            return previous
        if previous_item_id not in self._items and previous_item_id != "root":
            raise ClientEventError(
                f"No item with id {previous_item_id!r}.",
                param="previous_item_id",
                code="item_not_found",
            )
        ordered = list(self._items.items())
        at = 0 if previous_item_id == "root" else self._index(previous_item_id) + 1
        ordered.insert(at, (item.id, item))
        self._items = dict(ordered)
        return None if at == 0 else ordered[at - 1][0]

    def get(self, item_id: str, param: str = "item_id") -> Item:
        item = self._items.get(item_id)
        if item is None:
            raise ClientEventError(
                f"No item with id {item_id!r}.", param=param, code="item_not_found"
            )
        return item

    def delete(self, item_id: str) -> None:
        self.get(item_id)
        del self._items[item_id]

    def discard(self, item_id: str) -> None:
        self._items.pop(item_id, None)

    def _index(self, item_id: str) -> int:
        return list(self._items).index(item_id)

    # --- what the LLM is sent -----------------------------------------------------------

    def for_llm(self, instructions: str, budget_chars: int) -> list[dict[str, Any]]:
        return chat_messages(instructions, list(self._items.values()), budget_chars)


def chat_messages(instructions: str, items: list[Item], budget_chars: int) -> list[dict[str, Any]]:
    """The Chat Completions messages for `items`: the newest that fit in `budget_chars`
    (a function call and its output travel together), after the instructions."""
    messages = [m for item in items for m in _as_chat(item)]
    kept: list[dict[str, Any]] = []
    used = 0
    for message in reversed(messages):
        used += len(str(message.get("content") or "")) + len(str(message.get("tool_calls", "")))
        if used > budget_chars and kept:
            break
        kept.append(message)
    kept.reverse()
    while kept and kept[0]["role"] == "tool":  # its call was dropped: so is its answer
        kept.pop(0)
    return [{"role": "system", "content": instructions}, *kept]


def _as_chat(item: Item) -> list[dict[str, Any]]:
    match item:
        case RealtimeConversationItemUserMessage():
            text = " ".join(
                part.text or part.transcript or "" for part in item.content if part is not None
            ).strip()
            return [{"role": "user", "content": text}] if text else []
        case RealtimeConversationItemAssistantMessage():
            text = " ".join(part.text or part.transcript or "" for part in item.content).strip()
            if text and item.status == "incomplete":
                text += INTERRUPTION_MARK
            return [{"role": "assistant", "content": text}] if text else []
        case RealtimeConversationItemSystemMessage():
            text = " ".join(part.text or "" for part in item.content).strip()
            return [{"role": "system", "content": text}] if text else []
        case RealtimeConversationItemFunctionCall():
            call = {
                "id": item.call_id or item.id,
                "type": "function",
                "function": {"name": item.name, "arguments": item.arguments},
            }
            return [{"role": "assistant", "content": None, "tool_calls": [call]}]
        case RealtimeConversationItemFunctionCallOutput():
            return [{"role": "tool", "tool_call_id": item.call_id, "content": item.output}]
