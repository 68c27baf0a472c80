"""Guess-the-animal and the quiz show, played over several turns from the history alone."""

from __future__ import annotations

import pytest

from embedded.llm.dialogue import ChatMessage
from embedded.llm.games.animal_questions import Answer, answer_about
from embedded.llm.games.animals import ANIMALS, Animal
from embedded.llm.games.guess_animal import AUTO_HINT_AFTER, guessed_name, secret_animal
from embedded.llm.games.quiz import QUESTIONS_PER_ROUND, round_questions
from embedded.llm.games.quiz_questions import QUESTIONS, questions_in_prompt
from embedded.llm.responder import respond

GUESS_FOX = """You talk by voice with the user, through speech-to-text and text-to-speech.
Play a game: you think of an animal and the user guesses it with yes/no questions.
Your chosen animal is: Fox. For a second round, use this animal: Penguin.
Never tell the animal unless they guess it."""
GUESS_UNNAMED = "Guessing game: think of an animal; the user asks yes or no questions."
QUIZ_LISTED = """You are the host of a quiz show and the user is the contestant.
Explain the rules first; there is a prize for answering every question.
Ask these questions, in order:
1. What is the capital of Ireland? (Dublin)
2. Which river flows through the Grand Canyon? (Colorado River)
3. What mountain range separates Europe and Asia? (The Ural Mountains)
"""
QUIZ_BANK = "You host a trivia quiz. Ask the contestant questions and keep the score."


def animal(english_name: str) -> Animal:
    return next(a for a in ANIMALS if a.name["en"] == english_name)


def converse(system: str, user_turns: list[str]) -> list[str]:
    history = [ChatMessage("system", system), ChatMessage("user", "Hello!")]
    replies = [respond(history, temperature=0.0)]
    history.append(ChatMessage("assistant", replies[-1]))
    for text in user_turns:
        history.append(ChatMessage("user", text))
        replies.append(respond(history, temperature=0.0))
        history.append(ChatMessage("assistant", replies[-1]))
    return replies


# --- Guess the animal -----------------------------------------------------------------


def test_the_opening_explains_the_game() -> None:
    opening = converse(GUESS_FOX, [])[0]
    assert "animal" in opening and "yes or no" in opening


def test_questions_get_truthful_answers_and_the_right_guess_wins() -> None:
    replies = converse(
        GUESS_FOX,
        [
            "Is it a mammal?",
            "Can it fly?",
            "Does it have four legs?",
            "Is it bigger than a horse?",
            "Is it a wolf?",
            "Is it a fox?",
        ],
    )
    assert replies[1].startswith("Yes")
    assert replies[2].startswith("No")
    assert replies[3].startswith("Yes")
    assert replies[4].startswith("No")
    assert "not a wolf" in replies[5]
    assert "It's a fox" in replies[6] and "6 questions" in replies[6]  # the guesses count
    assert "play again" in replies[6]


def test_a_second_round_uses_the_prompts_second_animal() -> None:
    replies = converse(GUESS_FOX, ["Is it a fox?", "Yes!", "Does it swim?", "I give up"])
    assert "first try" in replies[1]
    assert "new animal" in replies[2]
    assert replies[3].startswith("Yes")  # penguins swim
    assert "a penguin" in replies[4]


def test_declining_another_round_goes_back_to_chatting() -> None:
    replies = converse(
        GUESS_FOX, ["I give up", "No thanks", "What is 3 plus 4?", "Let's play again"]
    )
    assert "It was a fox" in replies[1]
    assert "Thanks for playing" in replies[2]
    assert "7" in replies[3]
    assert "new animal" in replies[4]


def test_hints_go_from_vague_to_precise_then_run_out() -> None:
    replies = converse(GUESS_FOX, ["Can I have a hint?", "Another hint", "One more hint", "hint"])
    assert "mammal" in replies[1]
    assert "bushy tail" in replies[2]
    assert "letter F" in replies[3]
    assert "all my hints" in replies[4]


def test_a_hint_comes_unasked_after_many_questions() -> None:
    questions = ["Does it have stripes?"] * AUTO_HINT_AFTER[0]
    replies = converse(GUESS_FOX, questions)
    assert "hint" not in replies[-2].lower()
    assert "mammal" in replies[-1]


def test_small_talk_during_the_game_is_answered_and_the_game_goes_on() -> None:
    replies = converse(GUESS_FOX, ["Is it a bird?", "How are you?", "Is it a fox?"])
    assert "How about you?" in replies[2] and "question about the animal" in replies[2]
    assert "2 questions" in replies[3]  # the aside did not count as a question


def test_silence_and_non_questions_do_not_count_as_questions() -> None:
    replies = converse(GUESS_FOX, ["...", "yes", "blah blah", "It's a fox"])
    assert "Still thinking" in replies[1]
    assert "not a question" in replies[2]
    assert "yes or no" in replies[3]
    assert "first try" in replies[4]


def test_an_interrupted_reply_does_not_change_the_game() -> None:
    history = [
        ChatMessage("system", GUESS_FOX),
        ChatMessage("user", "Hello!"),
        ChatMessage("assistant", "Hi! Let's play a game. I'm thinking—"),
        ChatMessage("user", "Is it a wolf?"),
        ChatMessage("assistant", "No, it's not—"),
        ChatMessage("user", "Is it a fox?"),
    ]
    assert "2 questions" in respond(history, temperature=0.0)


def test_the_game_is_played_in_french_when_the_user_speaks_french() -> None:
    replies = converse(GUESS_FOX, ["Est-ce que c'est un mammifère ?", "Est-ce un renard ?"])
    assert replies[1].startswith("Oui")
    assert "un renard" in replies[2]


