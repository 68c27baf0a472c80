"""Pause probabilities (`Step.prs`) from voice-activity decisions.

`prs[i]` is the probability that nobody speaks over the next 0.5, 1, 2 and 3 s. We
estimate it from how long the voice has been silent: a fresh gap is most likely a breath
inside a sentence, a gap of a few hundred milliseconds most likely the end of a turn.
Longer horizons are less certain, so their curves sit slightly later and lower.

The values are shaped for what the protocol means by them (see
`backend.speech_protocol.pauses`): the client smooths the turn horizon's value lightly,
takes it above `END_OF_TURN_PAUSE_PROBABILITY` as the end of the user's turn, and below
`BARGE_IN_PAUSE_PROBABILITY` while the bot speaks as a barge-in.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from embedded.stt.voice_activity import BLOCK_S

VOICED_PAUSE_PROBABILITY = 0.02  # voice right now: a pause is very unlikely
# After a long silence, the chance that it goes on for another h seconds; never 1, since
# anybody may start speaking at any moment.
SETTLED_PAUSE_PROBABILITIES = (0.99, 0.98, 0.97, 0.96)
# Silence (as the VAD sees it) at which each curve is halfway. The VAD's voiced tail lasts
# ~0.1 s past the real end of speech, so 0.08 s for the 2 s horizon puts the client's
# smoothed value above the end of turn about 0.3 s after the speaker stopped (measured on
# flite clips: 0.27-0.40 s, mean 0.34 s), while gaps of 0.25 s or less inside a sentence
# stay below it.
HALFWAY_SILENCE_S = (0.05, 0.065, 0.08, 0.095)
CURVE_WIDTH_S = 0.025  # how sharply each curve rises around its halfway point


class PausePredictor:
    """Tracks the silence since the last voiced block; one `update` per 80 ms frame."""

    def __init__(self) -> None:
        # A stream starts as if it had been silent for a long time: nobody is speaking yet.
        self.silence_s = math.inf

    def update(self, voiced: Sequence[bool]) -> tuple[float, float, float, float]:
        """The four pause probabilities after a frame with these 20 ms decisions."""
        if any(voiced):
            blocks_since_voice = list(reversed(voiced)).index(True)
            self.silence_s = blocks_since_voice * BLOCK_S
        else:
            self.silence_s += len(voiced) * BLOCK_S
        p0, p1, p2, p3 = (
            pause_probability(self.silence_s, halfway, settled)
            for halfway, settled in zip(HALFWAY_SILENCE_S, SETTLED_PAUSE_PROBABILITIES, strict=True)
        )
        return p0, p1, p2, p3


def pause_probability(silence_s: float, halfway_s: float, settled: float) -> float:
    """A logistic rise from the voiced value (at zero silence) to `settled`."""
    if math.isinf(silence_s):
        return settled
    at_zero = _logistic(-halfway_s / CURVE_WIDTH_S)
    rise = (_logistic((silence_s - halfway_s) / CURVE_WIDTH_S) - at_zero) / (1.0 - at_zero)
    return VOICED_PAUSE_PROBABILITY + (settled - VOICED_PAUSE_PROBABILITY) * rise


def _logistic(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))
