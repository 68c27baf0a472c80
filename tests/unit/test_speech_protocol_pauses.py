"""The pause semantics of `Step.prs` that the STT servers and the backend share."""

from __future__ import annotations

from backend.speech_protocol.pauses import (
    BARGE_IN_PAUSE_PROBABILITY,
    END_OF_TURN_PAUSE_PROBABILITY,
    PAUSE_HORIZONS_S,
    TURN_HORIZON,
    UNDECIDED_PAUSE_PROBABILITY,
    turn_pause_probability,
    undecided,
)


def test_turn_taking_reads_the_two_second_horizon() -> None:
    assert PAUSE_HORIZONS_S[TURN_HORIZON] == 2.0
    assert turn_pause_probability([0.1, 0.2, 0.7, 0.9]) == 0.7


def test_a_step_without_the_turn_horizon_reads_as_speech() -> None:
    assert turn_pause_probability([0.9, 0.9]) < BARGE_IN_PAUSE_PROBABILITY


def test_undecided_is_neither_an_end_of_turn_nor_a_barge_in() -> None:
    assert BARGE_IN_PAUSE_PROBABILITY < UNDECIDED_PAUSE_PROBABILITY < END_OF_TURN_PAUSE_PROBABILITY


def test_capping_withholds_an_end_of_turn_but_keeps_a_barge_in() -> None:
    capped = undecided([0.99, 0.98, 0.97, 0.1])
    assert turn_pause_probability(capped) <= END_OF_TURN_PAUSE_PROBABILITY
    assert capped == [UNDECIDED_PAUSE_PROBABILITY] * 3 + [0.1]
