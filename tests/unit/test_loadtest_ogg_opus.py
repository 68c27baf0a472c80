"""Pre-encoded packets in each microphone's own Ogg stream: what the backend decodes."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from backend.audio.ogg import OpusInputDecoder, OpusOutputEncoder
from backend.audio.ogg_pages import OggPage, OggPageSplitter
from loadtest.microphone import Microphone
from loadtest.ogg_opus import PACKET_SAMPLES, encode_clip, encode_silence, packets_of

RATE = 24_000


def voiced(seconds: float) -> npt.NDArray[np.float32]:
    t = np.arange(int(seconds * RATE)) / RATE
    return (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)


def pages(stream: bytes) -> list[OggPage]:
    splitter = OggPageSplitter(max_pending_bytes=max(len(stream), 1 << 16))
    splitter.feed(stream)
    found = []
    while (page := splitter.next_page()) is not None:  # checks every CRC
        found.append(page)
    return found


def test_packets_of_returns_each_packet_of_an_encoded_stream() -> None:
    encoder = OpusOutputEncoder()
    stream = encoder.encode(voiced(0.4))
    packets = packets_of(stream)
    assert packets[0].startswith(b"OpusHead") and packets[1].startswith(b"OpusTags")
    assert len(packets) == 2 + 0.4 * RATE // PACKET_SAMPLES


def test_a_clip_knows_where_its_speech_lies() -> None:
    pcm = np.concatenate([np.zeros(4800, np.float32), voiced(0.5), np.zeros(2400, np.float32)])
    clip = encode_clip("a tone", pcm)
    # Speech starts after 200 ms of silence and lasts 500 ms, give or take the codec's delay.
    assert 4800 <= clip.speech_start_sample < 4800 + 480
    assert 4800 + 12_000 <= clip.speech_end_sample < 4800 + 12_000 + 960
    assert clip.samples >= clip.speech_end_sample


def test_the_microphone_stream_is_one_valid_ogg_opus_stream() -> None:
    headers, silence = encode_silence()
    mic = Microphone(headers, silence, serial=0xCAFE)
    clip = encode_clip("a tone", voiced(0.5))
    appends = [mic.next_append() for _ in range(3)]
    speech = mic.say(clip)
    while mic.speaking:
        appends.append(mic.next_append())
    appends += [mic.next_append() for _ in range(3)]

    all_pages = pages(b"".join(appends))
    assert all_pages[0].is_bos and all_pages[0].body.startswith(b"OpusHead")
    assert not any(page.is_bos for page in all_pages[1:])
    assert {page.serial for page in all_pages} == {0xCAFE}
    assert [page.sequence for page in all_pages] == list(range(len(all_pages)))
    granules = [page.granule_position for page in all_pages[2:]]
    assert granules == [2 * PACKET_SAMPLES * (i + 1) for i in range(len(granules))]

    decoder = OpusInputDecoder()
    pcm = np.concatenate([decoder.feed(data) for data in appends])
    assert pcm.size == mic.position  # one packet's worth per append, nothing lost
    loud = np.flatnonzero(np.abs(pcm) > 0.01)
    assert speech.start_sample == 3 * PACKET_SAMPLES + clip.speech_start_sample
    # Within 5 ms: the decoder's state at the splice shifts the onset a little.
    assert abs(int(loud[0]) - speech.start_sample) < 120
    assert abs(int(loud[-1]) + 1 - speech.end_sample) < 120
    assert np.abs(pcm[: 3 * PACKET_SAMPLES]).max() < 0.01  # silence before the clip
