"""A phrase as a Piper voice's input: espeak-ng's IPA phonemes as the voice's phoneme ids,
and which ids belong to which word, so that the model's durations time the words.

Piper voices learnt espeak-ng's IPA split into single code points (Unicode NFD), each id
followed by the pad id, between a begin and an end id. A clause keeps its punctuation
mark, which the voice hears as intonation. espeak drops that mark from its phonemes;
we know it from the words.

espeak joins and splits words as it reads them ("I am" is one phoneme word, "2024" three,
"$5" puts "dollars" last), so each word is found in the phrase's phonemes by aligning
them with the word phonemised on its own. Pure: the phonemiser is passed in.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from embedded.tts.phrasing import CLOSERS, ending_of
from embedded.tts.synthesizer import TimedWord

BOS = "^"
EOS = "$"
PAD = "_"

Phonemize = Callable[[str], list[str]]  # text → IPA, one string per clause

# espeak marks words it reads in another language: "(en)wiːkɛnd(fr)".
_LANGUAGE_SWITCH = re.compile(r"\([a-z]{2,3}(?:-[a-z0-9]+)?\)")
# The mark a phrase ends with, as the voices learnt them; dashes and ellipses read alike.
_FINAL_MARKS = {
    ".": ".",
    "!": "!",
    "?": "?",
    "…": ".",
    ",": ",",
    ";": ";",
    ":": ":",
    "—": ",",
    "–": ",",
}
# A phrase cut mid-sentence: a comma asks for continuing intonation, not a final fall.
_OPEN_MARK = ","
_NOT_OF_A_WORD = frozenset(" .!?,;:")


@dataclass(frozen=True)
class PhrasePhonemes:
    phonemes: str  # NFD code points, words apart by spaces, ending with the phrase's mark
    word_of: tuple[int | None, ...]  # per code point: the index of its word, None between words

    def cut(self, most: int) -> PhrasePhonemes:
        """At most `most` code points: a guard against a runaway word."""
        return PhrasePhonemes(self.phonemes[:most], self.word_of[:most])


@dataclass(frozen=True)
class PhonemeIds:
    ids: list[int]
    # Per word, the ids [first, end) that speak it; first == end for a word not heard.
    word_spans: list[tuple[int, int]]

    def word_times(
        self, words: Sequence[str], id_edges_s: npt.NDArray[np.float64]
    ) -> list[TimedWord]:
        """Each word's start and stop, given when each id starts (`len(ids) + 1` edges)."""
        return [
            TimedWord(word, float(id_edges_s[first]), float(id_edges_s[end]))
            for word, (first, end) in zip(words, self.word_spans, strict=True)
        ]


def final_mark(last_word: str, open_ended: bool) -> str:
    """The punctuation the phrase's phonemes end with."""
    stripped = last_word.rstrip(CLOSERS)
    if stripped and stripped[-1] in _FINAL_MARKS:
        return _FINAL_MARKS[stripped[-1]]
    return _OPEN_MARK if open_ended else "."


def phrase_phonemes(words: Sequence[str], phonemize: Phonemize, open_ended: bool) -> PhrasePhonemes:
    """The phrase's phonemes, and the word each code point comes from."""
    if not words:
        return PhrasePhonemes("", ())
    # Clause by clause, so that punctuation inside a text (two sentences) is heard too.
    clauses: list[str] = []
    start = 0
    for end, word in enumerate(words, start=1):
        if end == len(words) or ending_of(word) != "open":
            phonemes = _clean(" ".join(phonemize(" ".join(words[start:end]))))
            if phonemes:  # a clause of symbols alone ("—") is not heard, nor its mark
                clauses.append(phonemes + final_mark(word, open_ended or end < len(words)))
            start = end
    whole = " ".join(clauses)
    reference: list[str] = []
    owners: list[int] = []
    for index, word in enumerate(words):
        alone = _clean("".join(phonemize(word))).replace(" ", "")
        reference.extend(alone)
        owners.extend([index] * len(alone))
    word_of: list[int | None] = [None] * len(whole)
    matcher = difflib.SequenceMatcher(None, "".join(reference), whole, autojunk=False)
    for block in matcher.get_matching_blocks():
        for offset in range(block.size):
            if whole[block.b + offset] not in _NOT_OF_A_WORD:
                word_of[block.b + offset] = owners[block.a + offset]
    return PhrasePhonemes(whole, tuple(_fill_unmatched(whole, word_of)))


def to_ids(
    phrase: PhrasePhonemes, id_map: Mapping[str, Sequence[int]], word_count: int
) -> PhonemeIds:
    """The voice's ids for the phrase; code points the voice never learnt are skipped."""
    ids = [*id_map[BOS], *id_map[PAD]]
    firsts: list[int | None] = [None] * word_count
    ends: list[int | None] = [None] * word_count
    for char, owner in zip(phrase.phonemes, phrase.word_of, strict=True):
        if char not in id_map:
            continue
        start = len(ids)
        ids.extend(id_map[char])
        ids.extend(id_map[PAD])
        if owner is not None:
            firsts[owner] = start if firsts[owner] is None else firsts[owner]
            ends[owner] = len(ids)
    spans: list[tuple[int, int]] = []
    previous_end = len(id_map[BOS]) + len(id_map[PAD])
    for first, end in zip(firsts, ends, strict=True):
        if first is None or end is None:  # not heard: an instant where it would have been
            spans.append((previous_end, previous_end))
        else:
            spans.append((first, end))
            previous_end = end
    ids.extend(id_map[EOS])
    return PhonemeIds(ids=ids, word_spans=spans)


def _clean(phonemes: str) -> str:
    without_switches = _LANGUAGE_SWITCH.sub("", phonemes)
    return unicodedata.normalize("NFD", " ".join(without_switches.split()))


def _fill_unmatched(whole: str, word_of: list[int | None]) -> list[int | None]:
    """Phonemes the alignment left out take the word of a neighbour: within their phoneme
    word first (the one before, else after), else the word before. Keeps the order."""
    filled = list(word_of)
    last_seen: int | None = None
    start = 0
    while start < len(whole):
        if whole[start] in _NOT_OF_A_WORD:
            start += 1
            continue
        end = start
        while end < len(whole) and whole[end] not in _NOT_OF_A_WORD:
            end += 1
        known = [owner for owner in word_of[start:end] if owner is not None]
        current = known[0] if known else last_seen
        if current is None:  # nothing matched yet: take the next word that did
            current = next((owner for owner in word_of[end:] if owner is not None), None)
        for position in range(start, end):
            if word_of[position] is None:
                filled[position] = current
            else:
                current = word_of[position]
        last_seen = current
        start = end
    return filled
