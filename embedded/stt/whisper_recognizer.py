"""Streaming recognition with Whisper, which only transcribes whole windows of audio.

Audio arrives as 16 kHz int16 PCM in 20 ms blocks, each marked voiced or not by the VAD
(Silero). A voiced block opens an utterance, with a little audio from before it; a short
silence closes it. While it is open, its audio window is transcribed again every
`PASS_INTERVAL_S` of new audio, and `LocalAgreement` commits the words two consecutive
transcriptions agree on, so words come out while the speaker is still talking. As soon as
the voice pauses, the window is transcribed again; if the pause lasts until the utterance
closes, that transcription is final as a whole: the last words are out the moment the
utterance closes, with no flush needed, the transcription having run during the pause. A
long utterance's window is cut after committed words (at a sentence end when it can), so
that each transcription stays short; the words cut off are given to Whisper as context.

This object is pure apart from the `transcribe` function it is given, so its timing rules
are tested with a scripted one. It is not thread-safe; the server runs one per worker
process.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

from embedded.stt.local_agreement import LocalAgreement
from embedded.stt.voice_activity import BLOCK_S, BLOCK_SAMPLES, RECOGNIZER_RATE
from embedded.stt.word_commit import TimedWord

# Audio from before the first voiced block: Silero hears an onset a block or two late.
PREROLL_S = 0.3
# Silence that closes an utterance, whose transcription made early in the pause is then
# final. Gaps inside flite sentences stay under 0.1 s, and Silero's voiced tail after
# speech lasts 0.06-0.2 s: measured, the last word reaches a client 0.26 s (p50) after
# the speech stops.
UTTERANCE_END_SILENCE_S = 0.16
# New audio between two transcriptions of an open utterance: each word needs two of them
# to agree, so this sets how soon words come out, and what it costs (one transcription
# per interval of speech).
PASS_INTERVAL_S = 0.4
FIRST_PASS_AFTER_S = 0.4  # less audio than this holds no whole word
# Silence after which the window is transcribed at once, in case the utterance closes:
# two blocks, since Silero's decisions come in 32 ms steps.
PAUSE_PASS_AFTER_S = 0.04
# When the window is longer than this, it is cut at the end of the last committed
# sentence...
TRIM_AT_SENTENCE_AFTER_S = 8.0
# ...or, longer still, after the last committed word.
TRIM_AT_WORD_AFTER_S = 14.0
# Whisper hears at most 30 s; an utterance this long without a committed word to cut
# after is closed, and its transcription final.
MAX_WINDOW_S = 25.0
CONTEXT_WORDS = 40  # words cut off the window that are given as context
_BYTES_PER_SAMPLE = 2
_SENTENCE_ENDS = (".", "?", "!")

Transcribe = Callable[[npt.NDArray[np.float32], str, bool], list[TimedWord]]
"""Words in 16 kHz float32 audio, timed from its start, given the words said before it;
the flag says the transcription may be the utterance's final one."""


