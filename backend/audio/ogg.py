"""Ogg Opus at the browser edge: decode the user's microphone, encode the bot's voice.

`OpusInputDecoder` turns the `input_audio_buffer.append` byte stream into float32 PCM and
survives bad input; `OpusOutputEncoder` turns the bot's PCM into the pages of the one
continuous stream that `response.audio.delta` events carry (protocols.md §1).
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import sphn
from numpy.typing import ArrayLike, NDArray

from backend.audio.libopus import (
    ENCODER_COMPLEXITY,
    LibopusEncoder,
    libopus_version,
    load_libopus,
)
from backend.audio.ogg_pages import (
    MAX_PAGE_BYTES,
    OggFormatError,
    OggPage,
    OggPageSplitter,
)
from backend.audio.ogg_writer import OPUS_GRANULE_RATE, OggOpusWriter, opus_head, opus_tags
from backend.speech_protocol.constants import SAMPLE_RATE

__all__ = [
    "ENCODER_FRAME_SAMPLES",
    "MAX_PAGE_BYTES",
    "SAMPLE_RATE",
    "OggFormatError",
    "OggPage",
    "OggPageSplitter",
    "OpusInputDecoder",
    "OpusOutputEncoder",
]

# 40 ms Opus frames, one page each (as sphn's writer makes them); the writers get whole
# frames only, so a flush leaves nothing buffered inside them.
ENCODER_FRAME_SAMPLES = 960
# The serial number sphn's writer gives its stream: each connection carries exactly one
# logical stream, so any constant will do, and this one keeps both encoders alike.
STREAM_SERIAL = 42
# OpusHead plus OpusTags, with room for tags split over a few pages; kept to rebuild
# the decoder, so bounded to keep a connection's memory small.
_MAX_HEADER_PAGES = 4
_LACING_CONTINUES = 255
_OPUS_HEAD = b"OpusHead"
_OPUS_TAGS = b"OpusTags"


def _empty_pcm() -> NDArray[np.float32]:
    return np.zeros(0, dtype=np.float32)


def _has_empty_packet(page: OggPage) -> bool:
    """True when a packet on the page has zero length.

    Opus forbids empty packets, and sphn would turn one into seconds of concealment noise.
    A lacing value of 0 ends an empty packet unless it follows a 255 (then it ends a
    packet whose length is a multiple of 255).
    """
    lacing = page.segment_table
    if 0 not in lacing:
        return False
    for index, value in enumerate(lacing):
        if value != 0:
            continue
        if index == 0:
            # A zero opening a continued page ends a packet begun on the previous page.
            if not page.is_continued:
                return True
        elif lacing[index - 1] != _LACING_CONTINUES:
            return True
    return False


class OpusInputDecoder:
    """The user's Ogg Opus stream, fed in arbitrary chunks, out as float32 PCM at 24 kHz.

    - Everything before the first beginning-of-stream page is dropped silently, garbage
      included: those are stale pages from before a reconnect.
    - A later beginning-of-stream page (the client restarted its encoder) starts a new
      stream; an end-of-stream page ends the current one.
    - Bad bytes within a stream raise `OggFormatError` once the rest of the chunk has
      been decoded (that audio is in the error's `decoded`); the decoder stays usable and
      the stream's next valid pages decode normally. So does a chunk too large to accept.
    """

    def __init__(self, sample_rate: int = SAMPLE_RATE) -> None:
        self._sample_rate = sample_rate
        self._splitter = OggPageSplitter()
        self._reader: sphn.OpusStreamReader | None = None
        self._serial: int | None = None
        self._header_pages: list[bytes] = []
        self._reading_headers = False
        self.samples_decoded = 0
        """PCM samples returned so far, including those carried by errors."""

    @property
    def stream_started(self) -> bool:
        """A beginning-of-stream page was seen and its stream has not ended."""
        return self._reader is not None

    def feed(self, data: bytes) -> NDArray[np.float32]:
        """Decode one chunk of the stream; returns the PCM it completed (possibly empty)."""
        self._splitter.feed(data)
        chunks: list[NDArray[np.float32]] = []
        first_problem: OggFormatError | None = None
        while True:
            try:
                page = self._splitter.next_page()
                if page is None:
                    break
                pcm = self._decode_page(page)
            except OggFormatError as problem:
                # Outside a stream everything is discarded silently, garbage included.
                if self.stream_started:
                    first_problem = first_problem or problem
                continue
            if pcm.size:
                chunks.append(pcm)
        decoded = np.concatenate(chunks) if chunks else _empty_pcm()
        self.samples_decoded += decoded.size
        if first_problem is not None:
            raise OggFormatError(str(first_problem), decoded=decoded) from first_problem
        return decoded

    def _decode_page(self, page: OggPage) -> NDArray[np.float32]:
        if page.is_bos:
            self._start_stream(page)
            return _empty_pcm()
        reader = self._reader
        if reader is None:
            return _empty_pcm()
        if page.serial != self._serial:
            raise OggFormatError("Received an Ogg page from another audio stream; skipped it.")
        if self._reading_headers:
            self._keep_if_header(page)
        if _has_empty_packet(page):
            raise OggFormatError("Received an empty Opus packet; skipped its page.")
        pcm = self._append_to_reader(reader, page.data)
        if page.is_eos:
            self._end_stream()
        return pcm

    def _start_stream(self, page: OggPage) -> None:
        if not page.body.startswith(_OPUS_HEAD):
            # Not the start of an Opus stream: treat it as garbage, keep the current one.
            raise OggFormatError("Received an audio stream that does not start with OpusHead.")
        self._serial = page.serial
        self._header_pages = [page.data]
        self._reading_headers = True
        self._reader = self._fresh_reader()

    def _end_stream(self) -> None:
        self._reader = None
        self._serial = None
        self._header_pages = []
        self._reading_headers = False

    def _keep_if_header(self, page: OggPage) -> None:
        # OpusTags follows OpusHead, possibly spread over a few pages (granule position 0,
        # or -1 where no packet ends); the first audio page ends the headers.
        is_header = page.granule_position in (0, -1) and (
            page.is_continued or page.body.startswith(_OPUS_TAGS)
        )
        if is_header and len(self._header_pages) < _MAX_HEADER_PAGES:
            self._header_pages.append(page.data)
        else:
            self._reading_headers = False

    def _fresh_reader(self) -> sphn.OpusStreamReader:
        reader = sphn.OpusStreamReader(self._sample_rate)
        # sphn skips OpusHead and OpusTags packets, so priming with them cannot fail.
        for header_page in self._header_pages:
            reader.append_bytes(header_page)
        return reader

    def _append_to_reader(
        self, reader: sphn.OpusStreamReader, page_data: bytes
    ) -> NDArray[np.float32]:
        try:
            pcm = reader.append_bytes(page_data)
        except ValueError as error:
            # sphn's reader may stay broken after an error (e.g. a page decoding to more
            # than its 5 s buffer), so start from a fresh one primed with the headers.
            self._reader = self._fresh_reader()
            raise OggFormatError("Received Opus audio that could not be decoded.") from error
        return np.asarray(pcm, dtype=np.float32)


class OpusOutputEncoder:
    """The bot's voice as the pages of ONE continuous Ogg Opus stream per connection.

    `encode` takes PCM of any length and returns the complete pages it filled (b"" while
    less than a frame is pending); the first pages returned carry OpusHead and OpusTags.
    `flush` pads the pending partial frame with silence and encodes it, so a turn's last
    words are not held back; the stream simply continues after it.
    """

    def __init__(self, sample_rate: int = SAMPLE_RATE, *, use_libopus: bool = True) -> None:
        self._writer: _PageWriter
        if use_libopus and load_libopus() is not None:
            self._writer = _LibopusPageWriter(sample_rate)
            self.codec = f"{libopus_version()}, complexity {ENCODER_COMPLEXITY}"
        else:
            self._writer = sphn.OpusStreamWriter(sample_rate)
            self.codec = "sphn"
        """Which encoder makes the packets (libopus when installed, else sphn's)."""
        self._pending = np.zeros(0, dtype=np.float32)
        self.samples_encoded = 0
        """Samples turned into pages so far, including flush padding."""

    @property
    def pending_samples(self) -> int:
        """Samples waiting for a whole frame; `flush` sends them."""
        return int(self._pending.size)

    def encode(self, pcm: ArrayLike) -> bytes:
        """Append mono PCM in [-1, 1] (any dtype, any length); returns complete pages."""
        samples = np.asarray(pcm, dtype=np.float32)
        if samples.ndim != 1:
            raise ValueError(f"expected mono PCM as a 1-D array, got shape {samples.shape}")
        if self._pending.size:
            samples = np.concatenate((self._pending, samples))
        whole_frames = samples.size - samples.size % ENCODER_FRAME_SAMPLES
        self._pending = samples[whole_frames:].copy()
        if whole_frames == 0:
            return b""
        return self._write(samples[:whole_frames])

    def flush(self) -> bytes:
        """Encode the pending partial frame padded with silence (b"" if none is pending)."""
        if not self._pending.size:
            return b""
        frame = np.zeros(ENCODER_FRAME_SAMPLES, dtype=np.float32)
        frame[: self._pending.size] = self._pending
        self._pending = np.zeros(0, dtype=np.float32)
        return self._write(frame)

    def _write(self, samples: NDArray[np.float32]) -> bytes:
        pages = self._writer.append_pcm(np.ascontiguousarray(samples))
        self.samples_encoded += samples.size
        return bytes(pages)


class _PageWriter(Protocol):
    def append_pcm(self, pcm: NDArray[np.float32]) -> bytes: ...


class _LibopusPageWriter:
    """sphn's `OpusStreamWriter` interface (whole frames in, complete pages out, the
    header pages first) on top of libopus at a chosen complexity."""

    def __init__(self, sample_rate: int) -> None:
        self._encoder = LibopusEncoder(sample_rate)
        pre_skip = self._encoder.lookahead * (OPUS_GRANULE_RATE // sample_rate)
        self._pages = OggOpusWriter(
            opus_head(input_sample_rate=sample_rate, pre_skip=pre_skip),
            opus_tags(f"unmute ({libopus_version()})"),
            serial=STREAM_SERIAL,
            sample_rate=sample_rate,
        )
        self._started = False

    def append_pcm(self, pcm: NDArray[np.float32]) -> bytes:
        pages = [] if self._started else [self._pages.header_pages()]
        self._started = True
        for start in range(0, pcm.size, ENCODER_FRAME_SAMPLES):
            frame = pcm[start : start + ENCODER_FRAME_SAMPLES]
            pages.append(self._pages.page(self._encoder.encode(frame), frame.size))
        return b"".join(pages)
