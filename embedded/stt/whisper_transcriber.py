"""Whisper on the CPU (CTranslate2 through faster-whisper): a window of audio in, timed words out.

faster-whisper pads every clip to Whisper's 30 s window, which costs ~0.5 s per call on
one core whatever the clip's length. CTranslate2's encoder also accepts shorter inputs,
so a window here is padded only to the next of a few fixed sizes with at least
`WINDOW_MARGIN_S` of silence after the audio: the trailing silence is what tells Whisper
that the speech has ended, and without it the decoder tends to repeat itself. The
decoder is further bounded (tokens per second of audio, no repeated 3-grams), which stops
the loops a short window can still start. Words are timed by CTranslate2's alignment of
the text against the audio (Whisper's cross-attention), as faster-whisper's
`word_timestamps` does, then tidied (`word_timing`), which also drops the words a loop
writes past the end of what was heard.
"""

from __future__ import annotations

import importlib.util
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from embedded.stt.word_commit import TimedWord
from embedded.stt.word_timing import tidy_words

WHISPER_SAMPLE_RATE = 16_000  # what Whisper hears: the VAD resamples the 24 kHz wire audio
_FRAMES_PER_S = 100  # mel frames
# Window sizes an utterance is padded to; the encoder's cost grows with the size (measured
# on one core, features included: 14-16 ms at 4-6 s, 35-40 ms at 10 s, 0.33-0.55 s at 30 s).
# On the clip set, Whisper's fixed 30 s window had 5.9 % word errors on clean speech where
# these have 9.5 % (the same in noise), for 20 times less encoder time.
WINDOW_SIZES_S = (4, 6, 8, 10, 15, 20, 30)
# A transcription that may be final gets at least 10 s: of the 3.6 points above, 1.2 came
# back for 20 ms more once per utterance.
FINAL_WINDOW_SIZES_S = (10, 15, 20, 30)
WINDOW_MARGIN_S = 2.0
MAX_AUDIO_S = 30.0  # Whisper's own window: longer audio is cut
# Hypotheses the decoder keeps. Measured on the clip set (16 sentences per voice), word
# errors clean / 20 dB / 10 dB of white noise: 8.5 / 17.7 / 36.8 % with one (greedy),
# 6.4 / 14.2 / 30.5 % with five. CTranslate2 decodes the five as one batch: a final
# transcription took 110-115 ms of CPU either way (loaded core, 10 s window), the whole
# clip set 19 % more recognition CPU; docs/benchmarks.md has the latency measured so far.
BEAM_SIZE = 5
# No real speech needs more tokens than this (words and timestamps): a decoder stuck in a
# loop stops here.
MAX_TOKENS_PER_S = 7
MIN_TOKENS = 10
NO_REPEATED_NGRAM = 3
PROMPT_TOKENS = 64  # earlier words of the utterance, given as context
WHISPER_MAX_LENGTH = 448  # the decoder's positions
# Whisper's own silence rule: no speech, and the text it produced is unlikely anyway...
NO_SPEECH_PROBABILITY = 0.6
MIN_AVERAGE_LOG_PROBABILITY = -1.0
# ...and, however likely the text, a window Whisper is this sure holds no speech (its
# "you" on silence). Measured on the clip set: speech at most 0.60 (10 dB SNR), 0.43
# clean; silence, noise or a cough 0.91-0.99.
CONFIDENT_NO_SPEECH_PROBABILITY = 0.8
_TIMESTAMP_S = 0.02  # what one timestamp token stands for
MAX_INITIAL_TIMESTAMP_S = 1.0  # the first words start within this, as faster-whisper's default
_PREPEND_PUNCTUATION = "\"'“¿([{-"  # faster-whisper's defaults
_APPEND_PUNCTUATION = "\"'.。,，!！?？:：”)]}、"
REQUIRED_FILES = ("model.bin", "config.json", "tokenizer.json")


class InvalidWhisperModel(ValueError):
    """A folder that is not a CTranslate2 Whisper model; the message says what is wrong."""


def check_model_folder(folder: Path) -> None:
    """Raise `InvalidWhisperModel` unless `folder` holds a CTranslate2 Whisper model."""
    if not folder.is_dir():
        raise InvalidWhisperModel(f"{folder} is not a folder holding a CTranslate2 Whisper model")
    missing = [name for name in REQUIRED_FILES if not (folder / name).is_file()]
    if missing:
        raise InvalidWhisperModel(
            f"{folder} is not a CTranslate2 Whisper model: {', '.join(missing)} missing "
            "(convert one with ct2-transformers-converter, keeping tokenizer.json)"
        )
    if importlib.util.find_spec("faster_whisper") is None:
        raise InvalidWhisperModel(
            "the whisper engine needs faster-whisper: install the 'neural' extra "
            "(pip install -e '.[neural]')"
        )


def window_seconds(audio_s: float, sizes: Sequence[int] = WINDOW_SIZES_S) -> int:
    """The window `audio_s` of audio is padded to: the smallest leaving the margin."""
    return next((size for size in sizes if size >= audio_s + WINDOW_MARGIN_S), sizes[-1])


@dataclass(frozen=True)
class WhisperSettings:
    model: Path
    threads: int = 1  # CTranslate2 threads per recogniser process
    window_sizes_s: tuple[int, ...] = WINDOW_SIZES_S  # (30,) is faster-whisper's fixed window
    final_window_sizes_s: tuple[int, ...] = FINAL_WINDOW_SIZES_S
    beam_size: int = BEAM_SIZE  # 1: greedy decoding


