"""A minimal ctypes binding to libespeak-ng (shipped by the `espeakng-loader` wheel):
speech for the espeak engine, IPA phonemes for the Piper engine.

The library keeps global state (one current voice, one set of parameters, one callback),
so an `Espeak` instance must only ever be used from a single thread; `engine.py` owns
that thread. Synthesis runs in synchronous mode: `espeak_Synth` returns once the whole
text is spoken, having handed every audio buffer and event to our callback.
"""

from __future__ import annotations

import ctypes
import threading
from dataclasses import dataclass
from typing import Any

import espeakng_loader
import numpy as np
import numpy.typing as npt

# Values from espeak-ng's speak_lib.h.
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_DONT_EXIT = 0x8000
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_EVENT_LIST_TERMINATED = 0
_EVENT_WORD = 1
_PARAM_RATE = 1
_PARAM_VOLUME = 2
_PARAM_PITCH = 3
_PARAM_RANGE = 4
_EE_OK = 0
_PHONEMES_IPA = 0x02

# Audio handed to the callback per call; small buffers cost nothing in synchronous mode.
_BUFFER_MS = 100
# espeak's own default loudness: peaks stay below full scale (about -1 dBFS) for every voice.
_VOLUME = 100


class _EventId(ctypes.Union):
    _fields_ = (
        ("number", ctypes.c_int),
        ("name", ctypes.c_char_p),
        ("string", ctypes.c_char * 8),
    )


class _Event(ctypes.Structure):
    _fields_ = (
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", _EventId),
    )


_SynthCallback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event)
)


class EspeakError(RuntimeError):
    """libespeak-ng refused a call."""


@dataclass(frozen=True)
class WordEvent:
    """espeak starts speaking the word at `text_position` (0-based character index)."""

    text_position: int
    length: int
    audio_position_s: float


@dataclass(frozen=True)
class EspeakAudio:
    """int16 mono audio at `sample_rate`, and where each word starts in it."""

    samples: npt.NDArray[np.int16]
    sample_rate: int
    words: list[WordEvent]


@dataclass(frozen=True)
class EspeakParams:
    """Everything espeak needs to pick a voice; the ranges are espeak's own."""

    voice: str  # language plus optional variant, e.g. "en-us+m3" or "fr+f2"
    pitch: int  # 0-100, espeak's default 50
    pitch_range: int  # 0-100, espeak's default 50; 0 is a monotone
    rate: int  # words per minute, 80-450, espeak's default 175


