"""Pause probabilities from scripted voice-activity decisions (four 20 ms blocks a frame)."""

from __future__ import annotations

from collections.abc import Sequence

from backend.speech_protocol import pauses
from embedded.stt.pause_prediction import PausePredictor

VOICE: tuple[bool, ...] = (True, True, True, True)
SILENCE: tuple[bool, ...] = (False, False, False, False)
END_OF_TURN = pauses.END_OF_TURN_PAUSE_PROBABILITY  # what the client reads in prs[2]
BARGE_IN = pauses.BARGE_IN_PAUSE_PROBABILITY
BACKEND_SMOOTHING = 0.5  # weight of the newest step in the backend's moving average


def smoothed_2s(frames: Sequence[Sequence[bool]], start: float = 0.0) -> list[float]:
    """prs[2] after each frame, smoothed the way Unmute's backend smooths it."""
    predictor = PausePredictor()
    value = start
    values = []
    for voiced in frames:
        value += BACKEND_SMOOTHING * (predictor.update(voiced)[2] - value)
        values.append(value)
    return values


def test_a_stream_that_starts_silent_is_a_pause() -> None:
    assert min(PausePredictor().update(SILENCE)) > 0.9


def test_voice_means_no_pause_at_any_horizon() -> None:
    predictor = PausePredictor()
    predictor.update(VOICE)
    assert max(predictor.update(VOICE)) < 0.05


def test_longer_horizons_are_never_more_certain() -> None:
    predictor = PausePredictor()
    predictor.update(VOICE)
    for _ in range(10):
        prs = predictor.update(SILENCE)
        assert list(prs) == sorted(prs, reverse=True)


def test_the_silence_is_counted_from_the_last_voiced_block() -> None:
    predictor = PausePredictor()
    predictor.update((True, True, False, False))
    assert abs(predictor.silence_s - 0.04) < 1e-9
    predictor.update(SILENCE)
    assert abs(predictor.silence_s - 0.12) < 1e-9


def test_end_of_turn_is_seen_a_few_frames_into_the_silence() -> None:
    values = smoothed_2s([VOICE] * 10 + [SILENCE] * 10)
    first_above = next(i for i, v in enumerate(values) if v > END_OF_TURN) - 10
    # The VAD's own tail adds ~0.1 s, so this is ~0.3 s after the speaker stopped.
    assert 1 <= first_above <= 3
    assert values[-1] > 0.9


def test_a_short_gap_inside_a_sentence_does_not_end_the_turn() -> None:
    gap = [(False, False, False, False), (False, False, True, True)]  # 0.12 s of silence
    values = smoothed_2s([VOICE] * 10 + gap + [VOICE] * 5)
    assert max(values[10:]) < END_OF_TURN


def test_speech_onset_reads_as_a_barge_in_within_two_frames() -> None:
    values = smoothed_2s([SILENCE] * 20 + [VOICE] * 3, start=1.0)
    assert values[19] > END_OF_TURN
    assert values[21] < BARGE_IN


def test_one_noisy_block_in_silence_is_not_a_barge_in() -> None:
    blip = (False, False, True, False)
    values = smoothed_2s([SILENCE] * 20 + [blip] + [SILENCE] * 5, start=1.0)
    assert min(values) > BARGE_IN
