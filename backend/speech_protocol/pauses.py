"""What a `Step`'s pause probabilities mean to Unmute (protocols.md §2).

`Step.prs[i]` is the probability that nobody speaks over the next `PAUSE_HORIZONS_S[i]`.
Unmute reads one horizon, lightly smoothed, against two thresholds: above one the user
has finished their turn, below the other (while the bot speaks) the user is speaking over
the bot. Kyutai's STT model computes these probabilities; the CPU STT estimates them and
must mean the same thing by them, so the thresholds are protocol semantics shared by
both sides, not numbers each side keeps.
"""

from __future__ import annotations

from collections.abc import Sequence

PAUSE_HORIZONS_S = (0.5, 1.0, 2.0, 3.0)
TURN_HORIZON = 2  # the index of the 2 s horizon, the one turn-taking reads
END_OF_TURN_PAUSE_PROBABILITY = 0.6  # above this (smoothed) the user has finished
BARGE_IN_PAUSE_PROBABILITY = 0.4  # below this (smoothed) the user is speaking over the bot
# Neither an end of turn nor a barge-in: a server that cannot tell yet (words still being
# recognised) caps its probabilities here, so a client waits without acting.
UNDECIDED_PAUSE_PROBABILITY = (END_OF_TURN_PAUSE_PROBABILITY + BARGE_IN_PAUSE_PROBABILITY) / 2


def turn_pause_probability(prs: Sequence[float]) -> float:
    """The probability turn-taking reads; a step without that horizon says "speaking"."""
    return prs[TURN_HORIZON] if len(prs) > TURN_HORIZON else 0.0


def undecided(prs: Sequence[float]) -> list[float]:
    """`prs` capped so that they announce no end of turn (a barge-in still shows)."""
    return [min(p, UNDECIDED_PAUSE_PROBABILITY) for p in prs]
