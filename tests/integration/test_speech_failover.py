"""A TTS node that dies in the middle of a reply: another node speaks the rest."""

from __future__ import annotations

import pytest

from backend.realtime import public_errors
from tests.doubles.llm_double import LlmDouble
from tests.doubles.stt_double import SttDouble
from tests.doubles.tts_double import TtsDouble
from tests.integration.backend_server import backend_app_in_process, backend_in_process
from tests.integration.protocol_rules import check_single_ogg_stream, check_turn_order
from tests.integration.realtime_client import RealtimeClient, tone

REPLY = "one two three four five six seven eight nine ten eleven twelve"


async def test_a_tts_node_dying_mid_reply_is_replaced(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("backend.clients.instances.random.shuffle", lambda items: None)
    dying = TtsDouble(word_duration_s=0.3, first_audio_latency_s=0.0)
    spare = TtsDouble(word_duration_s=0.3)
    async with SttDouble() as stt, spare, LlmDouble([REPLY], chunk_delay_s=0.15) as llm:
        await dying.__aenter__()
        async with (
            backend_in_process(
                stt_url=stt.url, tts_url=f"{dying.url},{spare.url}", llm_url=llm.url
            ) as address,
            RealtimeClient(f"ws://{address}/v1/realtime") as client,
        ):
            await client.start_session(voice="v")
            await client.wait_count("response.text.delta", 2, timeout=10)
            dying.abort_all()  # a crashed node: connections drop, no close frame
            await dying.__aexit__(None, None, None)
            await client.wait_count("response.audio.done", 1, timeout=20)
        assert spare.streams_opened == 1
        spoken = client.of_type("unmute.additional_outputs")[-1].args.chat_history[-1].content
        assert spoken == REPLY, "the whole reply was heard"
        subtitles = "".join(d.delta for d in client.of_type("response.text.delta")).split()
        assert subtitles[-1] == "twelve"
        assert client.of_type("error") == [], "a replaced node is not the user's concern"
        check_turn_order([r.event for r in client.received])
        check_single_ogg_stream(client.of_type("response.audio.delta"))


async def test_no_tts_at_all_still_ends_the_turn_cleanly() -> None:
    async with SttDouble() as stt, TtsDouble(slots=0) as full, LlmDouble(["Hello there."]) as llm:
        async with (
            backend_in_process(stt_url=stt.url, tts_url=full.url, llm_url=llm.url) as address,
            RealtimeClient(f"ws://{address}/v1/realtime") as client,
        ):
            await client.start_session(voice="v")
            await client.wait_count("response.audio.done", 1, timeout=15)
        warnings = [e.error for e in client.of_type("error")]
        assert [w.type for w in warnings] == ["warning"]
        assert "Speech synthesis" in warnings[0].message
        check_turn_order([r.event for r in client.received])


async def _conversation_survives_stt_loss(break_node: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("backend.clients.instances.random.shuffle", lambda items: None)
    stall = 2.0 if break_node == "stall" else None
    first = SttDouble(stall_after_s=stall)
    second = SttDouble([["are", "you", "there"]])
    async with (
        second,
        TtsDouble(word_duration_s=0.1) as tts,
        LlmDouble(["Hi!", "Yes, I am here."]) as llm,
    ):
        await first.__aenter__()
        try:
            async with (
                backend_in_process(
                    stt_url=f"{first.url},{second.url}", tts_url=tts.url, llm_url=llm.url
                ) as address,
                RealtimeClient(f"ws://{address}/v1/realtime") as client,
            ):
                await client.start_session(voice="v")
                await client.wait_count("response.audio.done", 1, timeout=10)
                if break_node == "kill":
                    first.abort_all()  # the node crashes: no close frame, no more connections
                    await first.__aexit__(None, None, None)
                await client.wait_for(
                    lambda c: any(
                        e.error.code == public_errors.STT_INTERRUPTED.code
                        for e in c.of_type("error")
                    ),
                    10,
                    "warning",
                )
                assert second.streams_opened == 1
                client.say(tone(0.9))
                await client.wait_count("response.audio.done", 2, timeout=15)
        finally:
            if break_node != "kill":
                await first.__aexit__(None, None, None)
    errors = client.of_type("error")
    assert [e.error.type for e in errors] == ["warning"], "the user is warned, not hung up on"
    transcript = [
        d.delta for d in client.of_type("conversation.item.input_audio_transcription.delta")
    ]
    assert transcript == ["are", "you", "there"]
    assert client.close_code is None, "the conversation is still open"
    check_turn_order([r.event for r in client.received])


async def test_a_killed_stt_node_is_replaced(monkeypatch: pytest.MonkeyPatch) -> None:
    await _conversation_survives_stt_loss("kill", monkeypatch)


async def test_a_stalled_stt_node_is_replaced(monkeypatch: pytest.MonkeyPatch) -> None:
    await _conversation_survives_stt_loss("stall", monkeypatch)


async def test_a_tts_stream_closed_normally_mid_reply_is_finished_elsewhere() -> None:
    # The LLM's words come slowly, so the node closes the stream before it gets `Eos`.
    tts = TtsDouble(word_duration_s=0.1, end_first_stream_after_words=3)
    async with SttDouble() as stt, tts, LlmDouble([REPLY], chunk_delay_s=0.15) as llm:
        async with (
            backend_app_in_process(stt_url=stt.url, tts_url=tts.url, llm_url=llm.url) as (
                address,
                app,
            ),
            RealtimeClient(f"ws://{address}/v1/realtime") as client,
        ):
            await client.start_session(voice="v")
            await client.wait_count("response.audio.done", 1, timeout=15)
            nodes = app.state.services.tts_nodes
            assert nodes.order([tts.url, "other"]) == [tts.url, "other"], "not marked down"
        assert tts.streams_opened == 2
        spoken = client.of_type("unmute.additional_outputs")[-1].args.chat_history[-1].content
        assert spoken == REPLY, "the whole reply was heard"
        assert client.of_type("error") == []
        errors = app.state.metrics.registry.get_sample_value(
            "unmute_errors_total", {"kind": "tts_stream"}
        )
        assert errors is None, "not counted as an error"


async def test_an_stt_whose_streams_all_break_at_once_is_given_up_on() -> None:
    # Every stream answers `Error` right after `Ready`: reopening at once, again and again,
    # would hammer the node and warn the user a hundred times a second.
    broken = [{"type": "Error", "message": "model crashed"}]
    async with SttDouble(after_ready=broken) as stt, TtsDouble() as tts, LlmDouble([]) as llm:
        async with (
            backend_in_process(stt_url=stt.url, tts_url=tts.url, llm_url=llm.url) as address,
            RealtimeClient(f"ws://{address}/v1/realtime") as client,
        ):
            await client.start_session(voice="v")
            client.say(tone(1.0))
            await client.wait_for(
                lambda c: any(e.error.type == "fatal" for e in c.of_type("error")), 15, "fatal"
            )
        errors = [e.error for e in client.of_type("error")]
        assert (errors[-1].code, errors[-1].message) == (
            public_errors.STT_LOST.code,
            public_errors.STT_LOST.message,
        )
        assert len(errors) <= 4, "a few warnings, then the reason"
        assert stt.streams_opened <= 4  # the first stream and three more tries
