"""A whole conversation over real sockets: `unmute-ops serve backend` between a browser-like
client sending real Ogg Opus and scripted STT, TTS and LLM servers that follow the protocols."""

from __future__ import annotations

import httpx
import numpy as np

from tests.doubles.llm_double import LlmDouble
from tests.doubles.stt_double import SttDouble
from tests.doubles.tts_double import TtsDouble
from tests.integration.backend_server import backend_in_process, backend_subprocess
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
            async with httpx.AsyncClient() as http:
                metrics = (await http.get(f"http://{address}/metrics")).text
        for histogram in (
            "unmute_stt_first_step_seconds",
            "unmute_end_of_speech_to_response_seconds",
            "unmute_llm_first_word_seconds",
            "unmute_tts_first_audio_seconds",
            "unmute_voice_to_voice_seconds",
        ):
            count = next(
                line for line in metrics.splitlines() if line.startswith(f"{histogram}_count")
            )
            assert float(count.split()[-1]) >= 1, count
        assert "unmute_sessions_total 1.0" in metrics
        assert "unmute_interruptions_total 1.0" in metrics

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


async def test_a_load_tester_style_client_completes_its_turns() -> None:
    """What Kyutai's load tester sends and checks: a session.update with its own event_id and
    no allow_recording, silence streamed continuously, a user clip after each audio.done,
    and per turn: created < first text < first audio < audio.done, history ending with the
    reply. It hangs up itself after a few turns; nothing may count as an error."""
    stt = SttDouble([["one"], ["two", "words"], ["three", "more", "words"]])
    tts = TtsDouble(word_duration_s=0.15)
    llm = LlmDouble(lambda messages: f"Reply number {len(messages) // 2}.")
    async with (
        stt,
        tts,
        llm,
        backend_in_process(stt_url=stt.url, tts_url=tts.url, llm_url=llm.url) as address,
    ):
        async with RealtimeClient(f"ws://{address}/v1/realtime") as client:
            await client.send_json(
                {
                    "type": "session.update",
                    "event_id": "event_loadtester00000000",
                    "session": {
                        "instructions": {"type": "smalltalk", "language": None},
                        "voice": "v",
                    },
                }
            )
            for turn in range(1, 4):
                await client.wait_count("response.audio.done", turn, timeout=20)
                await client.wait_for(lambda c: c.samples_sent > 3.2 * 24_000, 10)
                client.say(tone(0.6))
            await client.wait_count("response.audio.done", 4, timeout=20)
        timings = []
        start: dict[str, float] = {}
        for received in client.received:
            kind = received.event.type
            if kind in (
                "response.created",
                "unmute.response.text.delta.ready",
                "response.audio.delta",
            ):
                start.setdefault(kind, received.at)
            if kind == "response.audio.done":
                timings.append(
                    (
                        start["response.created"],
                        start["unmute.response.text.delta.ready"],
                        start["response.audio.delta"],
                        received.at,
                    )
                )
                start = {}
        assert len(timings) == 4
        assert all(
            created <= text and created < audio < done for created, text, audio, done in timings
        )
        check_turn_order([r.event for r in client.received])
        assert client.of_type("error") == []
        histories = [e.args.chat_history for e in client.of_type("unmute.additional_outputs")]
        assert histories[-1][-1].role == "assistant"
        assert [m.content for m in histories[-1] if m.role == "user"] == [
            "one",
            "two words",
            "three more words",
        ]
