"""Trivia for the quiz show: each question in both languages, with the answers it accepts."""

from __future__ import annotations

import re
from dataclasses import dataclass

from embedded.llm.language import Localized
from embedded.llm.text import fold, has_any, has_phrase, with_digits


@dataclass(frozen=True)
class Question:
    text: Localized
    answer: Localized  # as the host says it
    accepted: tuple[str, ...]  # any of these, as whole words, in either language
    theme: str = ""  # a key of THEMES

    def is_answered_by(self, reply: str) -> bool:
        said = _singular(with_digits(fold(reply)))
        return any(
            has_phrase(said, _singular(with_digits(fold(option)))) for option in self.accepted
        )


def _singular(folded: str) -> str:
    """Plurals trimmed, "the urals" → "the ural": a plural still names the answer."""
    return " ".join(w[:-1] if len(w) > 3 and w.endswith("s") else w for w in folded.split())


# Words a prompt may use for a theme ("Today's theme is space and astronomy").
THEMES: dict[str, tuple[str, ...]] = {
    "geography": ("geography", "geographie", "countries", "pays du monde"),
    "animals": ("animals", "nature", "animaux", "wildlife"),
    "space": ("space", "astronomy", "espace", "astronomie", "planets", "planetes"),
    "history": ("history", "histoire"),
    "food": ("food", "cooking", "cuisine", "gastronomie"),
    "inventions": ("inventions", "inventors", "inventeurs"),
    "music": ("music", "musique"),
    "sports": ("sports", "sport"),
    "body": ("human body", "corps humain", "anatomy", "anatomie"),
    "languages": ("languages", "langues"),
    "science": ("science", "sciences", "mathematics", "maths"),
}


def themes_in(system_prompt: str) -> set[str]:
    folded = fold(system_prompt)
    return {theme for theme, words in THEMES.items() if has_any(folded, words)}


def _q(theme: str, en: str, fr: str, answer_en: str, answer_fr: str, *accepted: str) -> Question:
    return Question({"en": en, "fr": fr}, {"en": answer_en, "fr": answer_fr}, accepted, theme)


