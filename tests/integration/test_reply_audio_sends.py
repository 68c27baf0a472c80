"""How a reply hands the bot's voice to the browser: whole releases, not TTS frames.

The TTS runs ahead of real time, so the pacer releases its audio in refills of several
frames; each release goes to the browser in one send (one `response.audio.delta`), with
every sample of the TTS's audio, in order.
"""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from backend.clients.llm import LlmClient
from backend.reply import Pcm
from tests.doubles.llm_double import LlmDouble
from tests.doubles.tts_double import FRAME_SAMPLES, TtsDouble, word_tone
from tests.integration.reply_session import ReplySession

pytestmark = pytest.mark.integration

GUARD_S = 10
WORD_S = 0.25  # four words: a second of audio, a dozen TTS frames


class RecordingSession(ReplySession):
    def __init__(self, llm: LlmClient, tts_url: str) -> None:
        super().__init__(llm, tts_url)
        self.sends: list[Pcm] = []

    def play_audio(self, pcm: Pcm) -> None:
        super().play_audio(pcm)
        self.sends.append(pcm)


async def test_each_release_of_several_tts_frames_is_one_send_with_all_their_audio() -> None:
    async with (
        TtsDouble(word_duration_s=WORD_S) as tts,
        LlmDouble(["one two three four"]) as llm_server,
        LlmClient(llm_server.url) as llm,
    ):
        session = RecordingSession(llm, tts.url)
        session.start_reply(1)
        assert session.reply is not None
        await asyncio.wait_for(session.reply.wait_closed(), GUARD_S)
    assert session.finished == [1]
    spoken = np.concatenate([word_tone(index, WORD_S) for index in range(4)])
    sent = np.concatenate(session.sends)
    assert sent.size == tts.audio_frames_sent * FRAME_SAMPLES, "every TTS sample, once"
    np.testing.assert_array_equal(sent[: spoken.size], spoken)  # in order
    assert not sent[spoken.size :].any()  # then the last frame's padding
    assert len(session.sends) < tts.audio_frames_sent
    assert max(pcm.size for pcm in session.sends) > FRAME_SAMPLES, "frames joined in a send"
