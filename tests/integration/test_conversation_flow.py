"""A whole conversation over real sockets: `unmute-ops serve backend` between a browser-like
client sending real Ogg Opus and scripted STT, TTS and LLM servers that follow the protocols."""

from __future__ import annotations

import numpy as np

from tests.doubles.llm_double import LlmDouble
from tests.doubles.stt_double import SttDouble
from tests.doubles.tts_double import TtsDouble
from tests.integration.backend_server import backend_subprocess
from tests.integration.protocol_rules import (
    check_event_ids,
    check_single_ogg_stream,
    check_turn_order,
)
from tests.integration.realtime_client import RealtimeClient, tone

GREETING = "Hello! I am the test bot. How are you today?"
LONG_STORY = " ".join(["Once upon a time there was a very long story."] * 6)
FAREWELL = "It was lovely to talk. Bye!"


async def test_greet_answer_barge_in_and_goodbye() -> None:
    stt = SttDouble([["what", "time", "is", "it"], ["wait", "goodbye"]])
    tts = TtsDouble(word_duration_s=0.2)
    llm = LlmDouble([GREETING, LONG_STORY, FAREWELL])
    async with stt, tts, llm:
        env = {
            "UNMUTE_STT_URL": stt.url,
            "UNMUTE_TTS_URL": tts.url,
            "UNMUTE_LLM_URL": llm.url,
        }
        async with (
            backend_subprocess(env) as (address, _),
            RealtimeClient(f"ws://{address}/v1/realtime") as client,
        ):
            await client.start_session(
                instructions={"type": "constant", "text": "You are a test bot."}, voice="voice-a"
            )
            await client.wait_count("session.updated", 1, timeout=5)

            # The bot speaks first.
            await client.wait_count("response.audio.done", 1, timeout=15)
            assert client.types()[:2] == ["session.updated", "response.created"]
            greeting_audio = client.bot_audio()
            assert greeting_audio.size > 0.5 * 24_000
            assert float(np.sqrt(np.mean(greeting_audio**2))) > 0.01, "the greeting is audible"

            # The user asks a question; the bot answers with a long story.
            await client.wait_for(lambda c: c.samples_sent > 3.5 * 24_000, 10, "3.5 s of audio")
            client.say(tone(1.2))
            await client.wait_count("response.created", 2, timeout=10)
            transcript = [
                d.delta for d in client.of_type("conversation.item.input_audio_transcription.delta")
            ]
            assert transcript == ["what", "time", "is", "it"]
            assert "input_audio_buffer.speech_started" in client.types()
            assert "input_audio_buffer.speech_stopped" in client.types()

            # Barge in while the story plays.
            n_audio = len(client.of_type("response.audio.delta"))
            await client.wait_for(
                lambda c: len(c.of_type("response.audio.delta")) > n_audio + 3, 10, "story audio"
            )
            client.say(tone(0.8))
            await client.wait_count("unmute.interrupted_by_vad", 1, timeout=10)

            # "wait goodbye" → the farewell is spoken, then the server closes normally.
            await client.wait_closed(timeout=20)

        assert client.close_code == 1000, (client.close_code, client.close_reason)
        events = [r.event for r in client.received]
        check_event_ids(client.raw)
        check_turn_order(events)
        check_single_ogg_stream(client.of_type("response.audio.delta"))
        assert client.of_type("error") == []

        # The LLM saw the right temperatures and what was actually spoken.
        temperatures = [r.temperature for r in llm.requests]
        assert temperatures == [0.7, 0.3, 0.3]
        last_history = llm.requests[-1].messages
        assert last_history[0]["role"] == "system"
        assert "You are a test bot." in last_history[0]["content"]
        story_turn = [m for m in last_history if m["role"] == "assistant"][-1]["content"]
        assert story_turn.endswith("—"), "an interrupted reply is marked"
        assert len(story_turn) < len(LONG_STORY), "an interrupted reply is cut where it stopped"
        assert last_history[-1] == {"role": "user", "content": "wait goodbye"}

        # The last additional_outputs before the close ends with the farewell, as heard.
        final_history = client.of_type("unmute.additional_outputs")[-1].args.chat_history
        assert final_history[-1].content == FAREWELL
        assert tts.voices[0] == "voice-a"
