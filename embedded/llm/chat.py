"""Conversation without a game: small talk, a free-text persona, news, explaining Unmute."""

from __future__ import annotations

import re

from embedded.llm.dialogue import Dialogue
from embedded.llm.intents import Intent, classify, user_name
from embedded.llm.knowledge import answer, reflect
from embedded.llm.lines import Say, ends_with_question, verbatim
from embedded.llm.persona import Character, Persona
from embedded.llm.text import fold, has_any, word_list
from embedded.llm.topics import (
    GENERAL_TOPICS,
    JOKES,
    NEWS_WORDS,
    SMALLTALK_STARTERS,
    UNMUTE_FACTS,
    Fact,
)

# After this many silences in a row, stop asking whether the user is there (it gets
# awkward) and just say the bot is available; the backend decides when to hang up.
SILENCES_BEFORE_STEPPING_BACK = 3
# After these, the reply hands the turn back with a question of its own.
_NEEDS_FOLLOW_UP = frozenset(
    {Intent.HEAR_ME, Intent.THANKS, Intent.USER_NAME, Intent.FEELING_GOOD, Intent.YES,
     Intent.NO, Intent.GREETING}
)  # fmt: skip
_MORE_PLEASE = ("more", "tell me more", "go on", "continue", "what else", "and then",
                "encore", "en savoir plus", "dis m en plus", "la suite", "et ensuite",
                "vas y")  # fmt: skip
_LIKES = re.compile(
    r"\b(?:i (?:really )?(?:like|love|enjoy|adore)|j'(?:aime|adore)(?: bien| beaucoup)?)"
    r"\s+([^.,!?;]+)"
)
# Echoing more than this many of the user's words sounds like a parrot.
_MAX_ECHO_WORDS = 5
# Shorter words are rarely the subject of a sentence.
_MIN_TOPIC_LETTERS = 4
_STOPWORDS = frozenset(
    word_list(
        "about after again also always because been before being could didn doing does done "
        "down every from going gonna have just know like little maybe might more most much "
        "never only other over really right same should some something still such sure than "
        "that their them then there these they thing things think this those through today "
        "tomorrow tonight very want wanna well were what when where which while will with "
        "would yeah yesterday your yours morning evening afternoon week weekend actually "
        "pretty kind quite okay alors aussi avec avoir bien cette comme dans demain depuis "
        "elle encore etre fait faire hier juste mais meme moins parce peut plus pour quand "
        "quelque rien sans suis sont tout tous tres trop vraiment voila aujourd matin soir "
        "chose choses ceci cela penses pense crois"
    )
)


def opening(dialogue: Dialogue, character: Character, persona: Persona) -> list[Say]:
    """The bot's first words, before the user has said anything of substance."""
    if character is Character.NEWS:
        return [Say("open_news"), verbatim(GENERAL_TOPICS[0])]
    if character is Character.UNMUTE_EXPLANATION:
        return [Say("open_explanation")]
    intro = _intro(persona)
    if character is Character.CONSTANT and intro:
        return [Say("open_persona", {"intro": intro, "intro_cap": intro[:1].upper() + intro[1:]})]
    return [Say("open_smalltalk")]


def reply(dialogue: Dialogue, character: Character, persona: Persona) -> list[Say]:
    """The next reply of a conversation that is not a game."""
    text = dialogue.last_user_text
    intent = classify(text)
    folded = fold(text)
    if intent is Intent.SILENCE:
        return silence(dialogue)
    if character is Character.NEWS and has_any(folded, NEWS_WORDS):
        return [Say("no_live_news"), _follow_up(dialogue, character)]
    if character is Character.UNMUTE_EXPLANATION or has_any(folded, ("unmute",)):
        explained = _explain(dialogue, intent, folded, character)
        if explained is not None:
            return explained
    lines = reply_to_intent(intent, text, dialogue, persona)
    if intent in _NEEDS_FOLLOW_UP and not ends_with_question(lines):
        lines.append(_follow_up(dialogue, character))
    return lines


