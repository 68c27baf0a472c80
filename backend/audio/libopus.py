"""Opus encoding through the system's libopus (Debian `libopus0`), complexity chosen.

Encoding the bot's voice is the backend's largest CPU cost. sphn's encoder runs libopus
at its default complexity and offers no setting; at 24 kHz that costs about 250 µs per
20 ms of speech, while the "audio" application at complexity 5 costs about 40 µs at the
same bitrate. This module binds the few libopus calls needed, with ctypes; when the
library is missing, `load_libopus` returns None and callers fall back to sphn.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import sys
import weakref

import numpy as np
from numpy.typing import NDArray

# Request and application codes from opus_defines.h.
_OPUS_APPLICATION_AUDIO = 2049
_OPUS_SET_COMPLEXITY = 4010
_OPUS_GET_COMPLEXITY = 4011
_OPUS_GET_LOOKAHEAD = 4027
_OPUS_OK = 0
# RFC 6716 recommends this output buffer: no packet is ever larger.
_MAX_PACKET_BYTES = 4000

# Six times cheaper than the default (10) on speech at 24 kHz, at the same bitrate
# (~27 kb/s) and the same 6.5 ms look-ahead: the voice stays clear.
ENCODER_COMPLEXITY = 5


class LibopusError(RuntimeError):
    pass


@functools.cache
def load_libopus() -> ctypes.CDLL | None:
    """The system's libopus with the calls below declared, or None when it is missing.

    Linux only: `opus_encoder_ctl` is variadic, which ctypes calls correctly for
    integer arguments with the Linux calling conventions (not Apple's arm64 one).
    """
    if not sys.platform.startswith("linux"):
        return None
    path = ctypes.util.find_library("opus")
    if path is None:
        return None
    try:
        lib = ctypes.CDLL(path)
        lib.opus_encoder_create.restype = ctypes.c_void_p
        lib.opus_encoder_create.argtypes = [
            ctypes.c_int32,
            ctypes.c_int,
            ctypes.c_int,
            ctypes.POINTER(ctypes.c_int),
        ]
        lib.opus_encode_float.restype = ctypes.c_int32
        lib.opus_encode_float.argtypes = [
            ctypes.c_void_p,
            ctypes.c_void_p,
            ctypes.c_int,
            ctypes.c_char_p,
            ctypes.c_int32,
        ]
        lib.opus_encoder_ctl.restype = ctypes.c_int
        lib.opus_encoder_destroy.restype = None
        lib.opus_encoder_destroy.argtypes = [ctypes.c_void_p]
        lib.opus_get_version_string.restype = ctypes.c_char_p
        lib.opus_strerror.restype = ctypes.c_char_p
        lib.opus_strerror.argtypes = [ctypes.c_int]
    except (OSError, AttributeError):
        return None
    return lib


def libopus_version() -> str | None:
    lib = load_libopus()
    return None if lib is None else lib.opus_get_version_string().decode()


class LibopusEncoder:
    """One mono Opus encoder: `encode` turns one frame of float PCM into one packet."""

    def __init__(
        self,
        sample_rate: int,
        *,
        complexity: int = ENCODER_COMPLEXITY,
        lib: ctypes.CDLL | None = None,
    ) -> None:
        loaded = lib or load_libopus()
        if loaded is None:
            raise LibopusError("libopus is not installed")
        self._lib = loaded
        error = ctypes.c_int(0)
        handle = loaded.opus_encoder_create(
            sample_rate, 1, _OPUS_APPLICATION_AUDIO, ctypes.byref(error)
        )
        if error.value != _OPUS_OK or not handle:
            raise LibopusError(f"opus_encoder_create failed: {self._describe(error.value)}")
        self._handle = ctypes.c_void_p(handle)
        # Freed with the object, even when it is dropped without a close().
        self._finalizer = weakref.finalize(self, loaded.opus_encoder_destroy, self._handle)
        self._ctl_set(_OPUS_SET_COMPLEXITY, complexity)
        self._output = ctypes.create_string_buffer(_MAX_PACKET_BYTES)

    @property
    def complexity(self) -> int:
        return self._ctl_get(_OPUS_GET_COMPLEXITY)

    @property
    def lookahead(self) -> int:
        """The encoder's delay in samples at the input rate (what pre-skip must cover)."""
        return self._ctl_get(_OPUS_GET_LOOKAHEAD)

    def encode(self, frame: NDArray[np.float32]) -> bytes:
        """One packet for `frame`: contiguous float32, a valid Opus frame length."""
        samples = np.ascontiguousarray(frame, dtype=np.float32)
        size = self._lib.opus_encode_float(
            self._handle, samples.ctypes.data, samples.size, self._output, _MAX_PACKET_BYTES
        )
        if size < 0:
            raise LibopusError(f"opus_encode_float failed: {self._describe(size)}")
        return self._output.raw[:size]

    def close(self) -> None:
        self._finalizer()

    def _ctl_set(self, request: int, value: int) -> None:
        status = self._lib.opus_encoder_ctl(
            self._handle, ctypes.c_int(request), ctypes.c_int(value)
        )
        if status != _OPUS_OK:
            raise LibopusError(f"opus_encoder_ctl({request}) failed: {self._describe(status)}")

    def _ctl_get(self, request: int) -> int:
        value = ctypes.c_int32(0)
        status = self._lib.opus_encoder_ctl(
            self._handle, ctypes.c_int(request), ctypes.byref(value)
        )
        if status != _OPUS_OK:
            raise LibopusError(f"opus_encoder_ctl({request}) failed: {self._describe(status)}")
        return int(value.value)

    def _describe(self, code: int) -> str:
        return f"{self._lib.opus_strerror(code).decode()} ({code})"
