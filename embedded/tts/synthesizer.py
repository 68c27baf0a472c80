"""What a TTS stream needs from an engine, whichever it is (espeak-ng or a Piper voice).

An engine picks a voice for a voice id or a cloned voice's profile, and speaks one phrase
at a time: 24 kHz float32 audio and when each word is said in it. The voice type is the
engine's own; the stream only passes it back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

import numpy as np
import numpy.typing as npt

from backend.speech_protocol.constants import SAMPLE_RATE
from embedded.voice_cloning.profile import VoiceProfile

VoiceT = TypeVar("VoiceT")


@dataclass(frozen=True)
class TimedWord:
    text: str
    start_s: float
    stop_s: float


@dataclass(frozen=True)
class Utterance:
    """A spoken phrase: 24 kHz float32 audio and when each word is said in it."""

    audio: npt.NDArray[np.float32]
    words: list[TimedWord]
    synthesis_s: float  # compute time spent on it

    @property
    def duration_s(self) -> float:
        return len(self.audio) / SAMPLE_RATE


class Synthesizer(Protocol[VoiceT]):
    # Most words per phrase, first phrase first (see `phrasing.PhraseChunker`): a slower
    # engine starts with a shorter phrase, to speak sooner.
    phrase_word_limits: tuple[int, ...]

    def voice_for_id(self, voice_id: str | None) -> VoiceT:
        """The voice for a `voice` query parameter; no id means the default voice."""
        ...

    def voice_for_profile(self, profile: VoiceProfile) -> VoiceT:
        """A voice that speaks at a cloned profile's pitch and rate."""
        ...

    async def speak(
        self,
        words: Sequence[str],
        voice: VoiceT,
        open_ended: bool,
        deadline: float | None = None,
    ) -> Utterance:
        """Speak `words` as one phrase; `open_ended` when the sentence goes on after it.

        `deadline` (`time.monotonic()`; None: now) is when the listener runs out of audio:
        an engine whose threads serve several streams serves the earliest first.
        """
        ...
