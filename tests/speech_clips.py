"""Spoken test clips made with Debian's `flite` (voice `kal16`), as 24 kHz float32 PCM.

Every suite that needs real speech uses this helper, so the same sentence always sounds
the same. The synthesis is the load tester's (`loadtest.clips.flite_speech`, cached on
disk once per machine), untrimmed: the silence flite leaves around a sentence stays.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from loadtest.clips import FLITE_VOICE, SAMPLE_RATE, flite_speech

__all__ = ["SAMPLE_RATE", "SENTENCES", "silence", "speak", "word_error_rate"]

# Short, everyday sentences of the kind people say to a voice assistant; each one uses
# common words so that a small general-purpose recogniser has a fair chance.
SENTENCES: tuple[str, ...] = (
    "hello how are you today",
    "what is the weather like in paris",
    "i would like a cup of coffee please",
    "can you tell me a funny story",
    "the quick brown fox jumps over the lazy dog",
    "please turn off the lights in the kitchen",
    "what time is it right now",
    "my favorite color is blue",
    "i am going to the store this afternoon",
    "do you know where my keys are",
    "let me think about that for a moment",
    "how many people live in new york",
    "we should go for a walk in the park",
    "thank you very much for your help",
    "can you play some music for me",
    "i think it is going to rain tomorrow",
    "what would you like to eat for dinner",
    "she bought a new car last week",
    "the meeting starts at ten in the morning",
    "please call my mother when you get home",
    "how far is the airport from here",
    "i forgot to buy milk and bread",
    "tell me something interesting about the moon",
    "the children are playing in the garden",
    "could you speak a little more slowly",
    "this is the best day of my life",
    "where did you put the newspaper",
    "we are having a party on saturday night",
    "my brother works at the hospital",
    "do you want to watch a movie tonight",
    "the train was late again this morning",
    "i need to finish my homework first",
)


def speak(text: str, voice: str = FLITE_VOICE) -> npt.NDArray[np.float32]:
    """`text` spoken by flite, as mono float32 PCM at 24 kHz, untrimmed (cached on disk)."""
    return flite_speech(text, voice)


def silence(seconds: float) -> npt.NDArray[np.float32]:
    """Digital silence at 24 kHz."""
    return np.zeros(round(seconds * SAMPLE_RATE), dtype=np.float32)


def word_error_rate(references: list[str], hypotheses: list[str]) -> float:
    """Word-level edit distance over all pairs, divided by the number of reference words."""
    errors = sum(
        _edit_distance(r.split(), h.split()) for r, h in zip(references, hypotheses, strict=True)
    )
    words = sum(len(reference.split()) for reference in references)
    return errors / max(words, 1)


def _edit_distance(reference: list[str], hypothesis: list[str]) -> int:
    row = list(range(len(hypothesis) + 1))
    for i, ref_word in enumerate(reference, start=1):
        diagonal, row[0] = row[0], i
        for j, hyp_word in enumerate(hypothesis, start=1):
            substitution = diagonal + (ref_word != hyp_word)
            diagonal, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, substitution)
    return row[-1]
