"""The two STT engines side by side: pocketsphinx and Whisper (tiny.en, int8, one thread).

    .venv/bin/python -m benchmarks.stt_engines_bench [--engines whisper,pocketsphinx]
        [--every 2] [--latency-every 3] [--noise white|pink|brown]
        [--compare-windows] [--compare-greedy] [--skip-accuracy] [--skip-latency]

1. Accuracy, in process (the server's own VAD and recogniser, fed 80 ms frames as a
   real-time stream would be): word error rate per voice and noise level over the clip
   set of `tests.recognition_clips` (white noise unless `--noise` says), recognition CPU
   seconds per audio second, and for Whisper the transcriptions per second of audio and
   what one costs (encoder, decoder, word timestamps), next to Whisper with
   faster-whisper's fixed 30 s window, or with greedy decoding instead of a beam.
2. Latency over real sockets (`unmute-ops serve stt`): each sentence streamed in real time,
   then silence, and never a flush. From the end of speech (its last audible 10 ms): the
   last `Word`; the first `Step` with `prs[2] > 0.6`, in time and in frames (what a
   client that waits for it before it flushes, like Kyutai's backend, sees); the end of
   turn as Unmute's backend smooths it. From the end of each word in the audio: its
   arrival, for the first word of each sentence. Then the resident memory of the server
   process and of each recogniser process (RSS, and PSS, which shares libraries fairly).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from backend.speech_protocol.pauses import END_OF_TURN_PAUSE_PROBABILITY
from benchmarks.speech_server_process import metric, start_speech_server, stop_server
from benchmarks.stt_bench import FRAME_S, Connected, speech_end_s
from embedded.model_packages import WHISPER_TINY_EN
from embedded.stt.engines import Recognizer
from embedded.stt.framing import FrameAssembler
from embedded.stt.recognizer import SpeechRecognizer
from embedded.stt.silero_vad import SileroModel, SileroVoiceActivityDetector
from embedded.stt.voice_activity import VoiceActivityDetector
from embedded.stt.whisper_recognizer import WhisperRecognizer
from embedded.stt.whisper_transcriber import WhisperSettings, WhisperTranscriber
from tests.recognition_clips import NOISE_EXPONENTS, NOISE_LEVELS_DB, VOICES, clips, normalise
from tests.speech_clips import SAMPLE_RATE, SENTENCES, silence, speak, word_error_rate

TAIL = silence(0.5)  # after each clip, so that its utterance closes by itself
END_OF_TURN = END_OF_TURN_PAUSE_PROBABILITY
Results = dict[tuple[str, float | None], tuple[list[str], list[str]]]  # references, hypotheses


class Candidate:
    """One recogniser set-up and the VAD the server pairs it with."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.transcriber: WhisperTranscriber | None = None
        if name == "pocketsphinx":
            self.recognizer: Recognizer = SpeechRecognizer()
            self.vad: Callable[[], Any] = VoiceActivityDetector
            return
        settings = WhisperSettings(WHISPER_TINY_EN.path())
        if name == "whisper-30s":
            settings = WhisperSettings(WHISPER_TINY_EN.path(), 1, (30,), (30,))
        if name == "whisper-greedy":
            settings = WhisperSettings(WHISPER_TINY_EN.path(), beam_size=1)
        self.transcriber = WhisperTranscriber(settings)
        self.recognizer = WhisperRecognizer(self.transcriber.transcribe)
        silero = SileroModel()
        self.vad = lambda: SileroVoiceActivityDetector(silero)

    def transcript(self, pcm: npt.NDArray[np.float32]) -> str:
        self.recognizer.reset()
        vad = self.vad()
        words = []
        for frame in FrameAssembler().push(np.concatenate([pcm, TAIL])):
            analysed = vad.analyse(frame)
            words += self.recognizer.feed(analysed.pcm16k, analysed.voiced)
        words += self.recognizer.finish()
        return " ".join(word.text for word in words)


