"""End of turn against pauses inside a sentence, for the light STT's turn-taking rule.

    .venv/bin/python -m benchmarks.turn_end_bench [--halfway 0.08] [--hold]

Replays clips frame by frame through the light STT's own parts (WebRTC VAD, pause
prediction, pocketsphinx) and the backend's reading of the pause probabilities (the turn
horizon smoothed from step 12 on, above 0.6 once a word has come), in audio time: no
sockets and no clock, so every run gives the same figures.

1. Latency: each sentence of `tests.speech_clips`, then silence: from the end of speech
   to the end of the 80 ms frame whose `Step` ends the turn.
2. False turn ends: each sentence cut in two at its middle word, the halves spoken
   apart (a pause of sentence-final pitch, the hardest kind) and joined by a gap of G s
   of silence: how many turns end before the second half has been spoken.

Each step's probabilities are capped while the recogniser may still owe words; the
server sends a frame's `Step` at once, so it reads the recogniser as of the frame before.
`--hold` tries a server that would hold each `Step` until the recogniser has processed
its frame (a frame sooner when the last words come; measured: it ends turns on shorter
pauses in the same measure as it ends them sooner, so it is not done).
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from backend.speech_protocol.pauses import END_OF_TURN_PAUSE_PROBABILITY, undecided
from embedded.stt import pause_prediction
from embedded.stt.pause_prediction import PausePredictor
from embedded.stt.recognizer import SpeechRecognizer
from embedded.stt.voice_activity import VoiceActivityDetector
from tests.recognition_clips import spoken, with_noise
from tests.speech_clips import SAMPLE_RATE, SENTENCES, silence

FRAME = 1920
FRAME_S = FRAME / SAMPLE_RATE
LEAD_S = 1.2  # the backend reads steps from the 12th on (0.96 s)
SMOOTHING = 0.5  # the backend's, `backend.conversation.rules.PAUSE_SMOOTHING`
FIRST_STEP_READ = 12
GAPS_S = (0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5)
ACTIVE = 0.01

Pcm = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Rule:
    hold: bool  # the step waits for the recogniser's answer to its own frame


def trimmed(pcm: Pcm) -> Pcm:
    """Without its leading and trailing quiet (10 ms blocks below `ACTIVE` RMS)."""
    blocks = pcm[: len(pcm) // 240 * 240].reshape(-1, 240)
    loud = np.nonzero(np.sqrt((blocks**2).mean(axis=1)) > ACTIVE)[0]
    return pcm[loud[0] * 240 : (loud[-1] + 1) * 240]


def turn_end_frames(pcm: Pcm, rule: Rule, recognizer: SpeechRecognizer) -> list[int]:
    """The frames whose `Step` ends a turn, as the backend reads them (turns restart)."""
    recognizer.reset()
    vad, pauses = VoiceActivityDetector(), PausePredictor()
    smoothed, words, ends = 0.0, 0, []
    idle_before, last_voiced = True, -1
    for index in range(len(pcm) // FRAME):
        analysed = vad.analyse(pcm[index * FRAME : (index + 1) * FRAME])
        prs: Sequence[float] = pauses.update(analysed.voiced)
        if any(analysed.voiced):
            last_voiced = index
        new_words = recognizer.feed(analysed.pcm16k, analysed.voiced)
        idle_after = not recognizer.in_utterance
        if rule.hold:
            settled, words = idle_after, words + len(new_words)
        else:
            settled = idle_before and last_voiced < index
        if not settled:
            prs = undecided(prs)
        if index >= FIRST_STEP_READ:
            smoothed += SMOOTHING * (prs[2] - smoothed)
            if words > 0 and smoothed > END_OF_TURN_PAUSE_PROBABILITY:
                ends.append(index)
                words = 0
        if not rule.hold:
            words += len(new_words)
        idle_before = idle_after
    return ends


def latency(rule: Rule, voices: list[str], noise_db: float | None) -> list[float]:
    recognizer = SpeechRecognizer()
    delays = []
    for seed, (voice, sentence) in enumerate((v, s) for v in voices for s in SENTENCES):
        speech = trimmed(spoken(sentence, voice))
        pcm = _noisy(np.concatenate([silence(LEAD_S), speech, silence(1.5)]), noise_db, seed)
        ends = turn_end_frames(pcm, rule, recognizer)
        speech_end = LEAD_S + len(speech) / SAMPLE_RATE
        after = [(end + 1) * FRAME_S - speech_end for end in ends]
        delays.append(min((d for d in after if d > 0), default=float("nan")))
    return delays


def false_ends(rule: Rule, voices: list[str], gap_s: float, noise_db: float | None) -> int:
    recognizer = SpeechRecognizer()
    early = 0
    for seed, (voice, sentence) in enumerate((v, s) for v in voices for s in SENTENCES):
        words = sentence.split()
        half = len(words) // 2
        first = trimmed(spoken(" ".join(words[:half]), voice))
        second = trimmed(spoken(" ".join(words[half:]), voice))
        parts = [silence(LEAD_S), first, silence(gap_s), second, silence(1.5)]
        pcm = _noisy(np.concatenate(parts), noise_db, seed)
        second_ends = (LEAD_S + (len(first) + len(second)) / SAMPLE_RATE) + gap_s
        ends = turn_end_frames(pcm, rule, recognizer)
        early += any((end + 1) * FRAME_S < second_ends for end in ends)
    return early


def _noisy(pcm: Pcm, noise_db: float | None, seed: int) -> Pcm:
    return pcm if noise_db is None else with_noise(pcm, noise_db, seed)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--halfway", type=float, help="the turn horizon's halfway silence (s)")
    parser.add_argument("--hold", action="store_true", help="Steps wait for the recogniser")
    parser.add_argument("--voices", default="flite:kal16,flite:slt,flite:awb,espeak:en-us")
    parser.add_argument("--noise-db", type=float, help="white noise this far below the speech")
    parser.add_argument("--gaps", default=",".join(map(str, GAPS_S)), help="pauses to try (s)")
    args = parser.parse_args()
    if args.halfway is not None:
        halfway = list(pause_prediction.HALFWAY_SILENCE_S)
        halfway[2] = args.halfway
        pause_prediction.HALFWAY_SILENCE_S = tuple(halfway)  # type: ignore[assignment]
    rule = Rule(hold=args.hold)
    voices = args.voices.split(",")
    halfways = pause_prediction.HALFWAY_SILENCE_S
    print(f"rule: hold={rule.hold}, halfway silences {halfways}, noise {args.noise_db} dB")
    delays = latency(rule, voices, args.noise_db)
    found = [d for d in delays if d == d]
    print(
        f"end of speech -> end of turn ({len(found)} of {len(delays)} clips): "
        f"p50 {statistics.median(found):.3f} s, p90 {np.percentile(found, 90):.3f} s, "
        f"max {max(found):.3f} s"
    )
    clips = len(voices) * len(SENTENCES)
    for gap in (float(g) for g in args.gaps.split(",")):
        early = false_ends(rule, voices, gap, args.noise_db)
        print(f"gap {gap:.2f} s: turn ended early in {early} of {clips}")


if __name__ == "__main__":
    main()