class Espeak:
    """One initialised libespeak-ng. Not thread-safe: call it from one thread only."""

    def __init__(self) -> None:
        self._owner = threading.get_ident()
        self._lib = ctypes.CDLL(espeakng_loader.get_library_path())
        self._declare_signatures()
        data_path = espeakng_loader.get_data_path().encode()
        sample_rate = self._lib.espeak_Initialize(
            _AUDIO_OUTPUT_SYNCHRONOUS, _BUFFER_MS, data_path, _INITIALIZE_DONT_EXIT
        )
        if sample_rate <= 0:
            raise EspeakError(f"espeak_Initialize failed ({sample_rate})")
        self.sample_rate: int = sample_rate
        self._chunks: list[npt.NDArray[np.int16]] = []
        self._words: list[WordEvent] = []
        # Kept on self: the C library holds only a raw pointer to the callback.
        self._callback = _SynthCallback(self._on_audio)
        self._lib.espeak_SetSynthCallback(self._callback)
        self._current_voice: str | None = None

    def synthesize(self, text: str, params: EspeakParams) -> EspeakAudio:
        """Speak `text` with `params`; returns once all of it is rendered."""
        self._check_thread()
        self._apply(params)
        self._chunks, self._words = [], []
        encoded = text.encode() + b"\0"
        status = self._lib.espeak_Synth(
            encoded, len(encoded), 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None
        )
        if status != _EE_OK:
            raise EspeakError(f"espeak_Synth failed ({status})")
        samples = np.concatenate(self._chunks) if self._chunks else np.zeros(0, np.int16)
        return EspeakAudio(samples=samples, sample_rate=self.sample_rate, words=self._words)

    def phonemize(self, text: str, voice: str) -> list[str]:
        """espeak's IPA phonemes for `text`, one string per clause, words apart by spaces.

        The clauses' punctuation is not in the output: the caller knows where it was.
        """
        self._check_thread()
        self._set_voice(voice)
        buffer = ctypes.create_string_buffer(text.encode())
        cursor = ctypes.c_void_p(ctypes.addressof(buffer))
        clauses: list[str] = []
        # espeak moves the cursor past each clause and clears it at the end of the text;
        # the bound only guards against a library that never does.
        while cursor.value and len(clauses) <= len(text):
            phonemes = self._lib.espeak_TextToPhonemes(
                ctypes.byref(cursor), _CHARS_UTF8, _PHONEMES_IPA
            )
            clauses.append(phonemes.decode() if phonemes else "")
        return clauses

    def _check_thread(self) -> None:
        if threading.get_ident() != self._owner:
            raise EspeakError("libespeak-ng used from a second thread")

    def _set_voice(self, voice: str) -> None:
        if voice != self._current_voice:
            if self._lib.espeak_SetVoiceByName(voice.encode()) != _EE_OK:
                raise EspeakError(f"unknown espeak voice {voice!r}")
            self._current_voice = voice

    def _apply(self, params: EspeakParams) -> None:
        self._set_voice(params.voice)
        for parameter, value in (
            (_PARAM_RATE, params.rate),
            (_PARAM_PITCH, params.pitch),
            (_PARAM_RANGE, params.pitch_range),
            (_PARAM_VOLUME, _VOLUME),
        ):
            if self._lib.espeak_SetParameter(parameter, value, 0) != _EE_OK:
                raise EspeakError(f"espeak_SetParameter({parameter}, {value}) failed")

    def _on_audio(self, wav: Any, n_samples: int, events: Any) -> int:
        if n_samples > 0 and wav:
            self._chunks.append(np.ctypeslib.as_array(wav, shape=(n_samples,)).copy())
        index = 0
        while events[index].type != _EVENT_LIST_TERMINATED:
            event = events[index]
            if event.type == _EVENT_WORD:
                self._words.append(
                    WordEvent(
                        # espeak counts characters from 1.
                        text_position=event.text_position - 1,
                        length=event.length,
                        audio_position_s=event.audio_position / 1000.0,
                    )
                )
            index += 1
        return 0  # 0 = keep going

    def _declare_signatures(self) -> None:
        lib = self._lib
        lib.espeak_Initialize.argtypes = (ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int)
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_SetSynthCallback.argtypes = (_SynthCallback,)
        lib.espeak_SetSynthCallback.restype = None
        lib.espeak_SetVoiceByName.argtypes = (ctypes.c_char_p,)
        lib.espeak_SetVoiceByName.restype = ctypes.c_int
        lib.espeak_SetParameter.argtypes = (ctypes.c_int, ctypes.c_int, ctypes.c_int)
        lib.espeak_SetParameter.restype = ctypes.c_int
        lib.espeak_Synth.argtypes = (
            ctypes.c_void_p,
            ctypes.c_size_t,
            ctypes.c_uint,
            ctypes.c_int,
            ctypes.c_uint,
            ctypes.c_uint,
            ctypes.POINTER(ctypes.c_uint),
            ctypes.c_void_p,
        )
        lib.espeak_Synth.restype = ctypes.c_int
        lib.espeak_TextToPhonemes.argtypes = (
            ctypes.POINTER(ctypes.c_void_p),
            ctypes.c_int,
            ctypes.c_int,
        )
        lib.espeak_TextToPhonemes.restype = ctypes.c_char_p
