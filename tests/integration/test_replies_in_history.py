"""Over real sockets: the LLM is sent the words of its earlier replies laid out as it streamed
them (a reply with nothing unspoken in it byte for byte), while the listener's subtitles are
the spoken words with single spaces."""

from __future__ import annotations

from tests.doubles.llm_double import LlmDouble
from tests.doubles.stt_double import SttDouble
from tests.doubles.tts_double import TtsDouble
from tests.integration.backend_server import backend_in_process
from tests.integration.realtime_client import RealtimeClient, tone

GREETING = "Hi there!  I'm **Robin**.\n\nHow can I help? 😀\n"
GREETING_HEARD = "Hi there!  I'm Robin.\n\nHow can I help?"
ANSWER = "Paris is lovely:\nthe Louvre,  the Seine."


async def test_the_llm_gets_its_replies_back_laid_out_as_written() -> None:
    stt = SttDouble([["tell", "me", "about", "Paris"], ["thanks"]])
    tts = TtsDouble(word_duration_s=0.05)
    # Cut every 3 characters: separators and markup fall across chunks.
    llm = LlmDouble([GREETING, ANSWER, "Bye!"], chunk_chars=3)
    async with (
        stt,
        tts,
        llm,
        backend_in_process(stt_url=stt.url, tts_url=tts.url, llm_url=llm.url) as address,
        RealtimeClient(f"ws://{address}/v1/realtime") as client,
    ):
        await client.start_session(
            instructions={"type": "constant", "text": "You are a test bot."}, voice="v"
        )
        for turn in (1, 2):
            await client.wait_count("response.audio.done", turn, timeout=20)
            await client.wait_for(lambda c: c.samples_sent > 3.2 * 24_000, 10)
            client.say(tone(0.6))
        await client.wait_count("response.audio.done", 3, timeout=20)

    first, second, third = (request.messages for request in llm.requests)
    assert second[: len(first)] == first, "each request starts with the one before it"
    assert second[len(first) :] == [
        {"role": "assistant", "content": GREETING_HEARD},
        {"role": "user", "content": "tell me about Paris"},
    ]
    assert third[: len(second)] == second
    assert third[len(second) :] == [
        {"role": "assistant", "content": ANSWER},
        {"role": "user", "content": "thanks"},
    ]
    spoken = [done.text for done in client.of_type("response.text.done")]
    assert spoken == [
        "Hi there! I'm Robin. How can I help?",
        "Paris is lovely: the Louvre, the Seine.",
        "Bye!",
    ]
    subtitles = "".join(delta.delta for delta in client.of_type("response.text.delta"))
    assert subtitles == "".join(spoken), "each turn's subtitles are its spoken words"
    assert client.of_type("error") == []
