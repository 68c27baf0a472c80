"""A reply's words straight into the playback pacer, for text-only replies: no TTS.

It has `SpeechOut`'s interface, so a `Reply` runs the same way with or without a voice:
the pacer releases the words (there is no audio to wait for) and reports the end.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from backend.playback import PlaybackPacer


class TextOnlySpeech:
    def __init__(self, *, pacer: PlaybackPacer, wake: Callable[[], None]) -> None:
        self._pacer = pacer
        self._wake = wake
        self._ended = asyncio.Event()

    def speak(self, word: str) -> None:
        self._pacer.add_word(word, 0.0, 0.0)
        self._wake()

    def end(self) -> None:
        self._ended.set()

    async def run(self) -> str | None:
        """Wait for the end of the text, then let the pacer finish; never fails."""
        await self._ended.wait()
        self._pacer.end_of_audio()
        self._wake()
        return None
