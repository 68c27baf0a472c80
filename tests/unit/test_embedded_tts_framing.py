"""Cutting phrase audio into 80 ms frames with each word's Text ahead of its audio."""

from __future__ import annotations

import numpy as np

from backend.speech_protocol.codec import Audio
from backend.speech_protocol.constants import FRAME_SAMPLES, SAMPLE_RATE
from backend.speech_protocol.tts_messages import TextTiming
from embedded.tts.engine import TimedWord
from embedded.tts.framing import AudioFramer, FramedMessage


def ramp(n: int) -> np.ndarray:
    return np.linspace(0.1, 0.9, n, dtype=np.float32)


def audio_of(messages: list[FramedMessage]) -> list[Audio]:
    return [m for m in messages if isinstance(m, Audio)]


def test_frames_are_exactly_1920_samples_and_the_rest_waits() -> None:
    framer = AudioFramer()
    messages = framer.push(ramp(FRAME_SAMPLES * 2 + 100), [])
    frames = audio_of(messages)
    assert [len(f.pcm) for f in frames] == [FRAME_SAMPLES, FRAME_SAMPLES]
    last = framer.finish()
    assert len(last) == 1 and isinstance(last[0], Audio)
    assert len(last[0].pcm) == FRAME_SAMPLES
    assert np.all(last[0].pcm[100:] == 0.0)
    assert np.all(last[0].pcm[:100] > 0.0)


def test_audio_is_carried_over_between_phrases_without_loss() -> None:
    framer = AudioFramer()
    first = ramp(1000)
    second = ramp(3000)
    frames = audio_of(framer.push(first, []) + framer.push(second, []) + framer.finish())
    joined = np.concatenate([f.pcm for f in frames])
    np.testing.assert_array_equal(joined[:4000], np.concatenate([first, second]))


def test_word_times_are_shifted_by_the_audio_before_them() -> None:
    framer = AudioFramer()
    framer.push(np.zeros(SAMPLE_RATE // 2, np.float32), [])
    messages = framer.push(ramp(SAMPLE_RATE), [TimedWord("hi", 0.1, 0.4)])
    messages += framer.finish()
    texts = [m for m in messages if isinstance(m, TextTiming)]
    assert texts == [TextTiming("hi", 0.6, 0.9)]


def test_each_text_comes_before_the_frame_holding_its_start() -> None:
    framer = AudioFramer()
    words = [TimedWord(f"w{i}", 0.05 + 0.2 * i, 0.25 + 0.2 * i) for i in range(5)]
    messages = framer.push(ramp(SAMPLE_RATE), words) + framer.finish()
    frames_before = 0
    for message in messages:
        if isinstance(message, Audio):
            frames_before += 1
        elif isinstance(message, TextTiming):
            frame_of_start = int(message.start_s * SAMPLE_RATE) // FRAME_SAMPLES
            assert frames_before <= frame_of_start
    assert sum(isinstance(m, TextTiming) for m in messages) == 5


def test_silence_is_pushed_as_zeros() -> None:
    framer = AudioFramer()
    frames = audio_of(framer.push_silence(0.16))
    assert len(frames) == 2 and all(np.all(f.pcm == 0) for f in frames)
    assert framer.pushed_s == 0.16


def test_finish_on_an_empty_framer_sends_nothing() -> None:
    assert AudioFramer().finish() == []
