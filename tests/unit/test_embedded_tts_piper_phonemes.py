"""A phrase as Piper's phoneme ids, and which ids speak which word."""

from __future__ import annotations

import unicodedata

import numpy as np
import pytest

from embedded.tts.engine import shared_engine
from embedded.tts.espeak import Espeak
from embedded.tts.piper_phonemes import (
    BOS,
    EOS,
    PAD,
    PhrasePhonemes,
    final_mark,
    phrase_phonemes,
    to_ids,
)

# What espeak says for these, alone and together: it joins "I am" and "of the", and reads
# "2024" as three words.
SCRIPTED = {
    "I am here": ["aɪɐm hˈɪɹ"],
    "I": ["ˈaɪ"],
    "am": ["ˈæm"],
    "here": ["hˈɪɹ"],
    "in 2024 now": ["ɪn tˈuː θˈaʊzənd twˈɛnti fˈɔːɹ nˈaʊ"],
    "in": ["ˈɪn"],
    "2024": ["tˈuː θˈaʊzənd twˈɛnti fˈɔːɹ"],
    "now": ["nˈaʊ"],
    "Hi,": ["hˈaɪ"],
    "Hi.": ["hˈaɪ"],
    "—": [],
    "you": ["jˈuː"],
    "you there?": ["juː ðˈɛɹ"],
    "there?": ["ðˈɛɹ"],
    "le weekend": ["lə (en)wˈiːkɛnd(fr)"],
    "le": ["lə"],
    "weekend": ["(en)wˈiːkɛnd(fr)"],
}


def scripted(text: str) -> list[str]:
    return SCRIPTED[text]


def words_heard(phrase: PhrasePhonemes, count: int) -> list[str]:
    """Each word's phonemes, read back through `word_of`."""
    heard = [""] * count
    for char, owner in zip(phrase.phonemes, phrase.word_of, strict=True):
        if owner is not None:
            heard[owner] += char
    return heard


@pytest.mark.parametrize(
    ("last_word", "open_ended", "mark"),
    [
        ("done.", False, "."),
        ("really?!", False, "!"),
        ("what?", False, "?"),
        ('"yes!"', False, "!"),
        ("well,", True, ","),
        ("so…", False, "."),
        ("then—", True, ","),
        ("list:", True, ":"),
        ("and", True, ","),
        ("end", False, "."),
    ],
)
def test_the_phrase_ends_with_its_punctuation(last_word: str, open_ended: bool, mark: str) -> None:
    assert final_mark(last_word, open_ended) == mark


def test_joined_words_are_split_back_by_alignment() -> None:
    phrase = phrase_phonemes(["I", "am", "here"], scripted, open_ended=False)
    assert phrase.phonemes == unicodedata.normalize("NFD", "aɪɐm hˈɪɹ.")
    heard = words_heard(phrase, 3)
    # espeak's reduced "ɐ" matches neither word alone: it goes with a neighbour.
    assert heard[0].startswith("aɪ") and heard[1].endswith("m")
    assert heard[0] + heard[1] == "aɪɐm" and heard[2] == "hˈɪɹ"
    assert phrase.word_of[-1] is None  # the mark belongs to no word


def test_a_number_read_as_several_words_stays_one_word() -> None:
    phrase = phrase_phonemes(["in", "2024", "now"], scripted, open_ended=True)
    heard = words_heard(phrase, 3)
    assert heard[0] == "ɪn" and heard[2] == "nˈaʊ"
    assert heard[1] == "tˈuːθˈaʊzəndtwˈɛntifˈɔːɹ"  # the spaces between belong to no word
    assert phrase.phonemes.endswith(",")


def test_a_silent_word_gets_no_phonemes_and_order_is_kept() -> None:
    phrase = phrase_phonemes(["Hi,", "—", "you"], scripted, open_ended=False)
    assert phrase.phonemes == unicodedata.normalize("NFD", "hˈaɪ, jˈuː.")
    assert words_heard(phrase, 3) == ["hˈaɪ", "", "jˈuː"]
    owners = [owner for owner in phrase.word_of if owner is not None]
    assert owners == sorted(owners)


