"""llama.cpp's log, routed into Python logging, with its first errors kept.

llama.cpp says why a model file cannot be loaded only in its log ("tensor … data is not
within the file bounds, model is corrupted or incomplete"); the loader quotes that line
in its own error. Everything else goes to the `llama.cpp` logger: warnings and errors
show, the chatter of every load and conversion stays at debug level.
"""

from __future__ import annotations

import ctypes
import logging

import llama_cpp

logger = logging.getLogger("llama.cpp")

# ggml_log_level in the llama.cpp that llama-cpp-python 0.3.36 bundles.
_NONE, _DEBUG, _INFO, _WARN, _ERROR, _CONTINUED = range(6)
_LEVELS = {
    _NONE: logging.DEBUG,
    _DEBUG: logging.DEBUG,
    _INFO: logging.DEBUG,  # one line per tensor and setting on every load
    _WARN: logging.WARNING,
    _ERROR: logging.ERROR,
}

_KEPT_ERRORS = 8
_errors: list[str] = []
_previous_level = logging.DEBUG


@llama_cpp.llama_log_callback  # type: ignore[untyped-decorator]
def _on_log(level: int, text: bytes, _user_data: ctypes.c_void_p) -> None:
    global _previous_level
    line = text.decode("utf-8", errors="replace").rstrip()
    python_level = _previous_level if level == _CONTINUED else _LEVELS.get(level, logging.DEBUG)
    _previous_level = python_level
    if not line:
        return
    if python_level >= logging.ERROR and len(_errors) < _KEPT_ERRORS:
        _errors.append(line)
    logger.log(python_level, "%s", line)


def route_to_logging() -> None:
    """Send llama.cpp's log here from now on (replaces llama-cpp-python's printer)."""
    llama_cpp.llama_log_set(_on_log, ctypes.c_void_p(0))


def forget_errors() -> None:
    _errors.clear()


def last_error() -> str | None:
    """The first error since `forget_errors()` (the cause; later ones are consequences),
    without llama.cpp's function-name prefixes."""
    if not _errors:
        return None
    line = _errors[0]
    while (prefix := line.split(": ", 1))[0].isidentifier() and len(prefix) == 2:
        line = prefix[1]
    return line.removeprefix("error loading model: ")
