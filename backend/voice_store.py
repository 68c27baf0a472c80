"""Cloned voices: the voice-cloning service's bytes, kept for a while under `custom:<id>`."""

from __future__ import annotations

import secrets
import time
from collections import OrderedDict

CUSTOM_PREFIX = "custom:"
VOICE_TTL_S = 3600.0  # long enough for a conversation, short enough not to hoard uploads
MAX_VOICES = 1000  # bounded memory: the oldest voice goes first


class VoiceStore:
    def __init__(self, ttl_s: float = VOICE_TTL_S, max_voices: int = MAX_VOICES) -> None:
        self._ttl_s = ttl_s
        self._max = max_voices
        self._voices: OrderedDict[str, tuple[float, bytes]] = OrderedDict()

    def add(self, voice_bytes: bytes, now: float | None = None) -> str:
        now = time.monotonic() if now is None else now
        self._expire(now)
        voice_id = CUSTOM_PREFIX + secrets.token_urlsafe(12)
        self._voices[voice_id] = (now, voice_bytes)
        while len(self._voices) > self._max:
            self._voices.popitem(last=False)
        return voice_id

    def get(self, voice_id: str, now: float | None = None) -> bytes | None:
        self._expire(time.monotonic() if now is None else now)
        entry = self._voices.get(voice_id)
        return entry[1] if entry else None

    def _expire(self, now: float) -> None:
        while self._voices:
            oldest_id, (added, _) = next(iter(self._voices.items()))
            if now - added < self._ttl_s:
                break
            del self._voices[oldest_id]


def is_custom_voice(voice: str) -> bool:
    return voice.startswith(CUSTOM_PREFIX)
