"""CPU cost per 20 ms of audio of each codec and framing step a conversation pays.

Each step runs on the unit of data it really handles (a 40 ms Ogg page from the
browser, an 80 ms TTS frame, …) and is reported per 20 ms of audio, and as the share
of one core one real-time stream costs. The best of several repeats is kept: the
least disturbed by other work on the host.

    python -m benchmarks.codec_costs [--out benchmarks/results/codec_costs.md]
"""

from __future__ import annotations

import argparse
import base64
import ctypes
import ctypes.util
import json
import timeit
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import msgpack
import numpy as np
import numpy.typing as npt
import sphn

from backend.audio.libopus import load_libopus
from backend.audio.ogg import OpusInputDecoder, OpusOutputEncoder
from backend.audio.ogg_pages import OggPage, OggPageSplitter
from backend.realtime import events as ev
from backend.speech_protocol.audio_frames import pack_audio_frame, parse_audio_frame
from benchmarks.encoder_complexity import LibopusDecoder
from loadtest.clips import load_clips
from loadtest.ogg_opus import PACKET_SAMPLES, encode_silence, stream_writer
from loadtest.protocol_check import parse_server_message

SAMPLE_RATE = 24_000
UNIT_SAMPLES = 480  # 20 ms
REPEATS = 7
# libopus request and application codes (opus_defines.h).
_OPUS_SET_COMPLEXITY = 4010
_OPUS_APPLICATION_VOIP = 2048
_OPUS_APPLICATION_AUDIO = 2049


@dataclass(frozen=True)
class Cost:
    step: str
    unit: str
    unit_samples: int
    seconds_per_call: float

    @property
    def us_per_20ms(self) -> float:
        return self.seconds_per_call * 1e6 * UNIT_SAMPLES / self.unit_samples

    @property
    def core_share(self) -> float:
        """Share of one core for one real-time stream."""
        return self.us_per_20ms / 20_000


def best_seconds(call: Callable[[], object], number: int) -> float:
    return min(timeit.repeat(call, number=number, repeat=REPEATS)) / number


def libopus_costs(frames: list[npt.NDArray[np.float32]]) -> list[Cost]:
    """What the system's libopus costs per frame by application and complexity, without
    Ogg: why the backend encodes with application "audio" at complexity 5."""
    path = ctypes.util.find_library("opus")
    if path is None:
        return []
    lib = ctypes.CDLL(path)
    lib.opus_encoder_create.restype = ctypes.c_void_p
    lib.opus_encoder_ctl.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int]
    lib.opus_encode_float.argtypes = [
        ctypes.c_void_p,
        ctypes.c_void_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int32,
    ]
    lib.opus_encoder_destroy.argtypes = [ctypes.c_void_p]
    lib.opus_get_version_string.restype = ctypes.c_char_p
    version = lib.opus_get_version_string().decode()
    output = ctypes.create_string_buffer(4000)
    costs: list[Cost] = []
    for application, name in ((_OPUS_APPLICATION_VOIP, "voip"), (_OPUS_APPLICATION_AUDIO, "audio")):
        for complexity in (10, 5, 3):
            error = ctypes.c_int()
            encoder = lib.opus_encoder_create(SAMPLE_RATE, 1, application, ctypes.byref(error))
            lib.opus_encoder_ctl(encoder, _OPUS_SET_COMPLEXITY, complexity)

            def run(encoder: int = encoder) -> None:
                for frame in frames:
                    lib.opus_encode_float(encoder, frame.ctypes.data, frame.size, output, 4000)

            seconds = best_seconds(run, 1) / len(frames)
            lib.opus_encoder_destroy(encoder)
            step = f"{version} alone, application {name}, complexity {complexity}"
            costs.append(Cost(step, "40 ms", frames[0].size, seconds))
    return costs


def decoder_costs(pages: list[bytes], samples_per_page: int) -> list[Cost]:
    """The user's pages decoded by sphn (as the backend does) against the same packets
    decoded by the system's libopus through ctypes: what a second decoder would save."""
    lib = load_libopus()
    if lib is None:
        return []
    splitter = OggPageSplitter()
    for data in pages:
        splitter.feed(data)
    split: list[OggPage] = []
    while (next_page := splitter.next_page()) is not None:
        split.append(next_page)
    headers, audio = split[:2], split[2:]  # OpusHead, OpusTags; then one packet a page

    def sphn_all() -> None:
        reader = sphn.OpusStreamReader(SAMPLE_RATE)
        for page in (*headers, *audio):
            reader.append_bytes(page.data)

    def libopus_all() -> None:
        decoder = LibopusDecoder(lib)
        for page in audio:
            decoder.decode(page.body)
        decoder.close()

    n = len(audio)
    return [
        Cost("sphn decode alone", "40 ms", samples_per_page, best_seconds(sphn_all, 1) / n),
        Cost(
            "libopus decode alone (ctypes), the same packets",
            "40 ms",
            samples_per_page,
            best_seconds(libopus_all, 1) / n,
        ),
    ]


def _speech() -> npt.NDArray[np.float32]:
    return np.concatenate([clip.pcm for clip in load_clips()])


