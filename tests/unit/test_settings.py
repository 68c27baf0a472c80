"""Configuration from the environment, with Kyutai's variable names as aliases."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from backend.conversation.limits import ConversationLimits
from backend.settings import Settings

ALL_VARIABLES = [
    f"{prefix}_{name}"
    for prefix in ("UNMUTE", "KYUTAI")
    for name in (
        "STT_URL",
        "TTS_URL",
        "LLM_URL",
        "LLM_MODEL",
        "LLM_API_KEY",
        "SPEECH_API_KEY",
        "MAX_SESSIONS",
        "VOICE_CLONING_URL",
    )
]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ALL_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def test_defaults_point_at_the_local_cpu_servers() -> None:
    settings = Settings()
    assert settings.stt_url == "ws://127.0.0.1:8090"
    assert settings.tts_url == "ws://127.0.0.1:8089"
    assert settings.llm_url == "http://127.0.0.1:8091"
    assert settings.llm_model is None
    assert settings.speech_api_key == "public_token"
    assert settings.max_sessions == 4


def test_unmute_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UNMUTE_STT_URL", "ws://stt-a:8080/, ws://stt-b:8080")
    monkeypatch.setenv("UNMUTE_LLM_URL", "http://llm:8000/")
    monkeypatch.setenv("UNMUTE_LLM_MODEL", "llama")
    monkeypatch.setenv("UNMUTE_LLM_API_KEY", "sk-1")
    monkeypatch.setenv("UNMUTE_SPEECH_API_KEY", "secret")
    monkeypatch.setenv("UNMUTE_MAX_SESSIONS", "8")
    settings = Settings()
    assert settings.stt_url == "ws://stt-a:8080,ws://stt-b:8080"
    assert settings.llm_url == "http://llm:8000"
    assert (settings.llm_model, settings.llm_api_key) == ("llama", "sk-1")
    assert settings.speech_api_key == "secret"
    assert settings.max_sessions == 8


def test_kyutai_names_are_aliases(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KYUTAI_STT_URL", "ws://tasks.stt:8080")
    monkeypatch.setenv("KYUTAI_TTS_URL", "ws://tasks.tts:8080")
    monkeypatch.setenv("KYUTAI_LLM_URL", "http://vllm:8000")
    monkeypatch.setenv("KYUTAI_LLM_MODEL", "meta-llama/Llama-3.2-1B-Instruct")
    monkeypatch.setenv("KYUTAI_LLM_API_KEY", "k")
    settings = Settings()
    assert settings.stt_url == "ws://tasks.stt:8080"
    assert settings.tts_url == "ws://tasks.tts:8080"
    assert settings.llm_url == "http://vllm:8000"
    assert settings.llm_model == "meta-llama/Llama-3.2-1B-Instruct"
    assert settings.llm_api_key == "k"


def test_unmute_name_wins_over_its_kyutai_alias(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KYUTAI_LLM_URL", "http://old:8000")
    monkeypatch.setenv("UNMUTE_LLM_URL", "http://new:8000")
    assert Settings().llm_url == "http://new:8000"


def test_empty_optional_values_mean_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UNMUTE_LLM_MODEL", "")
    monkeypatch.setenv("UNMUTE_LLM_API_KEY", "")
    settings = Settings()
    assert settings.llm_model is None and settings.llm_api_key is None


@pytest.mark.parametrize("value", ["0", "-1", "many"])
def test_bad_capacity_is_refused(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("UNMUTE_MAX_SESSIONS", value)
    with pytest.raises(ValidationError):
        Settings()


def test_origin_allow_list(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().origin_allowed("https://evil.example")  # default: any origin
    monkeypatch.setenv("UNMUTE_ALLOWED_ORIGINS", "https://unmute.example, http://localhost:3000/")
    settings = Settings()
    assert settings.origin_allowed("https://unmute.example")
    assert settings.origin_allowed("http://localhost:3000")
    assert not settings.origin_allowed("https://evil.example")
    assert settings.origin_allowed(None), "non-browser clients send no Origin"


def test_conversation_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().conversation_limits() == ConversationLimits()
    monkeypatch.setenv("UNMUTE_IDLE_CLOSE_S", "12.5")
    monkeypatch.setenv("UNMUTE_MAX_CONVERSATION_S", "600")
    monkeypatch.setenv("UNMUTE_LLM_HISTORY_CHARS", "30000")
    limits = Settings().conversation_limits()
    assert (limits.idle_close_s, limits.max_conversation_s) == (12.5, 600.0)
    assert limits.llm_history_chars == 30_000
    monkeypatch.setenv("UNMUTE_IDLE_CLOSE_S", "0")
    with pytest.raises(ValidationError, match="UNMUTE_IDLE_CLOSE_S"):
        Settings()


def test_a_history_budget_too_small_to_hold_a_question_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("UNMUTE_LLM_HISTORY_CHARS", "10")
    with pytest.raises(ValidationError, match="UNMUTE_LLM_HISTORY_CHARS"):
        Settings()
