"""A conversation that ends just as its speech stream fails: the stream's loop ends with
it, and opens no other stream (else the session would outlive its browser and keep its
seat). The doubles fail each stream right after its first message; the test ends the
conversation from inside that message's callback, so the end and the failure collide
in the same turn of the event loop every time."""

from __future__ import annotations

import asyncio

import pytest

from backend.clients.instances import TryInTurn
from backend.clients.stt import open_stt_stream
from backend.metrics import BackendMetrics
from backend.playback import PlaybackPacer
from backend.speech_out import SpeechOut
from backend.stt_link import SttLink
from tests.doubles.stt_double import SttDouble
from tests.doubles.tts_double import TtsDouble

pytestmark = pytest.mark.integration

KEY = "public_token"
ERROR = {"type": "Error", "message": "internal failure"}
HANG_GUARD_S = 10  # how long a loop that ignored its cancellation is given to show it


async def test_an_stt_stream_failing_as_the_conversation_ends_opens_no_other() -> None:
    word = {"type": "Word", "text": "hello", "start_time": 0.0}
    async with SttDouble(after_ready=[word, ERROR]) as stt:

        def browser_left(text: str, start_time: float) -> None:
            running.cancel()

        link = SttLink(
            lambda: open_stt_stream(stt.url, KEY),
            nodes=TryInTurn(),
            metrics=BackendMetrics(),
            on_step=lambda step, pause: None,
            on_word=browser_left,
            on_restart=lambda detail: None,
        )
        await link.open()
        running = asyncio.create_task(link.run())
        try:
            await asyncio.wait([running], timeout=HANG_GUARD_S)
            assert running.cancelled()
            assert stt.streams_opened == 1
        finally:
            stt.after_ready = []  # lets a loop that went on take its cancellation
            running.cancel()
            await asyncio.wait([running])
            await link.aclose()


async def test_a_tts_stream_failing_as_the_reply_is_cancelled_opens_no_other() -> None:
    # The first audio of a reply wakes its player: the moment the browser's leaving is seen.
    audio = {"type": "Audio", "pcm": [0.0] * 1920}
    async with TtsDouble(after_ready=[audio, ERROR]) as tts:

        def reply_cancelled() -> None:  # the browser left
            speaking.cancel()

        speech = SpeechOut(
            spec=tts.url,
            nodes=TryInTurn(),
            metrics=BackendMetrics(),
            api_key=KEY,
            voice="v",
            voice_embedding=None,
            pacer=PlaybackPacer(),
            wake=reply_cancelled,
        )
        speech.speak("hello")
        speaking = asyncio.create_task(speech.run())
        await asyncio.wait([speaking], timeout=HANG_GUARD_S)
        assert speaking.cancelled()
        assert tts.streams_opened == 1
