"""A conversation as the model's prompt text, through the chat template in its GGUF file.

Instruct models learn one way to mark turns (`<|im_start|>user …`); the GGUF carries it
as a Jinja template (`tokenizer.chat_template`), which llama-cpp-python renders the way
Hugging Face's transformers do. A model without one is refused at start: it is most
likely a base model, which continues text instead of answering.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import jinja2
from llama_cpp.llama_chat_format import Jinja2ChatFormatter

from embedded.llm.model_files import InvalidModel
from embedded.llm.wire import RequestMessage

TEMPLATE_KEY = "tokenizer.chat_template"

# OpenAI's newer name for the system role; templates know only "system".
_ROLES = {"system": "system", "developer": "system", "user": "user", "assistant": "assistant"}


class InvalidConversation(ValueError):
    """The model's template refuses these messages (its own words in the message)."""


@dataclass(frozen=True)
class Prompt:
    text: str
    stop: tuple[str, ...]  # texts that end the reply when the model writes them


class ChatTemplate:
    def __init__(self, template: str, *, bos_token: str, eos_token: str) -> None:
        try:
            self._formatter = Jinja2ChatFormatter(
                template=template, bos_token=bos_token, eos_token=eos_token
            )
        except jinja2.TemplateError as error:
            raise InvalidModel(f"the model's chat template does not parse: {error}") from None
        self._eos_token = eos_token

    @classmethod
    def from_metadata(
        cls, metadata: Mapping[str, str], *, bos_token: str, eos_token: str, model: str
    ) -> ChatTemplate:
        template = metadata.get(TEMPLATE_KEY)
        if not template:
            raise InvalidModel(
                f"{model} has no chat template ({TEMPLATE_KEY}): it is probably a base "
                "model, not an instruct (chat) model. Serve the instruct version's GGUF"
            )
        return cls(template, bos_token=bos_token, eos_token=eos_token)

    def render(self, messages: Sequence[RequestMessage]) -> Prompt:
        """The prompt that asks for the assistant's next turn. Tool and function results
        carry nothing to say aloud and are left out."""
        turns = [
            {"role": _ROLES[message.role], "content": message.text()}
            for message in messages
            if message.role in _ROLES
        ]
        if not turns:
            raise InvalidConversation("the conversation has no system, user or assistant message")
        try:
            rendered = self._formatter(messages=turns)  # type: ignore[arg-type]
        except (jinja2.TemplateError, ValueError, TypeError) as error:
            raise InvalidConversation(f"the model's chat template refused it: {error}") from None
        stop = rendered.stop if isinstance(rendered.stop, list) else [rendered.stop or ""]
        return Prompt(rendered.prompt, tuple(s for s in stop if s))
