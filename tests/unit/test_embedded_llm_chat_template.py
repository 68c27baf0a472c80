"""Conversations rendered through a GGUF's chat template; models without one are refused."""

from __future__ import annotations

from typing import Any

import pytest

from embedded.llm.chat_template import ChatTemplate, InvalidConversation
from embedded.llm.model_files import InvalidModel
from embedded.llm.wire import RequestMessage

# ChatML, as SmolLM2, Qwen and many others write it.
CHATML = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)
# Like some Mistral templates: strict alternation, no system role.
STRICT = (
    "{% for message in messages %}"
    "{% if message['role'] == 'system' %}{{ raise_exception('no system role') }}{% endif %}"
    "[{{ message['role'] }}] {{ message['content'] }}"
    "{% endfor %}"
)


def messages(*pairs: tuple[str, Any]) -> list[RequestMessage]:
    return [RequestMessage.model_validate({"role": r, "content": c}) for r, c in pairs]


def chatml() -> ChatTemplate:
    return ChatTemplate(CHATML, bos_token="<|im_start|>", eos_token="<|im_end|>")


def test_a_conversation_becomes_the_prompt_for_the_next_assistant_turn() -> None:
    prompt = chatml().render(messages(("system", "Be brief."), ("user", "Hi!")))
    assert prompt.text == (
        "<|im_start|>system\nBe brief.<|im_end|>\n"
        "<|im_start|>user\nHi!<|im_end|>\n"
        "<|im_start|>assistant\n"
    )
    assert prompt.stop == ("<|im_end|>",)


def test_developer_is_system_text_parts_are_joined_and_tool_results_are_left_out() -> None:
    prompt = chatml().render(
        messages(
            ("developer", "Be brief."),
            ("user", [{"type": "text", "text": "Hello"}, {"type": "image_url"}]),
            ("tool", "42"),
        )
    )
    assert "<|im_start|>system\nBe brief." in prompt.text
    assert "<|im_start|>user\nHello<|im_end|>" in prompt.text
    assert "42" not in prompt.text


def test_a_conversation_the_template_refuses_is_invalid_with_its_reason() -> None:
    strict = ChatTemplate(STRICT, bos_token="", eos_token="</s>")
    with pytest.raises(InvalidConversation, match="no system role"):
        strict.render(messages(("system", "Be brief."), ("user", "Hi")))
    with pytest.raises(InvalidConversation, match="no system, user or assistant"):
        strict.render(messages(("tool", "42")))


def test_a_model_without_a_chat_template_is_refused() -> None:
    with pytest.raises(InvalidModel, match="base model"):
        ChatTemplate.from_metadata({}, bos_token="", eos_token="", model="tiny-base")


def test_a_template_that_does_not_parse_is_refused() -> None:
    with pytest.raises(InvalidModel, match="does not parse"):
        ChatTemplate("{% for %}", bos_token="", eos_token="")
