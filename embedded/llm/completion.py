"""One chat completion: the responder's reply cut to the request's limits, as wire objects."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from embedded.llm.dialogue import ChatMessage, Role
from embedded.llm.responder import respond
from embedded.llm.wire import (
    AssistantMessage,
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionRequest,
    Choice,
    ChunkChoice,
    Delta,
    FinishReason,
    Usage,
    new_completion_id,
    now,
)

# Tool and function results carry no speech; the responder never sees them.
_ROLES: dict[str, Role] = {
    "system": "system",
    "developer": "system",
    "user": "user",
    "assistant": "assistant",
}


@dataclass(frozen=True)
class PlannedReply:
    """The words of a reply, decided before the first one is sent.

    One word counts as one token: the stand-in streams a word per chunk, as an LLM
    streams a token per chunk, so `max_tokens` caps the words.
    """

    id: str
    created: int
    model: str
    words: list[str]
    finish_reason: FinishReason
    prompt_tokens: int

    @property
    def text(self) -> str:
        return " ".join(self.words)

    @property
    def usage(self) -> Usage:
        completion = len(self.words)
        return Usage(
            prompt_tokens=self.prompt_tokens,
            completion_tokens=completion,
            total_tokens=self.prompt_tokens + completion,
        )


def plan_reply(request: ChatCompletionRequest) -> PlannedReply:
    messages = [ChatMessage(_ROLES[m.role], m.text()) for m in request.messages if m.role in _ROLES]
    text = respond(messages, temperature=request.temperature, seed=request.seed)
    for stop in request.stop_sequences():
        text = text.split(stop, 1)[0]
    words = text.split()
    finish_reason: FinishReason = "stop"
    limit = request.token_limit()
    if limit is not None and len(words) > limit:
        words, finish_reason = words[:limit], "length"
    return PlannedReply(
        id=new_completion_id(),
        created=now(),
        model=request.model,
        words=words,
        finish_reason=finish_reason,
        prompt_tokens=sum(len(m.content.split()) for m in messages),
    )


def completion(reply: PlannedReply) -> ChatCompletion:
    return ChatCompletion(
        id=reply.id,
        created=reply.created,
        model=reply.model,
        choices=[
            Choice(message=AssistantMessage(content=reply.text), finish_reason=reply.finish_reason)
        ],
        usage=reply.usage,
    )


def chunks(reply: PlannedReply, *, include_usage: bool) -> Iterator[ChatCompletionChunk]:
    """The role, then one word per chunk (later words with a leading space), then the end."""

    def chunk(delta: Delta, finish_reason: FinishReason | None = None) -> ChatCompletionChunk:
        return ChatCompletionChunk(
            id=reply.id,
            created=reply.created,
            model=reply.model,
            choices=[ChunkChoice(delta=delta, finish_reason=finish_reason)],
        )

    yield chunk(Delta(role="assistant", content=""))
    for index, word in enumerate(reply.words):
        yield chunk(Delta(content=word if index == 0 else f" {word}"))
    yield chunk(Delta(), reply.finish_reason)
    if include_usage:
        yield ChatCompletionChunk(
            id=reply.id, created=reply.created, model=reply.model, choices=[], usage=reply.usage
        )
