"""Speak phrases with a Piper voice, without blocking the event loop.

A phrase is spoken on a pool of threads of the engine's own (`parallel` phrases at once,
the most urgent first; each model call with the voice's onnxruntime threads). Its
phonemes come from libespeak-ng on the espeak engine's thread, the only one that may use
it. Audio is trimmed of the model's silence at both ends (the stream adds its own pause
by punctuation), resampled to 24 kHz, and each word is timed by the model's phoneme
durations. Voice ids the voice cannot speak (French ones, with an English voice) are
spoken by espeak-ng.
"""

from __future__ import annotations

import asyncio
import functools
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
import soxr

from backend.speech_protocol.constants import SAMPLE_RATE
from embedded.model_packages import PIPER_JOE_MEDIUM
from embedded.tts import voices
from embedded.tts.engine import SpeechEngine, shared_engine
from embedded.tts.espeak import Espeak, EspeakError, EspeakParams
from embedded.tts.piper_phonemes import PhrasePhonemes, phrase_phonemes, to_ids
from embedded.tts.piper_voice import InvalidVoice, PiperVoice
from embedded.tts.piper_voices import (
    DEFAULT_PIPER_VOICE,
    PiperParams,
    piper_voice_for_id,
    pitch_and_tempo,
)
from embedded.tts.synthesizer import TimedWord, Utterance
from embedded.tts.urgency_pool import UrgencyPool
from embedded.voice_cloning.analysis import VoiceMeasurements, measure_voice
from embedded.voice_cloning.profile import VoiceProfile

PiperEngineVoice = PiperParams | EspeakParams

# Silence kept before the first sound and after the last one of a phrase.
_LEAD_S = 0.01
_TAIL_S = 0.04
# Sound is what comes within this many dB of the phrase's loudest 5 ms.
_SOUND_WITHIN_DB = 40.0
_WINDOW_S = 0.005
# The model rounds each phoneme's duration up to whole frames, so its speech lengthens
# more slowly than length_scale: as length_scale ** 0.7 (measured on the packaged voice,
# at 0.6-1.6). Its inverse makes tempo and pitch changes keep the length they ask for.
_LENGTH_EXPONENT = 1 / 0.7
# Enough speech to measure the voice's own pitch and rate, for cloned voices.
_CALIBRATION_TEXT = (
    "The quick brown fox jumps over the lazy dog. I would like a cup of tea, please, "
    "and some biscuits. Yesterday we walked along the river and talked about the weather."
)
# Piper takes ~0.1 s per phrase: two words start the reply sooner than three, and a
# short second phrase is ready before the first has been heard (docs/benchmarks.md).
PIPER_WORD_LIMITS = (2, 6, 12)
# One model call speaks at most this many phoneme code points (~8 s of speech; a
# 12-word phrase has ~80). Its activations take ~30 MB per second of speech, so longer
# phrases are split, and a runaway word (100 symbols spelled out) is cut.
MAX_PHONEMES_PER_CALL = 160


class PiperEngine:
    def __init__(self, voice: PiperVoice, espeak: SpeechEngine, parallel: int = 1) -> None:
        self.voice = voice
        self.phrase_word_limits: tuple[int, ...] = PIPER_WORD_LIMITS
        self._espeak = espeak
        self._pool = UrgencyPool(parallel, name="piper")
        self._own_voice: VoiceMeasurements | None = None
        self._measuring = threading.Lock()
        self._check_espeak_voice()

    def voice_for_id(self, voice_id: str | None) -> PiperEngineVoice:
        if voice_id and voices.is_french(voice_id) and self.voice.language != "fr":
            return voices.voice_for_id(voice_id)
        return piper_voice_for_id(voice_id, self.voice.num_speakers)

    def voice_for_profile(self, profile: VoiceProfile) -> PiperEngineVoice:
        return PiperParams(profile=profile)

    async def speak(
        self,
        words: Sequence[str],
        voice: PiperEngineVoice,
        open_ended: bool,
        deadline: float | None = None,
    ) -> Utterance:
        if isinstance(voice, EspeakParams):
            return await self._espeak.speak(words, voice, open_ended)
        work = functools.partial(self._speak_blocking, tuple(words), voice, open_ended)
        due = time.monotonic() if deadline is None else deadline
        return await asyncio.wrap_future(self._pool.submit(work, due))

    def speak_now(self, text: str, voice: PiperParams = DEFAULT_PIPER_VOICE) -> Utterance:
        """A whole text as one phrase, for code without an event loop (tests, tools)."""
        work = functools.partial(self._speak_blocking, tuple(text.split()), voice, False)
        return self._pool.submit(work, time.monotonic()).result()

    def _speak_blocking(
        self, words: tuple[str, ...], params: PiperParams, open_ended: bool
    ) -> Utterance:
        """On a Piper thread: phonemes (from the espeak thread), then the model."""
        if params.profile is not None:
            self._measure_own_voice()
        started = time.perf_counter()
        phonemes = self._espeak.call_now(functools.partial(self._phonemes, words, open_ended))
        if len(phonemes.phonemes) > MAX_PHONEMES_PER_CALL and len(words) > 1:
            half = len(words) // 2
            head = self._speak_blocking(words[:half], params, True)
            return _joined(head, self._speak_blocking(words[half:], params, open_ended))
        return self._render(words, phonemes.cut(MAX_PHONEMES_PER_CALL), params, started)

    def _measure_own_voice(self) -> None:
        """The voice's own pitch and rate, which cloned profiles are compared with."""
        with self._measuring:
            if self._own_voice is None:
                own = self._speak_blocking(
                    tuple(_CALIBRATION_TEXT.split()), DEFAULT_PIPER_VOICE, False
                )
                self._own_voice = measure_voice(own.audio, SAMPLE_RATE)

    def _phonemes(self, words: Sequence[str], open_ended: bool, espeak: Espeak) -> PhrasePhonemes:
        phonemize = functools.partial(espeak.phonemize, voice=self.voice.espeak_voice)
        return phrase_phonemes(words, phonemize, open_ended)

    def _render(
        self,
        words: Sequence[str],
        phonemes: PhrasePhonemes,
        params: PiperParams,
        started: float,
    ) -> Utterance:
        pitch, tempo = pitch_and_tempo(params, self._own_voice)
        ids = to_ids(phonemes, self.voice.config.phoneme_id_map, len(words))
        # Slower by `pitch`, then played faster by `pitch`: the tempo stays, the pitch moves.
        synthesis = self.voice.synthesize(
            ids.ids,
            length_scale=(pitch / tempo) ** _LENGTH_EXPONENT,
            speaker_id=params.speaker_id,
        )
        first, end = sound_bounds(synthesis.audio, self.voice.sample_rate)
        played_rate = self.voice.sample_rate * pitch
        audio = _resample(synthesis.audio[first:end], played_rate)
        edges = id_edges_s(
            synthesis.id_samples,
            id_count=len(ids.ids),
            raw_samples=len(synthesis.audio),
            trimmed_from=first,
            played_rate=played_rate,
            duration_s=len(audio) / SAMPLE_RATE,
        )
        return Utterance(
            audio=audio,
            words=ids.word_times(words, edges),
            synthesis_s=time.perf_counter() - started,
        )

    def _check_espeak_voice(self) -> None:
        name = self.voice.espeak_voice
        try:
            self._espeak.call_now(lambda espeak: espeak.phonemize("test", name))
        except EspeakError:
            raise InvalidVoice(
                f"{self.voice.model_path} needs espeak-ng's voice {name!r}, which is not installed"
            ) from None


