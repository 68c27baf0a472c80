"""An OpenAI Realtime session's settings: partial updates, and what they mean for turns
and replies."""

from __future__ import annotations

import json

import pytest
from openai.types.realtime import RealtimeSessionCreateRequest

from backend.openai_realtime.session_config import SessionConfig
from backend.openai_realtime.wire import ClientEventError, parse_client_event


def update(config: SessionConfig, **session: object) -> None:
    config.update(RealtimeSessionCreateRequest.model_validate({"type": "realtime", **session}))


def test_fields_left_out_keep_their_value() -> None:
    config = SessionConfig(model="m", voice="v")
    update(config, instructions="Be brief.", output_modalities=["text"])
    update(config, tools=[])
    assert (config.instructions, config.output_modalities) == ("Be brief.", ["text"])
    assert config.turn_detection is not None


def test_turn_detection_null_is_push_to_talk() -> None:
    config = SessionConfig(model="m", voice="v")
    assert config.turn_options().detects_turns and config.turn_options().replies_on_turn_end
    update(config, audio={"input": {"turn_detection": None}})
    options = config.turn_options()
    assert not options.detects_turns and not options.replies_on_turn_end
    assert not options.speaks_first and not options.checks_on_silence


def test_server_vad_flags_reach_the_core() -> None:
    config = SessionConfig(model="m", voice="v")
    update(
        config,
        audio={
            "input": {
                "turn_detection": {
                    "type": "semantic_vad",
                    "create_response": False,
                    "interrupt_response": False,
                }
            }
        },
    )
    options = config.turn_options()
    assert options.detects_turns
    assert not options.replies_on_turn_end and not options.interrupts
    assert config.as_session().audio.input.turn_detection.type == "server_vad"


def test_a_refused_value_changes_nothing() -> None:
    config = SessionConfig(model="m", voice="v")
    with pytest.raises(ClientEventError) as caught:
        update(config, instructions="changed", output_modalities=["text", "audio"])
    assert caught.value.param == "session.output_modalities"
    assert config.instructions != "changed"


def test_formats_voice_and_tools() -> None:
    config = SessionConfig(model="m", voice="v")
    update(
        config,
        audio={
            "input": {"format": {"type": "audio/pcmu"}},
            "output": {"format": {"type": "audio/pcma"}, "voice": "marin"},
        },
        tools=[{"type": "function", "name": "lookup", "parameters": {"type": "object"}}],
        tool_choice={"type": "function", "name": "lookup"},
    )
    assert (config.input_format, config.output_format, config.voice) == (
        "audio/pcmu",
        "audio/pcma",
        "marin",
    )
    options = config.reply_options()
    assert options.tools == [
        {"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}
    ]
    assert options.tool_choice == {"type": "function", "function": {"name": "lookup"}}
    assert config.reply_options(output_modalities=["text"]).spoken is False
    session = config.as_session()
    assert session.audio.output.format.type == "audio/pcma"


@pytest.mark.parametrize("audio_format", [{"type": "audio/pcm", "rate": 16000}, {"rate": 16000}])
def test_pcm_other_than_24_khz_is_refused_with_the_field_named(audio_format: object) -> None:
    event = {
        "type": "session.update",
        "session": {"type": "realtime", "audio": {"input": {"format": audio_format}}},
    }
    config = SessionConfig(model="m", voice="v")
    with pytest.raises(ClientEventError) as caught:
        parsed = parse_client_event(json.dumps(event))
        assert parsed.type == "session.update"
        config.update(parsed.session)
    assert caught.value.param is not None
    assert caught.value.param.startswith("session.audio.input.format")
    assert config.input_format == "audio/pcm"
