"""An OpenAI Realtime session's settings: what `session.update` may change, and what
they mean for the conversation core (turn-taking) and for each reply (tools, voice, text).

Pure: no sockets. `update` applies a client's `session` object field by field, as OpenAI
does (fields left out keep their value), and refuses values we cannot honour with an
error naming the field.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from openai.types.realtime import (
    AudioTranscription,
    RealtimeAudioConfig,
    RealtimeAudioConfigInput,
    RealtimeAudioConfigOutput,
    RealtimeFunctionTool,
    RealtimeSessionCreateRequest,
)
from openai.types.realtime.realtime_audio_formats import AudioPCM, AudioPCMA, AudioPCMU
from openai.types.realtime.realtime_audio_input_turn_detection import ServerVad

from backend.conversation.turns import API_CLIENT_TURNS, TurnOptions
from backend.openai_realtime.audio_format import FormatName
from backend.openai_realtime.wire import ClientEventError
from backend.reply_options import ReplyOptions

Modality = Literal["text", "audio"]

DEFAULT_INSTRUCTIONS = (
    "You are a helpful, friendly voice assistant. Your answers are spoken aloud: keep "
    "them short and conversational, with no lists or formatting."
)
TRANSCRIPTION_MODEL = "unmute-stt"  # what the session reports: our STT, whatever was asked
# Shown in the session as OpenAI's defaults are; our turn detection is the STT's own.
DEFAULT_VAD = ServerVad(
    type="server_vad",
    threshold=0.5,
    prefix_padding_ms=300,
    silence_duration_ms=500,
    create_response=True,
    interrupt_response=True,
    idle_timeout_ms=None,
)


@dataclass
class SessionConfig:
    model: str
    voice: str
    instructions: str = DEFAULT_INSTRUCTIONS
    output_modalities: list[Modality] = field(default_factory=lambda: ["audio"])
    input_format: FormatName = "audio/pcm"
    output_format: FormatName = "audio/pcm"
    turn_detection: ServerVad | None = field(default_factory=lambda: DEFAULT_VAD.model_copy())
    tools: list[RealtimeFunctionTool] = field(default_factory=list)
    tool_choice: str | dict[str, Any] = "auto"
    max_output_tokens: int | str = "inf"

    # --- session.update ----------------------------------------------------------------

    def update(self, request: RealtimeSessionCreateRequest) -> None:
        """Apply the fields the client set; a refused value changes nothing."""
        changed = SessionConfig(**{name: getattr(self, name) for name in self.__dataclass_fields__})
        sent = request.model_fields_set
        if "instructions" in sent:
            changed.instructions = request.instructions or ""
        if "output_modalities" in sent and request.output_modalities is not None:
            modalities = list(request.output_modalities)
            if modalities not in (["audio"], ["text"]):
                raise ClientEventError(
                    "output_modalities must be ['audio'] or ['text'].",
                    param="session.output_modalities",
                )
            changed.output_modalities = modalities
        if "tools" in sent:
            changed.tools = _function_tools(request.tools or [])
        if "tool_choice" in sent and request.tool_choice is not None:
            choice = request.tool_choice
            changed.tool_choice = choice if isinstance(choice, str) else choice.model_dump()
        if "max_output_tokens" in sent and request.max_output_tokens is not None:
            changed.max_output_tokens = request.max_output_tokens
        if request.audio is not None:
            changed._update_audio(request.audio)
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(changed, name))

    def _update_audio(self, audio: RealtimeAudioConfig) -> None:
        if audio.input is not None:
            sent = audio.input.model_fields_set
            if "format" in sent and audio.input.format is not None:
                self.input_format = _format_name(audio.input.format, "session.audio.input.format")
            if "turn_detection" in sent:
                detection = audio.input.turn_detection
                if detection is None:
                    self.turn_detection = None
                else:
                    # semantic_vad asks for the same thing: the server ends the turn.
                    fields = detection.model_dump(exclude_unset=True)
                    fields["type"] = "server_vad"
                    base = self.turn_detection or DEFAULT_VAD
                    self.turn_detection = base.model_copy(
                        update={k: v for k, v in fields.items() if k in ServerVad.model_fields}
                    )
        if audio.output is not None:
            sent = audio.output.model_fields_set
            if "format" in sent and audio.output.format is not None:
                self.output_format = _format_name(
                    audio.output.format, "session.audio.output.format"
                )
            if "voice" in sent and audio.output.voice is not None:
                voice = audio.output.voice
                self.voice = voice if isinstance(voice, str) else voice.id

    # --- what it means ------------------------------------------------------------------

    def turn_options(self) -> TurnOptions:
        vad = self.turn_detection
        if vad is None:  # push-to-talk: the client commits and asks for each response
            return TurnOptions(
                speaks_first=False,
                detects_turns=False,
                replies_on_turn_end=False,
                interrupts=False,
                checks_on_silence=False,
                ends_on_goodbye=False,
            )
        return TurnOptions(
            speaks_first=API_CLIENT_TURNS.speaks_first,
            detects_turns=True,
            replies_on_turn_end=vad.create_response is not False,
            interrupts=vad.interrupt_response is not False,
            checks_on_silence=API_CLIENT_TURNS.checks_on_silence,
            ends_on_goodbye=API_CLIENT_TURNS.ends_on_goodbye,
        )

    def reply_options(
        self,
        *,
        tools: list[RealtimeFunctionTool] | None = None,
        tool_choice: str | dict[str, Any] | None = None,
        output_modalities: Sequence[str] | None = None,
    ) -> ReplyOptions:
        """A reply's options: the session's, or a `response.create`'s overrides."""
        offered = self.tools if tools is None else tools
        choice = self.tool_choice if tool_choice is None else tool_choice
        modalities = output_modalities or self.output_modalities
        return ReplyOptions(
            tools=[chat_completions_tool(tool) for tool in offered],
            tool_choice=chat_completions_tool_choice(choice) if offered else None,
            spoken="audio" in modalities,
            report_usage=True,  # response.done reports the LLM's token counts
        )

    def as_session(self) -> RealtimeSessionCreateRequest:
        """The session object of `session.created` / `session.updated`."""

        def audio_format(name: FormatName) -> AudioPCM | AudioPCMU | AudioPCMA:
            if name == "audio/pcmu":
                return AudioPCMU(type="audio/pcmu")
            if name == "audio/pcma":
                return AudioPCMA(type="audio/pcma")
            return AudioPCM(type="audio/pcm", rate=24000)

        return RealtimeSessionCreateRequest(
            type="realtime",
            model=self.model,
            instructions=self.instructions,
            output_modalities=self.output_modalities,
            max_output_tokens=self.max_output_tokens,
            tools=self.tools,
            tool_choice=self.tool_choice,
            audio=RealtimeAudioConfig(
                input=RealtimeAudioConfigInput(
                    format=audio_format(self.input_format),
                    transcription=AudioTranscription(model=TRANSCRIPTION_MODEL),
                    noise_reduction=None,
                    turn_detection=self.turn_detection,
                ),
                output=RealtimeAudioConfigOutput(
                    format=audio_format(self.output_format), voice=self.voice, speed=1.0
                ),
            ),
        )


