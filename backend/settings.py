"""The backend's configuration: one settings object, read from the environment.

Every variable has an `UNMUTE_` name; Kyutai's `KYUTAI_` names are accepted as aliases
so that existing deployments can switch over without editing their environment.
"""

from __future__ import annotations

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from backend.conversation.limits import (
    DEFAULT_IDLE_CLOSE_S,
    DEFAULT_MAX_CONVERSATION_S,
    MIN_LLM_HISTORY_CHARS,
    ConversationLimits,
)
from backend.conversation.rules import DEFAULT_LLM_HISTORY_CHARS
from backend.deadline import DEFAULT_REPLY_DEADLINE_S


def _env(name: str, kyutai_alias: str | None = None) -> AliasChoices:
    names = [f"UNMUTE_{name}"]
    if kyutai_alias:
        names.append(f"KYUTAI_{kyutai_alias}")
    return AliasChoices(*names)


class Settings(BaseSettings):
    """Where the speech and language services are, and how much this process may take."""

    model_config = SettingsConfigDict(populate_by_name=True, extra="ignore")

    stt_url: str = Field(
        default="ws://127.0.0.1:8090",
        validation_alias=_env("STT_URL", "STT_URL"),
        description="STT server(s): one URL, a comma-separated list, or a DNS name "
        "resolving to several addresses (e.g. ws://tasks.stt:8080).",
    )
    tts_url: str = Field(
        default="ws://127.0.0.1:8089",
        validation_alias=_env("TTS_URL", "TTS_URL"),
    )
    llm_url: str = Field(
        default="http://127.0.0.1:8091",
        validation_alias=_env("LLM_URL", "LLM_URL"),
    )
    llm_model: str | None = Field(
        default=None,
        validation_alias=_env("LLM_MODEL", "LLM_MODEL"),
        description="Model name; picked automatically when the server serves exactly one.",
    )
    llm_api_key: str | None = Field(
        default=None, validation_alias=_env("LLM_API_KEY", "LLM_API_KEY")
    )
    llm_timeout_s: float = Field(
        default=15.0,
        gt=0.0,
        validation_alias=_env("LLM_TIMEOUT_S"),
        description="Longest wait for the LLM's first word, or between two words.",
    )
    reply_deadline_s: float = Field(
        default=DEFAULT_REPLY_DEADLINE_S,
        gt=0.0,
        validation_alias=_env("REPLY_DEADLINE_S"),
        description="From the end of the user's turn, how long until the bot is heard; "
        "past it the late part (LLM or TTS) is given up on and the user told which.",
    )
    voice_cloning_url: str | None = Field(
        default=None, validation_alias=_env("VOICE_CLONING_URL", "VOICE_CLONING_URL")
    )
    speech_api_key: str = Field(
        default="public_token",
        validation_alias=_env("SPEECH_API_KEY"),
        description="Sent to the STT/TTS servers as the `kyutai-api-key` header.",
    )
    max_sessions: int = Field(default=4, ge=1, validation_alias=_env("MAX_SESSIONS"))
    seat_wait_s: float = Field(
        default=2.0,
        ge=0.0,
        le=10.0,
        validation_alias=_env("SEAT_WAIT_S"),
        description="How long a client beyond capacity may wait for a seat before a 503.",
    )
    drain_grace_s: float = Field(
        default=60.0,
        ge=0.0,
        validation_alias=_env("DRAIN_GRACE_S"),
        description="On SIGTERM, how long live conversations may go on before a 1001 close.",
    )
    idle_close_s: float = Field(
        default=DEFAULT_IDLE_CLOSE_S,
        gt=0.0,
        validation_alias=_env("IDLE_CLOSE_S"),
        description="After the bot's silence prompts went unanswered, how long a conversation "
        "without the user making a sound stays open (its seat and STT slot are then freed).",
    )
    max_conversation_s: float = Field(
        default=DEFAULT_MAX_CONVERSATION_S,
        gt=0.0,
        validation_alias=_env("MAX_CONVERSATION_S"),
        description="The longest conversation; the reply being spoken is heard to its end.",
    )
    llm_history_chars: int = Field(
        default=DEFAULT_LLM_HISTORY_CHARS,
        ge=MIN_LLM_HISTORY_CHARS,
        validation_alias=_env("LLM_HISTORY_CHARS"),
        description="The most characters of past turns sent with each LLM request (the "
        "oldest are dropped; the system prompt is always sent): fit it to the model's context.",
    )
    voices_file: str | None = Field(default=None, validation_alias=_env("VOICES_FILE"))
    tools_config: str | None = Field(
        default=None,
        validation_alias=_env("TOOLS_CONFIG"),
        description="A YAML file naming the MCP servers whose tools the characters may use "
        "(docs/tools.md); unset: no tools.",
    )
    allowed_origins: str = Field(
        default="*",
        validation_alias=_env("ALLOWED_ORIGINS"),
        description="Comma-separated browser origins allowed to open /v1/realtime, or `*`. "
        "Clients that send no Origin (load testers, scripts) are always allowed.",
    )
    openai_api_keys: str | None = Field(
        default=None,
        validation_alias=_env("OPENAI_API_KEYS"),
        description="Comma-separated keys that OpenAI Realtime clients must present "
        "(Authorization: Bearer, or the browser subprotocol) on /openai/v1/realtime; "
        "unset: that route is open, like /v1/realtime.",
    )
    frontend_dir: str | None = Field(
        default=None,
        validation_alias=_env("FRONTEND_DIR"),
        description="A built browser app (static files) to serve at `/`, for local use.",
    )

    @field_validator("llm_url", "stt_url", "tts_url")
    @classmethod
    def _strip_trailing_slash(cls, value: str) -> str:
        return ",".join(part.strip().rstrip("/") for part in value.split(",") if part.strip())

    def conversation_limits(self) -> ConversationLimits:
        return ConversationLimits(
            idle_close_s=self.idle_close_s,
            max_conversation_s=self.max_conversation_s,
            llm_history_chars=self.llm_history_chars,
        )

    def origin_list(self) -> list[str]:
        return [o.strip().rstrip("/") for o in self.allowed_origins.split(",") if o.strip()]

    def origin_allowed(self, origin: str | None) -> bool:
        allowed = self.origin_list()
        return origin is None or "*" in allowed or origin.rstrip("/") in allowed

    @field_validator("llm_model", "llm_api_key", "voice_cloning_url", "frontend_dir")
    @classmethod
    def _empty_is_none(cls, value: str | None) -> str | None:
        return value or None
