"""What a client's `response.create` asks for beyond the session's settings: other
instructions, modalities or tools for this response, or a response outside the conversation
(out-of-band input). Pure: read from the SDK's params, refused clearly when this server
cannot do it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from openai.types.realtime import RealtimeFunctionTool, RealtimeResponseCreateParams

from backend.openai_realtime import wire
from backend.openai_realtime.items import Item
from backend.openai_realtime.responses import CancelReason
from backend.openai_realtime.session_config import Modality


@dataclass
class ResponseRequest:
    instructions: str | None = None
    output_modalities: list[Modality] | None = None
    tools: list[RealtimeFunctionTool] | None = None
    tool_choice: str | dict[str, Any] | None = None
    in_conversation: bool = True
    input: list[Item] | None = None
    cancel_reason: CancelReason = "turn_detected"

    @classmethod
    def from_params(cls, params: RealtimeResponseCreateParams | None) -> ResponseRequest:
        request = cls()
        if params is None:
            return request
        sent = params.model_fields_set
        request.instructions = params.instructions
        request.output_modalities = params.output_modalities
        if "tools" in sent:
            tools = [t for t in params.tools or [] if isinstance(t, RealtimeFunctionTool)]
            request.tools = tools
        if params.tool_choice is not None:
            choice = params.tool_choice
            request.tool_choice = choice if isinstance(choice, str) else choice.model_dump()
        request.in_conversation = params.conversation != "none"
        if params.input is not None:
            request.input = [i for i in params.input if isinstance(i, Item)]
        if request.output_modalities not in (None, ["audio"], ["text"]):
            raise wire.ClientEventError(
                "output_modalities must be ['audio'] or ['text'].",
                param="response.output_modalities",
            )
        return request
