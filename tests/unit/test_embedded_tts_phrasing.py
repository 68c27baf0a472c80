"""How words from an LLM are grouped into phrases for the CPU TTS."""

from __future__ import annotations

from embedded.tts.phrasing import (
    CLAUSE_PAUSE_S,
    FIRST_PHRASE_MAX_WORDS,
    IDLE_CUT_S,
    PHRASE_MAX_WORDS,
    SENTENCE_PAUSE_S,
    Phrase,
    PhraseChunker,
    ending_of,
)


def feed(chunker: PhraseChunker, words: list[str], start: float = 0.0) -> list[Phrase]:
    phrases = []
    for index, word in enumerate(words):
        phrase = chunker.add_word(word, start + 0.03 * index)
        if phrase:
            phrases.append(phrase)
    return phrases


def test_first_phrase_is_cut_after_a_few_words() -> None:
    chunker = PhraseChunker()
    phrases = feed(chunker, ["I", "really", "think", "that"])
    assert phrases == [Phrase(("I", "really", "think")[:FIRST_PHRASE_MAX_WORDS], "open")]


def test_punctuation_ends_a_phrase_at_once() -> None:
    chunker = PhraseChunker()
    assert feed(chunker, ["Hi!"]) == [Phrase(("Hi!",), "sentence")]
    assert feed(chunker, ["Well,"]) == [Phrase(("Well,",), "clause")]


def test_later_phrases_run_to_punctuation() -> None:
    chunker = PhraseChunker()
    feed(chunker, ["Hello."])
    words = ["the", "weather", "today", "is", "quite", "nice", "for", "a", "walk."]
    assert feed(chunker, words) == [Phrase(tuple(words), "sentence")]


def test_a_long_clause_is_cut_at_the_word_limit() -> None:
    chunker = PhraseChunker()
    feed(chunker, ["Hello."])
    words = [f"w{i}" for i in range(PHRASE_MAX_WORDS + 2)]
    phrases = feed(chunker, words)
    assert [len(p.words) for p in phrases] == [PHRASE_MAX_WORDS]
    assert chunker.finish() == Phrase(tuple(words[PHRASE_MAX_WORDS:]), "open")


def test_pending_words_are_cut_when_the_llm_stalls() -> None:
    chunker = PhraseChunker()
    feed(chunker, ["Hello."])
    assert chunker.idle_cut_due_at() is None
    assert chunker.add_word("so", 10.0) is None
    assert chunker.idle_cut_due_at() == 10.0 + IDLE_CUT_S
    assert chunker.cut_if_idle(10.0 + IDLE_CUT_S / 2) is None
    assert chunker.cut_if_idle(10.0 + IDLE_CUT_S) == Phrase(("so",), "open")
    assert chunker.idle_cut_due_at() is None


def test_finish_returns_the_rest_once() -> None:
    chunker = PhraseChunker()
    chunker.add_word("one", 0.0)
    assert chunker.finish() == Phrase(("one",), "open")
    assert chunker.finish() is None


def test_closing_quotes_do_not_hide_the_end_of_a_sentence() -> None:
    assert ending_of('"Really?"') == "sentence"
    assert ending_of("(yes),") == "clause"
    assert ending_of("e.g") == "open"


def test_pauses_follow_punctuation() -> None:
    assert Phrase(("Done.",), "sentence").pause_after_s == SENTENCE_PAUSE_S
    assert Phrase(("so,",), "clause").pause_after_s == CLAUSE_PAUSE_S
    assert Phrase(("and",), "open").pause_after_s == 0.0
