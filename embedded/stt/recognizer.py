"""Streaming speech recognition with pocketsphinx (en-US model shipped in its wheel).

Audio arrives as 16 kHz int16 PCM in 20 ms blocks, each marked voiced or not by the
VAD. A voiced block opens an utterance (with a little audio from before it, so the
recogniser hears the onset); a short silence closes it, and the decoder's final pass
then fixes the last words. Within a long utterance, words are committed as soon as they
are stable (see `word_commit`). This object is not thread-safe and holds the GIL while
decoding: the server runs one per worker process.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Sequence
from enum import Enum

from pocketsphinx import Decoder

from embedded.stt.voice_activity import BLOCK_S, BLOCK_SAMPLES, RECOGNIZER_RATE
from embedded.stt.word_commit import TimedWord, WordCommitter

# Audio kept from before the first voiced block: the VAD misses soft onsets, and the
# recogniser needs a little silence to align the first word.
PREROLL_S = 0.3
# Silence that closes an utterance, whose words are then all final. The backend cannot end
# the turn before (see `stream`), so this sets how soon the last words and the end of turn
# come. Measured on flite clips: 0.12 s puts the last word out 0.25 s after the voice
# stops (0.31 s at 0.16 s) for about the same accuracy; shorter splits words in noise.
UTTERANCE_END_SILENCE_S = 0.12
# An utterance is closed after this long even without a pause: the final pass costs time
# proportional to its length, and the words after it must still come out promptly.
MAX_UTTERANCE_S = 20.0
_BYTES_PER_SAMPLE = 2
_FRAMES_PER_S = 100  # pocketsphinx's feature frame rate
_PRONUNCIATION_VARIANT = re.compile(r"\(\d+\)$")


class _State(Enum):
    IDLE = "idle"
    SPEAKING = "speaking"


def create_decoder() -> Decoder:
    """A decoder for US English with pocketsphinx's bundled acoustic and language models."""
    # `live` cepstral mean normalisation adapts as audio streams in; the default (`batch`)
    # expects whole utterances up front. The second, flat-lexicon pass re-searches the whole
    # utterance once it ends; skipping it makes the last words come out ~0.1 s sooner and,
    # with words committed early anyway, cost no accuracy on our measurements.
    # Capping the HMMs searched per 10 ms frame (default 30 000) cut decoding time by a
    # third with no accuracy change on clean or noisy clips; 3 000 began to cost words.
    return Decoder(loglevel="FATAL", cmn="live", fwdflat=False, maxhmmpf=8000)


class SpeechRecognizer:
    """One stream's recognition: feed audio and VAD decisions, get final words back."""

    def __init__(self, decoder: Decoder | None = None) -> None:
        self._decoder = decoder or create_decoder()
        self._initial_cmn = self._decoder.get_cmn(False)
        self._preroll: deque[bytes] = deque(maxlen=round(PREROLL_S / BLOCK_S))
        self._state = _State.IDLE
        self.reset()

    def reset(self) -> None:
        """Forget the current stream, including the speaker's adapted normalisation."""
        if self._state is _State.SPEAKING:
            self._decoder.end_utt()
        self._decoder.set_cmn(self._initial_cmn)
        self._state = _State.IDLE
        self._preroll.clear()
        self._committer = WordCommitter()
        self._samples_seen = 0  # stream position of the next block
        self._utterance_start = 0  # stream position of the utterance's first sample
        self._silent_blocks = 0

    @property
    def in_utterance(self) -> bool:
        """True while an utterance is open, i.e. words may still be owed for past audio."""
        return self._state is _State.SPEAKING

    @property
    def audio_s(self) -> float:
        """Seconds of audio received in this stream."""
        return self._samples_seen / RECOGNIZER_RATE

    def feed(
        self, pcm16k: bytes, voiced: Sequence[bool], *, behind: bool = False
    ) -> list[TimedWord]:
        """Process whole 20 ms blocks (`len(voiced)` of them); the words now final.

        `behind` (more audio waiting) changes nothing: pocketsphinx decodes every block.
        """
        block_bytes = BLOCK_SAMPLES * _BYTES_PER_SAMPLE
        if len(pcm16k) != len(voiced) * block_bytes:
            raise ValueError("expected one voice decision per 20 ms block of audio")
        words: list[TimedWord] = []
        to_decode: list[bytes] = []
        for index, is_voiced in enumerate(voiced):
            block = pcm16k[index * block_bytes : (index + 1) * block_bytes]
            if self._state is _State.IDLE:
                if is_voiced:
                    self._start_utterance()
                    to_decode.extend(self._preroll)
                    self._preroll.clear()
                    to_decode.append(block)
                else:
                    self._preroll.append(block)
            else:
                to_decode.append(block)
                self._silent_blocks = 0 if is_voiced else self._silent_blocks + 1
            self._samples_seen += BLOCK_SAMPLES
            if self._state is _State.SPEAKING and self._utterance_is_over():
                self._decode(to_decode)
                to_decode = []
                words += self._end_utterance()
        if to_decode:
            self._decode(to_decode)
        if self._state is _State.SPEAKING:
            words += self._committer.on_guess(self._current_words(), self.audio_s)
        return words

    def finish(self) -> list[TimedWord]:
        """Close the utterance in progress now (a marker): its remaining words."""
        if self._state is _State.SPEAKING:
            return self._end_utterance()
        return []

    def _start_utterance(self) -> None:
        self._state = _State.SPEAKING
        self._silent_blocks = 0
        self._utterance_start = self._samples_seen - len(self._preroll) * BLOCK_SAMPLES
        self._decoder.start_utt()

    def _utterance_is_over(self) -> bool:
        silent_s = self._silent_blocks * BLOCK_S
        length_s = (self._samples_seen - self._utterance_start) / RECOGNIZER_RATE
        return silent_s >= UTTERANCE_END_SILENCE_S or length_s >= MAX_UTTERANCE_S

    def _decode(self, blocks: Iterable[bytes]) -> None:
        self._decoder.process_raw(b"".join(blocks), False, False)

    def _end_utterance(self) -> list[TimedWord]:
        self._decoder.end_utt()
        self._state = _State.IDLE
        return self._committer.on_final(self._current_words())

    def _current_words(self) -> list[TimedWord]:
        """The decoder's best hypothesis so far, as words placed in the stream."""
        offset_s = self._utterance_start / RECOGNIZER_RATE
        words = []
        for segment in self._decoder.seg() or ():
            text = _PRONUNCIATION_VARIANT.sub("", segment.word)
            if text.startswith(("<", "[")):  # silence, sentence markers, noise
                continue
            words.append(
                TimedWord(
                    text=text,
                    start_s=offset_s + segment.start_frame / _FRAMES_PER_S,
                    stop_s=offset_s + (segment.end_frame + 1) / _FRAMES_PER_S,
                )
            )
        return words