def reply_to_intent(intent: Intent, text: str, dialogue: Dialogue, persona: Persona) -> list[Say]:
    """The plain answer to one user turn, with no follow-up question of its own."""
    match intent:
        case Intent.SILENCE:
            return silence(dialogue)
        case Intent.GOODBYE:
            return goodbye()
        case Intent.HEAR_ME | Intent.HOW_ARE_YOU | Intent.TIME | Intent.THANKS:
            return [Say(intent.value)]
        case Intent.NAME:
            return _name(persona)
        case Intent.JOKE:
            return [verbatim(JOKES[_jokes_told(dialogue) % len(JOKES)])]
        case Intent.USER_NAME:
            return [Say("nice_to_meet", {"name": user_name(text) or ""})]
        case Intent.FEELING_GOOD | Intent.FEELING_BAD:
            return [Say(intent.value)]
        case Intent.GREETING:
            return [Say("greeting_again")]
        case Intent.YES:
            return [Say("yes_ack")]
        case Intent.NO:
            return [Say("no_ack")]
        case Intent.QUESTION:
            return answer(text) or [Say("question_fallback")]
        case Intent.STATEMENT:
            return _statement(text)
    raise AssertionError(f"unhandled intent {intent}")


def silence(dialogue: Dialogue) -> list[Say]:
    """The user has been quiet: check on them, then stop insisting."""
    silences = dialogue.trailing_silences()
    if silences >= SILENCES_BEFORE_STEPPING_BACK:
        return [Say("silence_many")]
    return [Say("silence_first" if silences <= 1 else "silence_again")]


def goodbye() -> list[Say]:
    return [Say("goodbye")]


def _intro(persona: Persona) -> str | None:
    if persona.name and persona.description:
        return f"{persona.name}, {persona.description}"
    return persona.name or persona.description


def _name(persona: Persona) -> list[Say]:
    if persona.name:
        return [Say("name_known", {"name": persona.name})]
    if persona.description:
        return [Say("self_description", {"intro": persona.description})]
    return [Say("name_unknown")]


def _jokes_told(dialogue: Dialogue) -> int:
    """Earlier requests for a joke, so "another one" gets a new joke."""
    return sum(classify(text) is Intent.JOKE for text in dialogue.user_texts()[:-1])


def _follow_up(dialogue: Dialogue, character: Character) -> Say:
    turn = len(dialogue.user_texts())
    if character is Character.NEWS:
        return verbatim(GENERAL_TOPICS[turn % len(GENERAL_TOPICS)])
    if character is Character.UNMUTE_EXPLANATION:
        return Say("explain_more")
    return verbatim(SMALLTALK_STARTERS[turn % len(SMALLTALK_STARTERS)])


def _statement(text: str) -> list[Say]:
    likes = _LIKES.search(text.lower().replace("’", "'"))
    if likes is not None:
        thing = reflect(" ".join(likes.group(1).split()[:_MAX_ECHO_WORDS]))
        return [Say("user_likes", {"thing": thing})]
    topic = _topic(text)
    if topic is not None:
        return [Say("statement_topic", {"topic": topic})]
    return [Say("statement_plain")]


def _topic(text: str) -> str | None:
    """The word most likely to be what the user is talking about: the longest content word."""
    candidates = [
        word
        for word in re.findall(r"[^\W\d_]+", text.lower())
        if len(word) >= _MIN_TOPIC_LETTERS and fold(word) not in _STOPWORDS
    ]
    return max(candidates, key=len) if candidates else None


def _explain(
    dialogue: Dialogue, intent: Intent, folded: str, character: Character
) -> list[Say] | None:
    """A fact about Unmute that the user asked for, or the next one they have not heard."""
    for fact in UNMUTE_FACTS:
        if has_any(folded, fact.keywords):
            return [verbatim(fact.text), Say("explain_more")]
    if character is not Character.UNMUTE_EXPLANATION:
        # Elsewhere, only a direct mention of Unmute gets the explanation.
        return [verbatim(UNMUTE_FACTS[0].text)]
    if intent is not Intent.YES and not has_any(folded, _MORE_PLEASE):
        return None
    # The opening already said what Unmute is (the first fact).
    untold = [fact for fact in UNMUTE_FACTS[1:] if not _was_told(fact, dialogue)]
    if not untold:
        return [Say("explain_done")]
    return [verbatim(untold[0].text), Say("explain_more")]


def _was_told(fact: Fact, dialogue: Dialogue) -> bool:
    said = " ".join(fold(t.content) for t in dialogue.turns if t.role == "assistant")
    # The opening of a fact is enough: an interrupted fact was still heard in part.
    return any(" ".join(fold(text).split()[:6]) in said for text in fact.text.values())