def measure() -> list[Cost]:
    speech = _speech()
    page = 960  # what the browser and the backend's encoder put in one Ogg page
    frames = [speech[i : i + page] for i in range(0, speech.size - page, page)]
    costs: list[Cost] = []

    def encode_all(source: list[npt.NDArray[np.float32]], use_libopus: bool) -> Callable[[], None]:
        def run() -> None:
            encoder = OpusOutputEncoder(use_libopus=use_libopus)
            for frame in source:
                encoder.encode(frame)

        return run

    n = len(frames)
    silence = [np.zeros(page, dtype=np.float32)] * n
    for use_libopus in (False, True):
        codec = OpusOutputEncoder(use_libopus=use_libopus).codec
        for what, source in (("speech", frames), ("silence", silence)):
            seconds = best_seconds(encode_all(source, use_libopus), 1) / n
            costs.append(Cost(f"Opus encode ({codec}), {what}", "40 ms", page, seconds))

    encoder = OpusOutputEncoder()
    pages = [encoder.encode(frame) for frame in frames]

    def decode_all() -> None:
        decoder = OpusInputDecoder()
        for data in pages:
            decoder.feed(data)

    costs.append(
        Cost("Opus decode (Ogg split, CRC, decode)", "40 ms", page, best_seconds(decode_all, 1) / n)
    )

    def split_all() -> None:
        splitter = OggPageSplitter()
        for data in pages[2:]:
            splitter.feed(data)
            splitter.next_page()

    costs.append(
        Cost("Ogg page split and CRC only", "40 ms", page, best_seconds(split_all, 1) / (n - 2))
    )

    stt_chunk = speech[:page]
    costs.append(
        Cost(
            "msgpack pack, STT Audio (tolist + packb)",
            "40 ms",
            page,
            best_seconds(
                lambda: msgpack.packb(
                    {"type": "Audio", "pcm": stt_chunk.tolist()}, use_single_float=True
                ),
                2000,
            ),
        )
    )
    costs.append(
        Cost(
            "msgpack pack, STT Audio (numpy)",
            "40 ms",
            page,
            best_seconds(lambda: pack_audio_frame(stt_chunk), 2000),
        )
    )
    tts_frame = pack_audio_frame(speech[:1920])
    costs.append(
        Cost(
            "msgpack parse, TTS Audio (unpackb + asarray)",
            "80 ms",
            1920,
            best_seconds(
                lambda: np.asarray(msgpack.unpackb(tts_frame)["pcm"], dtype=np.float32), 2000
            ),
        )
    )
    costs.append(
        Cost(
            "msgpack parse, TTS Audio (numpy)",
            "80 ms",
            1920,
            best_seconds(lambda: parse_audio_frame(tts_frame), 2000),
        )
    )

    append = json.dumps(
        {"type": "input_audio_buffer.append", "audio": base64.b64encode(pages[10]).decode()}
    )

    def take_append() -> None:
        event = ev.client_event_adapter.validate_json(append)
        assert isinstance(event, ev.InputAudioBufferAppend)
        base64.b64decode(event.audio, validate=True)

    costs.append(
        Cost("JSON in: validate append + base64", "40 ms", page, best_seconds(take_append, 5000))
    )
    delta_pages = b"".join(pages[10:12])

    def send_delta() -> None:
        ev.ResponseAudioDelta(delta=base64.b64encode(delta_pages).decode("ascii")).model_dump_json()

    costs.append(
        Cost(
            "JSON out: audio delta + base64 + event id",
            "80 ms",
            1920,
            best_seconds(send_delta, 5000),
        )
    )
    costs.append(
        Cost(
            "event id alone (secrets.choice × 21)",
            "80 ms",
            1920,
            best_seconds(ev.new_event_id, 5000),
        )
    )
    delta_json = ev.ResponseAudioDelta(
        delta=base64.b64encode(delta_pages).decode()
    ).model_dump_json()
    costs.append(
        Cost(
            "load tester: check one audio delta event",
            "80 ms",
            1920,
            best_seconds(lambda: parse_server_message(delta_json), 5000),
        )
    )
    headers, packet = encode_silence()
    muxer = stream_writer(headers, serial=7)
    costs.append(
        Cost(
            "load tester: mux one pre-encoded page",
            "40 ms",
            page,
            best_seconds(lambda: muxer.page(packet, PACKET_SAMPLES), 5000),
        )
    )
    return costs + decoder_costs(pages, page) + libopus_costs(frames)


def costs_markdown(costs: list[Cost]) -> str:
    lines = [
        "| step | handles | µs per call | µs per 20 ms | share of a core per stream |",
        "|---|---|---:|---:|---:|",
    ]
    for cost in costs:
        lines.append(
            f"| {cost.step} | {cost.unit} | {cost.seconds_per_call * 1e6:.1f} "
            f"| {cost.us_per_20ms:.1f} | {cost.core_share:.2%} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description="Codec and framing costs per 20 ms.")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    table = costs_markdown(measure())
    print(table)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(table)


if __name__ == "__main__":
    main()
