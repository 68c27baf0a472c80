"""A simulated microphone: silence, or the clip the user is saying, one Ogg page at a time.

Like a browser's, it never stops: between turns it records silence, so the server's
end-of-turn detection and clocks see a continuous stream. Positions are counted in
samples since the stream began; the first page returned also carries the headers.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from loadtest.ogg_opus import PACKET_SAMPLES, EncodedClip, OpusHeaders, stream_writer


@dataclass(frozen=True)
class ScheduledSpeech:
    """Where a queued clip's speech will lie in the stream (samples)."""

    text: str
    start_sample: int
    end_sample: int


class Microphone:
    def __init__(self, headers: OpusHeaders, silence_packet: bytes, serial: int) -> None:
        self._pages = stream_writer(headers, serial)
        self._silence = silence_packet
        self._queued: deque[bytes] = deque()
        self._started = False
        self.position = 0
        """Samples recorded so far (the end of the last page returned)."""

    @property
    def speaking(self) -> bool:
        return bool(self._queued)

    def say(self, clip: EncodedClip) -> ScheduledSpeech:
        """Queue `clip` after what is already queued; returns where its speech will be."""
        begins_at = self.position + len(self._queued) * PACKET_SAMPLES
        self._queued.extend(clip.packets)
        return ScheduledSpeech(
            text=clip.text,
            start_sample=begins_at + clip.speech_start_sample,
            end_sample=begins_at + clip.speech_end_sample,
        )

    def next_append(self) -> bytes:
        """The bytes of the next `input_audio_buffer.append`: one packet's page (the
        stream's header pages too, the first time)."""
        headers = b""
        if not self._started:
            self._started = True
            headers = self._pages.header_pages()
        packet = self._queued.popleft() if self._queued else self._silence
        data = headers + self._pages.page(packet, PACKET_SAMPLES)
        self.position += PACKET_SAMPLES
        return data
