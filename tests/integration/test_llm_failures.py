"""A failing or slow LLM: the bot says so, the user is warned, the conversation goes on."""

from __future__ import annotations

from backend.conversation import rules
from tests.doubles.llm_double import LlmDouble
from tests.doubles.stt_double import SttDouble
from tests.doubles.tts_double import TtsDouble
from tests.integration.backend_server import backend_in_process
from tests.integration.protocol_rules import check_turn_order
from tests.integration.realtime_client import RealtimeClient, tone


async def _greeting_with(llm: LlmDouble) -> RealtimeClient:
    async with SttDouble([["hello"]]) as stt, TtsDouble(word_duration_s=0.1) as tts, llm:
        async with (
            backend_in_process(
                stt_url=stt.url, tts_url=tts.url, llm_url=llm.url, llm_timeout_s=0.5
            ) as address,
            RealtimeClient(f"ws://{address}/v1/realtime") as client,
        ):
            await client.start_session(voice="v")
            await client.wait_count("response.audio.done", 1, timeout=15)
            # The conversation goes on: the user speaks, and is answered again.
            await client.wait_for(lambda c: c.samples_sent > 3.2 * 24_000, 10)
            client.say(tone(0.6))
            await client.wait_count("response.audio.done", 2, timeout=15)
    return client


def _spoken_replies(client: RealtimeClient) -> list[str]:
    history = client.of_type("unmute.additional_outputs")[-1].args.chat_history
    return [m.content for m in history if m.role == "assistant"]


async def test_an_llm_error_is_spoken_and_warned() -> None:
    client = await _greeting_with(LlmDouble(["unused"], fail_status=500))
    assert _spoken_replies(client) == [rules.LLM_FAILURE_REPLY] * 2
    warnings = [e.error for e in client.of_type("error")]
    assert warnings and all(w.type == "warning" for w in warnings)
    assert "500" in warnings[0].message
    assert client.close_code is None
    check_turn_order([r.event for r in client.received])


async def test_an_llm_that_hangs_times_out_and_is_spoken_for() -> None:
    client = await _greeting_with(LlmDouble(["unused"], hang="after_headers"))
    assert _spoken_replies(client) == [rules.LLM_FAILURE_REPLY] * 2
    assert all(e.error.type == "warning" for e in client.of_type("error"))
    check_turn_order([r.event for r in client.received])
