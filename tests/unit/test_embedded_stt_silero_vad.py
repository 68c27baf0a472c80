"""Silero VAD (the ONNX model in the faster-whisper wheel) on spoken clips and on noise."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pytest

from embedded.model_packages import ModelNotFound
from embedded.stt import silero_vad
from embedded.stt.framing import FrameAssembler
from embedded.stt.silero_vad import SileroModel, SileroVoiceActivityDetector
from embedded.stt.voice_activity import BLOCK_SAMPLES
from tests.recognition_clips import with_noise
from tests.speech_clips import SAMPLE_RATE, silence, speak

BLOCKS_PER_S = 50


@pytest.fixture(scope="module")
def model() -> SileroModel:
    return SileroModel()


def decisions(model: SileroModel, pcm: npt.NDArray[np.float32]) -> tuple[list[bool], int]:
    """Every block's decision, and the bytes of 16 kHz PCM handed on."""
    vad = SileroVoiceActivityDetector(model)
    voiced: list[bool] = []
    pcm_bytes = 0
    for frame in FrameAssembler().push(pcm):
        analysed = vad.analyse(frame)
        voiced += analysed.voiced
        pcm_bytes += len(analysed.pcm16k)
    return voiced, pcm_bytes


def longest_run(values: Sequence[bool], value: bool) -> int:
    longest = run = 0
    for item in values:
        run = run + 1 if item == value else 0
        longest = max(longest, run)
    return longest


def test_voice_is_found_in_speech_and_nowhere_else(model: SileroModel) -> None:
    speech = speak("please turn off the lights in the kitchen")
    voiced, pcm_bytes = decisions(model, np.concatenate([silence(1.0), speech, silence(1.0)]))
    assert pcm_bytes == len(voiced) * BLOCK_SAMPLES * 2
    assert not any(voiced[: BLOCKS_PER_S * 9 // 10])  # the leading silence
    assert not any(voiced[-BLOCKS_PER_S * 7 // 10 :])  # the trailing silence, past the tail
    assert sum(voiced) > 0.6 * len(speech) / SAMPLE_RATE * BLOCKS_PER_S


def test_a_sentence_is_one_stretch_of_voice(model: SileroModel) -> None:
    speech = speak("i am going to the store this afternoon")
    voiced, _ = decisions(model, np.concatenate([silence(0.5), speech, silence(1.0)]))
    first, last = voiced.index(True), len(voiced) - voiced[::-1].index(True)
    # Gaps inside the sentence stay far below the silence that closes an utterance.
    assert longest_run(voiced[first:last], False) * 0.02 < 0.1


def test_noise_alone_is_not_voice(model: SileroModel) -> None:
    noise = np.random.default_rng(1).standard_normal(3 * SAMPLE_RATE).astype(np.float32)
    assert not any(decisions(model, 0.1 * noise)[0])  # loud white noise (-20 dBFS)


def test_speech_in_noise_is_still_found(model: SileroModel) -> None:
    speech = np.concatenate([silence(1.0), speak("what time is it right now"), silence(1.0)])
    voiced, _ = decisions(model, with_noise(speech, 10.0, seed=2))
    assert not any(voiced[: BLOCKS_PER_S * 9 // 10])
    assert sum(voiced) > BLOCKS_PER_S  # over a second of it


def test_streams_keep_their_own_state(model: SileroModel) -> None:
    speech = np.concatenate([silence(0.3), speak("hello how are you today")])
    alone, _ = decisions(model, speech)
    busy = SileroVoiceActivityDetector(model)
    other = SileroVoiceActivityDetector(model)
    interleaved: list[bool] = []
    for frame in FrameAssembler().push(speech):
        busy.analyse(frame[::-1].copy())  # another stream, other audio, same model
        interleaved += other.analyse(frame).voiced
    assert interleaved == alone


def test_a_missing_model_says_which_extra_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(silero_vad, "package_folder", lambda _: None)
    with pytest.raises(ModelNotFound, match="'neural' extra"):
        silero_vad.silero_model_path()