def _format_name(audio_format: AudioPCM | AudioPCMU | AudioPCMA, param: str) -> FormatName:
    name = audio_format.type or "audio/pcm"
    # A format without its `type` may carry any rate past the SDK's models.
    if name == "audio/pcm" and audio_format.model_dump().get("rate") not in (None, 24000):
        raise ClientEventError("audio/pcm is 24000 Hz only.", param=f"{param}.rate")
    return name


def _function_tools(tools: list[Any]) -> list[RealtimeFunctionTool]:
    offered: list[RealtimeFunctionTool] = []
    for index, tool in enumerate(tools):
        if not isinstance(tool, RealtimeFunctionTool) or tool.type not in ("function", None):
            raise ClientEventError(
                "Only function tools are supported here.", param=f"session.tools[{index}]"
            )
        if not tool.name:
            raise ClientEventError("A tool needs a name.", param=f"session.tools[{index}].name")
        offered.append(tool)
    return offered


def chat_completions_tool(tool: RealtimeFunctionTool) -> dict[str, Any]:
    """A Realtime function tool in the Chat Completions shape the LLM servers take."""
    function: dict[str, Any] = {"name": tool.name}
    if tool.description:
        function["description"] = tool.description
    function["parameters"] = tool.parameters or {"type": "object", "properties": {}}
    return {"type": "function", "function": function}


def chat_completions_tool_choice(choice: str | dict[str, Any]) -> str | dict[str, Any]:
    """`auto`/`none`/`required` as they are; a forced function in the Chat shape."""
    if isinstance(choice, str):
        return choice
    return {"type": "function", "function": {"name": choice.get("name", "")}}