def test_without_a_named_animal_rounds_follow_a_seeded_order_of_different_animals() -> None:
    rounds = [secret_animal(GUESS_UNNAMED, n) for n in range(5)]
    assert len({a.name["en"] for a in rounds}) == 5
    assert rounds == [secret_animal(GUESS_UNNAMED, n) for n in range(5)]


@pytest.mark.parametrize(
    ("name", "question", "expected"),
    [
        ("a penguin", "Can it fly?", Answer.NO),
        ("a penguin", "Does it have wings?", Answer.YES),
        ("a penguin", "Does it eat fish?", Answer.YES),
        ("a penguin", "Is it a fish?", Answer.NO),
        ("a spider", "Does it have eight legs?", Answer.YES),
        ("a spider", "Does it have six legs?", Answer.NO),
        ("a snake", "Does it have legs?", Answer.NO),
        ("an elephant", "Is it bigger than a car?", Answer.YES),
        ("a mouse", "Is it smaller than a cat?", Answer.YES),
        ("a mouse", "Is it bigger than a spaceship?", Answer.UNSURE),
        ("a zebra", "Does it have stripes?", Answer.YES),
        ("a zebra", "Est-ce qu'il a des rayures ?", Answer.YES),
        ("a cow", "Does it live on a farm?", Answer.YES),
        ("a cat", "Is it a pet?", Answer.YES),
        ("a lion", "Is it wild?", Answer.YES),
        ("a dolphin", "Does it live in the sea?", Answer.YES),
        ("an eagle", "Est-ce qu'il vole ?", Answer.YES),
    ],
)
def test_yes_no_questions_about_an_animal(name: str, question: str, expected: Answer) -> None:
    assert answer_about(animal(name), question) is expected


def test_a_question_about_nothing_known_is_not_understood() -> None:
    assert answer_about(animal("a cat"), "What is its favourite film?") is None


@pytest.mark.parametrize(
    ("said", "name"),
    [
        ("Is it a lion?", "lion"),
        ("lion!", "lion"),
        ("Hmm, a polar bear?", "polar bear"),
        ("Is it a wombat or a dog?", "dog"),
        ("Est-ce que c'est un loup ?", "loup"),
        ("Can it fly?", None),
        ("Is it bigger than a cat?", None),
    ],
)
def test_recognises_a_guess(said: str, name: str | None) -> None:
    found = guessed_name(said)
    assert (found[0] if found else None) == name


# --- Quiz show ------------------------------------------------------------------------


def test_the_quiz_asks_the_prompts_questions_in_order_and_checks_answers() -> None:
    replies = converse(QUIZ_LISTED, ["Dublin!", "Hmm, the Mississippi?", "The Urals"])
    assert "prize" in replies[0] and "capital of Ireland" in replies[0]
    assert replies[1].startswith(("Correct", "That's right", "Well done"))
    assert "Grand Canyon" in replies[1]
    assert "Colorado River" in replies[2] and "Europe and Asia" in replies[2]
    assert "2 out of 3" in replies[3] and "another round" in replies[3]


def test_a_perfect_score_wins_the_prize() -> None:
    replies = converse(QUIZ_LISTED, ["Dublin", "The Colorado", "Ural mountains"])
    assert "3 out of 3" in replies[3] and "grand prize" in replies[3]


def test_repeat_hint_and_pass_do_not_lose_the_question() -> None:
    replies = converse(
        QUIZ_LISTED, ["Can you repeat the question?", "Give me a hint", "...", "I don't know"]
    )
    assert "capital of Ireland" in replies[1]
    assert "starts with D" in replies[2]
    assert "capital of Ireland" in replies[3]
    assert "was Dublin" in replies[4] and "Grand Canyon" in replies[4]


def test_another_round_comes_from_the_question_bank() -> None:
    replies = converse(QUIZ_LISTED, ["Dublin", "no idea", "pass", "Yes, again!", "bye"])
    second_round_first = round_questions(QUIZ_LISTED, 1)[0]
    assert second_round_first.text["en"] in replies[4]
    assert replies[5].endswith("Bye!")


def test_declining_another_round_ends_the_quiz() -> None:
    replies = converse(QUIZ_LISTED, ["a", "b", "c", "No thanks"])
    assert "Thanks for playing" in replies[4]


def test_bank_rounds_have_distinct_questions_and_change_between_rounds() -> None:
    first, second = round_questions(QUIZ_BANK, 0), round_questions(QUIZ_BANK, 1)
    assert len(first) == QUESTIONS_PER_ROUND
    assert len({q.text["en"] for q in first + second}) == 2 * QUESTIONS_PER_ROUND


def test_the_quiz_speaks_french_and_accepts_number_words() -> None:
    spider = next(q for q in QUESTIONS if "spider" in q.text["en"])
    assert spider.is_answered_by("huit") and spider.is_answered_by("eight legs")
    assert spider.is_answered_by("8") and not spider.is_answered_by("six")
    replies = converse(QUIZ_BANK, ["Je ne sais pas"])
    assert "La réponse était" in replies[1]


def test_questions_listed_in_a_prompt_are_parsed_with_their_answers() -> None:
    listed = questions_in_prompt(
        QUIZ_LISTED + "4. Which country has the most islands? (Sweden (270,000))\n"
        "5. What colors is the UN flag? (Blue and white)\n"
    )
    assert [q.answer["en"] for q in listed] == [
        "Dublin",
        "Colorado River",
        "The Ural Mountains",
        "Sweden",
        "Blue and white",
    ]
    assert listed[2].is_answered_by("the ural")
    assert listed[4].is_answered_by("white")