QUESTIONS: tuple[Question, ...] = (
    _q("geography", "What is the capital of France?", "Quelle est la capitale de la France ?",
       "Paris", "Paris", "paris"),
    _q("geography", "What is the largest ocean on Earth?",
       "Quel est le plus grand océan du monde ?", "the Pacific", "le Pacifique",
       "pacific", "pacifique"),
    _q("geography", "In which country are the pyramids of Giza?",
       "Dans quel pays se trouvent les pyramides de Gizeh ?", "Egypt", "l'Égypte",
       "egypt", "egypte"),
    _q("geography", "Which ocean lies between Europe and America?",
       "Quel océan se trouve entre l'Europe et l'Amérique ?", "the Atlantic", "l'Atlantique",
       "atlantic", "atlantique"),
    _q("animals", "How many legs does a spider have?", "Combien de pattes a une araignée ?",
       "eight", "huit", "8"),
    _q("animals", "What is the tallest animal in the world?",
       "Quel est l'animal le plus grand du monde ?", "the giraffe", "la girafe",
       "giraffe", "girafe"),
    _q("animals", "Which animal is called the king of the jungle?",
       "Quel animal appelle-t-on le roi de la jungle ?", "the lion", "le lion", "lion"),
    _q("animals", "What do bees make?", "Que fabriquent les abeilles ?", "honey", "du miel",
       "honey", "miel"),
    _q("space", "Which planet is known as the red planet?",
       "Quelle planète surnomme-t-on la planète rouge ?", "Mars", "Mars", "mars"),
    _q("space", "What is the largest planet in our solar system?",
       "Quelle est la plus grande planète du système solaire ?", "Jupiter", "Jupiter",
       "jupiter"),
    _q("space", "What is the closest star to the Earth?",
       "Quelle est l'étoile la plus proche de la Terre ?", "the Sun", "le Soleil",
       "sun", "soleil"),
    _q("history", "Who painted the Mona Lisa?", "Qui a peint la Joconde ?",
       "Leonardo da Vinci", "Léonard de Vinci", "vinci", "leonardo", "leonard"),
    _q("history", "Who was the first person to walk on the Moon?",
       "Qui a été le premier homme à marcher sur la Lune ?", "Neil Armstrong",
       "Neil Armstrong", "armstrong"),
    _q("history", "Which French emperor lost the battle of Waterloo?",
       "Quel empereur français a perdu la bataille de Waterloo ?", "Napoleon", "Napoléon",
       "napoleon", "bonaparte"),
    _q("food", "Which country does sushi come from?", "De quel pays vient le sushi ?",
       "Japan", "le Japon", "japan", "japon"),
    _q("food", "What is the main ingredient of guacamole?",
       "Quel est l'ingrédient principal du guacamole ?", "avocado", "l'avocat",
       "avocado", "avocat"),
    _q("inventions", "Who invented the telephone?", "Qui a inventé le téléphone ?",
       "Alexander Graham Bell", "Alexander Graham Bell", "bell"),
    _q("inventions", "What did the Wright brothers invent?",
       "Qu'ont inventé les frères Wright ?", "the airplane", "l'avion",
       "airplane", "aeroplane", "plane", "avion"),
    _q("music", "How many strings does a standard guitar have?",
       "Combien de cordes a une guitare classique ?", "six", "six", "6"),
    _q("music", "Which instrument has eighty-eight keys?",
       "Quel instrument a quatre-vingt-huit touches ?", "the piano", "le piano", "piano"),
    _q("sports", "How many players does a football team have on the field?",
       "Combien de joueurs compte une équipe de football sur le terrain ?", "eleven", "onze",
       "11"),
    _q("sports", "How many rings are on the Olympic flag?",
       "Combien d'anneaux y a-t-il sur le drapeau olympique ?", "five", "cinq", "5"),
    _q("body", "Which organ pumps blood around the body?",
       "Quel organe fait circuler le sang dans le corps ?", "the heart", "le cœur",
       "heart", "coeur"),
    _q("body", "What is the largest organ of the human body?",
       "Quel est le plus grand organe du corps humain ?", "the skin", "la peau",
       "skin", "peau"),
    _q("languages", "What language do people speak in Brazil?",
       "Quelle langue parle-t-on au Brésil ?", "Portuguese", "le portugais",
       "portuguese", "portugais"),
    _q("languages", "How do you say thank you in Spanish?",
       "Comment dit-on merci en espagnol ?", "gracias", "gracias", "gracias"),
    _q("science", "What color do you get when you mix blue and yellow?",
       "Quelle couleur obtient-on en mélangeant du bleu et du jaune ?",
       "green", "le vert", "green", "vert"),
    _q("science", "At how many degrees Celsius does water freeze?",
       "À combien de degrés Celsius l'eau gèle-t-elle ?", "zero", "zéro", "0"),
    _q("science", "What is the hardest natural material?",
       "Quel est le matériau naturel le plus dur ?", "diamond", "le diamant",
       "diamond", "diamant"),
    _q("science", "How many sides does a hexagon have?", "Combien de côtés a un hexagone ?",
       "six", "six", "6"),
    _q("science", "How many minutes are there in an hour?",
       "Combien y a-t-il de minutes dans une heure ?", "sixty", "soixante", "60"),
)  # fmt: skip


# "3. What is the capital of Ireland? (Dublin)": a numbered question, its answer after it.
_PROMPT_QUESTION = re.compile(
    r"^\s*\d+[.)]\s*(?P<question>[^\n]+?\?)\s*[(\[](?P<answer>[^\n]+)[)\]]\s*$", re.MULTILINE
)
_PARENTHESIS = re.compile(r"\s*\([^)]*\)")
_ALTERNATIVES = re.compile(r"\s*(?:/|,|;|\band\b|\bor\b|\bet\b|\bou\b)\s*")
_ARTICLES = ("the ", "a ", "an ", "le ", "la ", "les ", "l ")


def questions_in_prompt(system_prompt: str) -> list[Question]:
    """The questions a prompt lists with their answers, in order; the host asks those."""
    found: list[Question] = []
    for match in _PROMPT_QUESTION.finditer(system_prompt):
        question = match.group("question").strip()
        answer = _PARENTHESIS.sub("", match.group("answer")).strip()
        if answer:
            found.append(Question({"en": question, "fr": question}, {"en": answer, "fr": answer},
                                  _accepted(answer)))  # fmt: skip
    return found


def _accepted(answer: str) -> tuple[str, ...]:
    """Answers to accept: "The Ural Mountains" → "ural mountains", "ural"; "A and B" → each."""
    options: list[str] = []
    for part in [answer, *_ALTERNATIVES.split(answer)]:
        folded = fold(part)
        for article in _ARTICLES:
            folded = folded.removeprefix(article)
        if folded:
            options.append(folded)
            first_word = folded.split()[0]
            if len(first_word) >= 4:  # "ural", "mexico", "colorado": enough on their own
                options.append(first_word)
    return tuple(dict.fromkeys(options))