def id_edges_s(
    id_samples: npt.NDArray[np.float64] | None,
    *,
    id_count: int,
    raw_samples: int,
    trimmed_from: int,
    played_rate: float,
    duration_s: float,
) -> npt.NDArray[np.float64]:
    """When each phoneme id starts in the trimmed, resampled audio (`id_count + 1` edges,
    the last one its end). Without the model's durations every id lasts alike."""
    if id_samples is None:
        id_samples = np.full(id_count, raw_samples / max(id_count, 1))
    edges = (np.concatenate([[0.0], np.cumsum(id_samples)]) - trimmed_from) / played_rate
    clipped: npt.NDArray[np.float64] = np.clip(edges, 0.0, duration_s)
    return clipped


def sound_bounds(audio: npt.NDArray[np.float32], sample_rate: int) -> tuple[int, int]:
    """[first, end) samples of `audio` worth keeping: its sound, a little silence around."""
    window = max(1, round(_WINDOW_S * sample_rate))
    count = len(audio) // window
    if count == 0:
        return 0, len(audio)
    power = np.mean(np.square(audio[: count * window].reshape(count, window)), axis=1)
    loud = np.flatnonzero(power >= power.max() * 10 ** (-_SOUND_WITHIN_DB / 10))
    if power.max() <= 0 or len(loud) == 0:
        return 0, len(audio)
    first = max(0, int(loud[0]) * window - round(_LEAD_S * sample_rate))
    end = min(len(audio), (int(loud[-1]) + 1) * window + round(_TAIL_S * sample_rate))
    return first, end


def _joined(head: Utterance, tail: Utterance) -> Utterance:
    offset = head.duration_s
    return Utterance(
        audio=np.concatenate([head.audio, tail.audio]),
        words=[
            *head.words,
            *(TimedWord(w.text, w.start_s + offset, w.stop_s + offset) for w in tail.words),
        ],
        synthesis_s=head.synthesis_s + tail.synthesis_s,
    )


def _resample(audio: npt.NDArray[np.float32], from_rate: float) -> npt.NDArray[np.float32]:
    if len(audio) == 0:
        return np.zeros(0, np.float32)
    resampled = audio if from_rate == SAMPLE_RATE else soxr.resample(audio, from_rate, SAMPLE_RATE)
    # Resampling can overshoot a full-scale peak a little.
    clipped: npt.NDArray[np.float32] = np.clip(resampled, -1.0, 1.0).astype(np.float32)
    return clipped


@functools.cache
def load_piper_engine(
    model_path: Path | None = None, threads: int = 1, parallel: int = 1
) -> PiperEngine:
    """The process's engine for a voice (the packaged one by default), loaded once.

    Raises `ModelNotFound` or `InvalidVoice`, whose messages say what to do.
    """
    voice = PiperVoice(model_path or PIPER_JOE_MEDIUM.path(), threads=threads)
    engine = PiperEngine(voice, shared_engine(), parallel=parallel)
    engine.speak_now("Ready.")  # onnxruntime plans its memory on the first run
    return engine


def synthesize(text: str, model_path: Path | None = None) -> npt.NDArray[np.float32]:
    """24 kHz float32 speech for `text` in a Piper voice (the packaged one by default)."""
    return load_piper_engine(model_path).speak_now(text).audio