@dataclass
class TranscriptionStats:
    """Where the time goes (seconds of wall time, which on one thread is CPU time)."""

    calls: int = 0
    audio_s: float = 0.0
    window_s: float = 0.0  # the audio as padded for the encoder
    encode_s: float = 0.0  # features and encoder
    decode_s: float = 0.0  # the decoder writing the text
    align_s: float = 0.0  # word timestamps


class WhisperTranscriber:
    """One loaded model; `transcribe` is called from one thread at a time."""

    def __init__(self, settings: WhisperSettings) -> None:
        # Imported here: the server process, which never transcribes, stays without them.
        from faster_whisper import WhisperModel  # type: ignore[import-untyped]
        from faster_whisper.tokenizer import Tokenizer  # type: ignore[import-untyped]
        from faster_whisper.transcribe import (  # type: ignore[import-untyped]
            get_suppressed_tokens,
            merge_punctuations,
        )

        check_model_folder(settings.model)
        self._settings = settings
        self._whisper = WhisperModel(
            str(settings.model),
            device="cpu",
            compute_type="int8",
            cpu_threads=settings.threads,
            num_workers=1,
            local_files_only=True,
        )
        model = self._whisper.model
        self._tokenizer = Tokenizer(
            self._whisper.hf_tokenizer, model.is_multilingual, task="transcribe", language="en"
        )
        self._suppressed = list(get_suppressed_tokens(self._tokenizer, [-1]) or ())
        self._merge_punctuations = merge_punctuations
        self.stats = TranscriptionStats()

    def transcribe(
        self, audio: npt.NDArray[np.float32], context: str = "", final: bool = False
    ) -> list[TimedWord]:
        """The words in `audio` (16 kHz float32), timed from its start; `context` is what
        was said just before it, which helps with spelling and punctuation; `final` when
        the transcription may be the utterance's last, which earns it a longer window."""
        audio = audio[: round(MAX_AUDIO_S * WHISPER_SAMPLE_RATE)]
        audio_s = len(audio) / WHISPER_SAMPLE_RATE
        if audio_s == 0:
            return []
        stats = self.stats
        stats.calls += 1
        stats.audio_s += audio_s
        started = time.perf_counter()
        settings = self._settings
        sizes = settings.final_window_sizes_s if final else settings.window_sizes_s
        window_frames = window_seconds(audio_s, sizes) * _FRAMES_PER_S
        stats.window_s += window_frames / _FRAMES_PER_S
        padded = np.zeros(window_frames * WHISPER_SAMPLE_RATE // _FRAMES_PER_S, np.float32)
        padded[: len(audio)] = audio
        features = self._whisper.feature_extractor(padded, padding=0)[:, :window_frames]
        encoded = self._whisper.encode(features)
        encoded_at = time.perf_counter()
        stats.encode_s += encoded_at - started
        tokenizer = self._tokenizer
        prompt = self._prompt(context)
        result = self._whisper.model.generate(
            encoded,
            [prompt],
            beam_size=settings.beam_size,
            max_length=_max_length(prompt, max(MIN_TOKENS, math.ceil(audio_s * MAX_TOKENS_PER_S))),
            no_repeat_ngram_size=NO_REPEATED_NGRAM,
            return_scores=True,
            return_no_speech_prob=True,
            suppress_blank=True,
            suppress_tokens=self._suppressed,
            max_initial_timestamp_index=round(MAX_INITIAL_TIMESTAMP_S / _TIMESTAMP_S),
        )[0]
        decoded_at = time.perf_counter()
        stats.decode_s += decoded_at - encoded_at
        text_tokens = [token for token in result.sequences_ids[0] if token < tokenizer.eot]
        length = len(result.sequences_ids[0])
        average_log_probability = result.scores[0] * length / (length + 1)
        if (
            not text_tokens
            or result.no_speech_prob > CONFIDENT_NO_SPEECH_PROBABILITY
            or (
                result.no_speech_prob > NO_SPEECH_PROBABILITY
                and average_log_probability < MIN_AVERAGE_LOG_PROBABILITY
            )
        ):
            return []
        alignment = self._whisper.find_alignment(
            tokenizer, [text_tokens], encoded, window_frames // 2
        )[0]
        stats.align_s += time.perf_counter() - decoded_at
        self._merge_punctuations(alignment, _PREPEND_PUNCTUATION, _APPEND_PUNCTUATION)
        aligned = [
            TimedWord(word["word"].strip(), float(word["start"]), float(word["end"]))
            for word in alignment
            if word["word"].strip()
        ]
        timestamps = [t for t in result.sequences_ids[0] if t >= tokenizer.timestamp_begin]
        speech_start_s = (
            (timestamps[0] - tokenizer.timestamp_begin) * _TIMESTAMP_S if timestamps else 0.0
        )
        return tidy_words(aligned, audio_s, speech_start_s)

    def _prompt(self, context: str) -> list[int]:
        """Context tokens (if any), then the start of transcript."""
        tokenizer = self._tokenizer
        prompt: list[int] = []
        if context.strip():
            previous = tokenizer.encode(" " + context.strip())[-PROMPT_TOKENS:]
            prompt = [tokenizer.sot_prev, *previous]
        return prompt + list(tokenizer.sot_sequence)


def _max_length(prompt: Sequence[int], new_tokens: int) -> int:
    """CTranslate2's `max_length` that lets Whisper write `new_tokens` after `prompt`.

    Measured: it writes at most half of `max_length`, and at most `max_length` minus the
    context tokens before the start of transcript.
    """
    context_tokens = len(prompt) - 1
    return min(WHISPER_MAX_LENGTH, max(2 * new_tokens + 2, context_tokens + new_tokens + 1))