def accuracy(names: list[str], every: int, noise: str = "white") -> None:
    sentences = SENTENCES[::every]
    print(f"accuracy: {len(sentences)} sentences per voice and level of {noise} noise")
    for name in names:
        candidate = Candidate(name)
        results: Results = defaultdict(lambda: ([], []))
        audio_s, cpu_s = 0.0, 0.0
        for clip in clips(VOICES, NOISE_LEVELS_DB, sentences, noise):
            started = time.process_time()
            transcript = candidate.transcript(clip.pcm)
            cpu_s += time.process_time() - started
            audio_s += len(clip.pcm) / SAMPLE_RATE + len(TAIL) / SAMPLE_RATE
            references, hypotheses = results[(clip.voice, clip.noise_db)]
            references.append(clip.text)
            hypotheses.append(normalise(transcript))
        print(f"  {name}: recognition {cpu_s / audio_s:.3f} CPU s per audio s")
        _print_error_rates(results)
        if candidate.transcriber is not None:
            _print_transcription_costs(candidate.transcriber, audio_s)


def _print_error_rates(results: Results) -> None:
    levels = sorted({level for _, level in results}, key=lambda level: -(level or 1e9))
    header = "".join(f"{'clean' if level is None else f'{level:.0f} dB':>9}" for level in levels)
    print(f"    {'voice':18}{header}")
    totals: dict[float | None, tuple[list[str], list[str]]] = defaultdict(lambda: ([], []))
    for voice in sorted({voice for voice, _ in results}, key=VOICES.index):
        cells = ""
        for level in levels:
            references, hypotheses = results[(voice, level)]
            cells += f"{word_error_rate(references, hypotheses):9.1%}"
            totals[level][0].extend(references)
            totals[level][1].extend(hypotheses)
        print(f"    {voice:18}{cells}")
    cells = "".join(f"{word_error_rate(*totals[level]):9.1%}" for level in levels)
    print(f"    {'all voices':18}{cells}")


def _print_transcription_costs(transcriber: WhisperTranscriber, audio_s: float) -> None:
    stats = transcriber.stats
    per_call_ms = 1000 / max(stats.calls, 1)
    print(
        f"    {stats.calls / audio_s:.2f} transcriptions per audio s, each of "
        f"{stats.audio_s / max(stats.calls, 1):.1f} s of audio on average: encoder "
        f"{stats.encode_s * per_call_ms:.0f} ms, decoder {stats.decode_s * per_call_ms:.0f} ms, "
        f"word timestamps {stats.align_s * per_call_ms:.0f} ms"
    )


async def latency(name: str, every: int) -> None:
    address, process = start_speech_server("stt", slots=2, options=["--engine", name])
    first_words, last_words, pauses, pause_frames, turn_ends, late_words = [], [], [], [], [], 0
    try:
        # Measured in the recogniser processes themselves (the metric is their CPU time).
        cpu_before = metric(address, "unmute_stt_recognition_cpu_seconds_total")
        audio_before = metric(address, "unmute_stt_audio_seconds_total")
        for sentence in SENTENCES[::every]:
            lead, speech = silence(0.5), speak(sentence)
            async with Connected(address) as stream:
                started = await stream.realtime(np.concatenate([lead, speech, silence(2.0)]))
            spoken_until = len(lead) / SAMPLE_RATE + speech_end_s(speech)
            words = stream.of("Word")
            stops = [message["stop_time"] for _, message in stream.of("EndWord")]
            if words:
                first_words.append(words[0][0] - (started + stops[0]))
                last_words.append(words[-1][0] - (started + spoken_until))
            steps = [(at, step) for at, step in stream.of("Step")]
            pause = _first_step(steps, spoken_until, lambda prs2, _: prs2 > END_OF_TURN)
            if pause is not None:
                at, step = pause
                pauses.append(at - (started + spoken_until))
                pause_frames.append(step["step_idx"] + 1 - spoken_until / FRAME_S)
                late_words += sum(1 for word_at, _ in words if word_at > at)
            smoothed = _first_step(steps, spoken_until, lambda _, value: value > END_OF_TURN)
            if smoothed is not None:
                turn_ends.append(smoothed[0] - (started + spoken_until))
        memory = _memory_of_tree(process.pid)
        cpu = metric(address, "unmute_stt_recognition_cpu_seconds_total") - cpu_before
        audio = metric(address, "unmute_stt_audio_seconds_total") - audio_before
    finally:
        stop_server(process)
    count = len(SENTENCES[::every])
    print(f"  {name} ({count} sentences in real time, no flush):")
    print(f"    first word, from its end in the audio:   {_percentiles(first_words)}")
    print(f"    end of speech -> last Word:              {_percentiles(last_words)}")
    print(f"    end of speech -> prs[2] > 0.6:           {_percentiles(pauses)}")
    print(f"      in frames after the end of speech:     {_percentiles(pause_frames, 'frames')}")
    print(f"    end of speech -> end of turn (smoothed): {_percentiles(turn_ends)}")
    print(f"    words after that prs[2] > 0.6 step: {late_words}")
    print(f"    recognition: {cpu / audio:.3f} CPU s per audio s (speech and silence)")
    for label, (rss, pss, peak) in memory.items():
        print(f"    {label}: RSS {rss:.0f} MiB (peak {peak:.0f}), PSS {pss:.0f} MiB")