class WhisperRecognizer:
    """One stream's recognition: feed audio and VAD decisions, get final words back."""

    def __init__(self, transcribe: Transcribe) -> None:
        self._transcribe = transcribe
        self._preroll: deque[npt.NDArray[np.float32]] = deque(maxlen=round(PREROLL_S / BLOCK_S))
        self.reset()

    def reset(self) -> None:
        """Forget the current stream."""
        self._preroll.clear()
        self._agreement = LocalAgreement()
        self._open = False
        self._window: list[npt.NDArray[np.float32]] = []
        self._window_start = 0  # stream position of the window's first sample
        self._samples_seen = 0  # stream position of the next block
        self._silent_blocks = 0
        self._last_pass_at = 0
        self._context: list[str] = []
        self._pause_transcription: list[TimedWord] | None = None  # of the window, in a pause

    @property
    def in_utterance(self) -> bool:
        """True while an utterance is open, i.e. words may still be owed for past audio."""
        return self._open

    @property
    def audio_s(self) -> float:
        """Seconds of audio received in this stream."""
        return self._samples_seen / RECOGNIZER_RATE

    def feed(
        self, pcm16k: bytes, voiced: Sequence[bool], *, behind: bool = False
    ) -> list[TimedWord]:
        """Take whole 20 ms blocks (`len(voiced)` of them); the words now final.

        `behind`: more audio is already waiting, so a transcription of this window would
        be out of date at once; only the one that closes an utterance runs.
        """
        if len(pcm16k) != len(voiced) * BLOCK_SAMPLES * _BYTES_PER_SAMPLE:
            raise ValueError("expected one voice decision per 20 ms block of audio")
        samples = np.frombuffer(pcm16k, dtype=np.int16).astype(np.float32) / 32768.0
        words: list[TimedWord] = []
        for index, is_voiced in enumerate(voiced):
            block = samples[index * BLOCK_SAMPLES : (index + 1) * BLOCK_SAMPLES]
            if self._open:
                self._window.append(block)
                self._silent_blocks = 0 if is_voiced else self._silent_blocks + 1
                if is_voiced:
                    self._pause_transcription = None  # the voice goes on: it is out of date
            elif is_voiced:
                self._open_utterance(block)
            else:
                self._preroll.append(block)
            self._samples_seen += BLOCK_SAMPLES
            if self._open and self._utterance_is_over():
                words += self._final_pass()
        if self._open and not behind:
            if self._pause_transcription is None and self._in_pause():
                words += self._interim_pass(in_pause=True)
            elif self._pass_is_due():
                words += self._interim_pass()
        return words

    def finish(self) -> list[TimedWord]:
        """Close the utterance in progress now (a marker): its remaining words."""
        return self._final_pass() if self._open else []

    def _open_utterance(self, block: npt.NDArray[np.float32]) -> None:
        self._open = True
        self._window = [*self._preroll, block]
        self._window_start = self._samples_seen - len(self._preroll) * BLOCK_SAMPLES
        self._preroll.clear()
        self._silent_blocks = 0
        self._last_pass_at = self._window_start
        self._context = []

    def _window_s(self) -> float:
        return (self._samples_seen - self._window_start) / RECOGNIZER_RATE

    def _utterance_is_over(self) -> bool:
        return (
            self._silent_blocks * BLOCK_S >= UTTERANCE_END_SILENCE_S
            or self._window_s() >= MAX_WINDOW_S
        )

    def _in_pause(self) -> bool:
        return self._silent_blocks * BLOCK_S >= PAUSE_PASS_AFTER_S

    def _pass_is_due(self) -> bool:
        since_last_s = (self._samples_seen - self._last_pass_at) / RECOGNIZER_RATE
        return self._window_s() >= FIRST_PASS_AFTER_S and since_last_s >= PASS_INTERVAL_S

    def _interim_pass(self, in_pause: bool = False) -> list[TimedWord]:
        transcription = self._transcription(final=in_pause)
        if in_pause:
            self._pause_transcription = transcription
        committed = self._agreement.on_transcription(transcription)
        self._trim_window()
        return committed

    def _final_pass(self) -> list[TimedWord]:
        transcription = self._pause_transcription
        if transcription is None:
            transcription = self._transcription(final=True)
        committed = self._agreement.on_final(transcription)
        self._open = False
        self._window = []
        self._context = []
        self._pause_transcription = None
        return committed

    def _transcription(self, final: bool = False) -> list[TimedWord]:
        """The window transcribed, its words placed in the stream."""
        self._last_pass_at = self._samples_seen
        audio = np.concatenate(self._window)
        offset_s = self._window_start / RECOGNIZER_RATE
        end_s = self._samples_seen / RECOGNIZER_RATE
        return [
            TimedWord(word.text, offset_s + word.start_s, min(offset_s + word.stop_s, end_s))
            for word in self._transcribe(audio, " ".join(self._context[-CONTEXT_WORDS:]), final)
        ]

    def _trim_window(self) -> None:
        """Cut a long window after committed words, which then become context."""
        window_s = self._window_s()
        committed = self._agreement.committed_in_window
        if window_s <= TRIM_AT_SENTENCE_AFTER_S or not committed:
            return
        sentence_ends = [word for word in committed if word.text.endswith(_SENTENCE_ENDS)]
        if sentence_ends:
            cut_s = sentence_ends[-1].stop_s
        elif window_s > TRIM_AT_WORD_AFTER_S:
            cut_s = committed[-1].stop_s
        else:
            return
        cut = min(round(cut_s * RECOGNIZER_RATE), self._samples_seen)
        if cut <= self._window_start:
            return
        audio = np.concatenate(self._window)
        self._window = [audio[cut - self._window_start :]]
        self._window_start = cut
        self._context += [word.text for word in committed if word.stop_s <= cut_s]
        self._agreement.forget_before(cut_s)