def test_punctuation_inside_a_text_is_kept_between_its_clauses() -> None:
    phrase = phrase_phonemes(["Hi.", "you", "there?"], scripted, open_ended=False)
    assert phrase.phonemes == unicodedata.normalize("NFD", "hˈaɪ. juː ðˈɛɹ?")
    assert words_heard(phrase, 3) == ["hˈaɪ", "juː", "ðˈɛɹ"]


def test_language_switch_marks_are_dropped() -> None:
    phrase = phrase_phonemes(["le", "weekend"], scripted, open_ended=False)
    assert "(" not in phrase.phonemes and "en" not in phrase.phonemes
    assert words_heard(phrase, 2) == ["lə", "wˈiːkɛnd"]


def test_phonemes_are_decomposed_into_code_points() -> None:
    phrase = phrase_phonemes(["le"], lambda text: ["ɑ̃"], open_ended=False)
    assert phrase.phonemes == "ɑ\u0303."


def test_ids_follow_pipers_layout() -> None:
    id_map = {BOS: [1], EOS: [2], PAD: [0], " ": [3], ".": [10], "a": [14], "b": [15]}
    phrase = PhrasePhonemes("ab a.", (0, 0, None, 1, None))
    ids = to_ids(phrase, id_map, word_count=2)
    #                 ^  _  a   _  b   _     _  a   _  .   _  $
    assert ids.ids == [1, 0, 14, 0, 15, 0, 3, 0, 14, 0, 10, 0, 2]
    assert ids.word_spans == [(2, 6), (8, 10)]


def test_phonemes_the_voice_never_learnt_are_skipped() -> None:
    id_map = {BOS: [1], EOS: [2], PAD: [0], "a": [14]}
    ids = to_ids(PhrasePhonemes("aʘa", (0, 0, 1)), id_map, word_count=3)
    assert ids.ids == [1, 0, 14, 0, 14, 0, 2]
    # The third word was never heard: an instant where the words before it end.
    assert ids.word_spans == [(2, 4), (4, 6), (6, 6)]


def test_word_times_come_from_id_edges() -> None:
    id_map = {BOS: [1], EOS: [2], PAD: [0], " ": [3], "a": [14], "b": [15]}
    ids = to_ids(PhrasePhonemes("a b", (0, None, 1)), id_map, word_count=2)
    edges = np.arange(len(ids.ids) + 1, dtype=np.float64) / 10
    timed = ids.word_times(["one", "two"], edges)
    assert [(w.text, w.start_s, w.stop_s) for w in timed] == [
        ("one", 0.2, 0.4),
        ("two", 0.6, 0.8),
    ]


def test_a_cut_keeps_phonemes_and_owners_together() -> None:
    phrase = PhrasePhonemes("abc.", (0, 0, 1, None)).cut(2)
    assert phrase == PhrasePhonemes("ab", (0, 0))


@pytest.mark.parametrize(
    "text",
    [
        "I am going to the store, aren't I?",
        "In 2024 we paid $5.50 for the U.S.A. trip.",
        "Dr. Smith's well-known e.g. examples (really) work",
        "Hmm… 3:45 pm — OK!",
    ],
)
async def test_espeaks_phonemes_give_every_spoken_word_its_own_in_order(text: str) -> None:
    words = text.split()

    def phonemes(espeak: Espeak) -> PhrasePhonemes:
        return phrase_phonemes(words, lambda t: espeak.phonemize(t, "en-us"), False)

    phrase = await shared_engine().call(phonemes)
    owners = [owner for owner in phrase.word_of if owner is not None]
    assert owners == sorted(owners)
    heard = words_heard(phrase, len(words))
    for word, sounds in zip(words, heard, strict=True):
        if any(char.isalnum() for char in word):
            assert sounds, f"{word!r} got no phonemes in {phrase.phonemes!r}"