def _first_step(
    steps: list[tuple[float, dict[str, Any]]], after_s: float, ok: Callable[[float, float], bool]
) -> tuple[float, dict[str, Any]] | None:
    """The first step past `after_s` where `ok(prs2, backend-smoothed prs2)`."""
    value = 0.0
    for at, step in steps:
        if step["step_idx"] >= 12:  # the backend ignores the first second
            value += 0.5 * (step["prs"][2] - value)
        if (step["step_idx"] + 1) * FRAME_S > after_s and ok(step["prs"][2], value):
            return at, step
    return None


def _memory_of_tree(pid: int) -> dict[str, tuple[float, float, float]]:
    """RSS, PSS and peak RSS (MiB) of the server and of each of its child processes."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    memory = {"server process": _memory(pid)}
    for index, child in enumerate(children):
        memory[f"recogniser process {index}"] = _memory(int(child))
    return memory


def _memory(pid: int) -> tuple[float, float, float]:
    fields = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        key, value, *_ = line.split()
        fields[key.rstrip(":")] = int(value) / 1024
    status = Path(f"/proc/{pid}/status").read_text()
    peak = next(line for line in status.splitlines() if line.startswith("VmHWM:"))
    return fields["Rss"], fields["Pss"], int(peak.split()[1]) / 1024


def _percentiles(values: list[float], unit: str = "s") -> str:
    if not values:
        return "n/a"
    figure = "{:.2f} s" if unit == "s" else "{:.1f}"
    p50, p90 = (figure.format(value) for value in np.percentile(values, [50, 90]))
    return f"p50 {p50}, p90 {p90}, max {figure.format(max(values))}"


async def main() -> None:
    if os.environ.get("OPENBLAS_NUM_THREADS") != "1":
        # Recogniser processes run with one OpenBLAS thread (see `embedded.stt.worker`);
        # the in-process accuracy part must too, and it is set before numpy loads only
        # in a fresh process.
        os.execve(
            sys.executable,
            [sys.executable, "-m", "benchmarks.stt_engines_bench", *sys.argv[1:]],
            {**os.environ, "OPENBLAS_NUM_THREADS": "1"},
        )
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--engines", default="whisper,pocketsphinx")
    parser.add_argument("--every", type=int, default=2, help="accuracy: every Nth sentence")
    parser.add_argument("--latency-every", type=int, default=3, help="latency: every Nth")
    parser.add_argument("--compare-windows", action="store_true", help="also Whisper at 30 s")
    parser.add_argument("--compare-greedy", action="store_true", help="also Whisper, beam 1")
    parser.add_argument("--noise", choices=list(NOISE_EXPONENTS), default="white")
    parser.add_argument("--skip-accuracy", action="store_true")
    parser.add_argument("--skip-latency", action="store_true")
    args = parser.parse_args()
    engines = args.engines.split(",")
    print(f"host: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    if not args.skip_accuracy:
        candidates = engines + (["whisper-30s"] if args.compare_windows else [])
        candidates += ["whisper-greedy"] if args.compare_greedy else []
        accuracy(candidates, args.every, args.noise)
    if not args.skip_latency:
        print("latency:")
        for name in engines:
            await latency(name, args.latency_every)


if __name__ == "__main__":
    asyncio.run(main())
