"""What both games share: their phases and the phrases that steer a game."""

from __future__ import annotations

from enum import Enum

from embedded.llm.intents import Intent


class Phase(Enum):
    PLAYING = "playing"
    REPLAY_OFFERED = "replay_offered"  # a round ended with "want to play again?"
    IDLE = "idle"  # the user declined: just chatting until they ask for a game


PLAY_AGAIN = (
    "play again", "another game", "another round", "new game", "one more", "let's play",
    "play a game", "again", "rejouer", "on rejoue", "encore une partie", "nouvelle partie",
    "une autre partie", "on joue", "jouer", "encore",
)  # fmt: skip
GIVE_UP = (
    "i give up", "give up", "tell me the answer", "just tell me", "what is it",
    "what was it", "reveal", "i surrender", "j abandonne", "je donne ma langue au chat",
    "dis moi ce que c est", "c est quoi la reponse", "donne moi la reponse",
)  # fmt: skip
HINT = ("hint", "clue", "help me", "a little help", "indice", "aide moi", "un indice")
REPEAT = (
    "repeat", "say that again", "what was the question", "come again", "what did you say",
    "sorry what", "pardon", "repete", "repeter", "quelle etait la question", "la question",
)  # fmt: skip
PASS = (
    "i don't know", "no idea", "pass", "skip", "next question", "i have no idea",
    "je ne sais pas", "je sais pas", "aucune idee", "passe", "je passe", "question suivante",
)  # fmt: skip

# Conversation that is not a move in the game: answered, then the game goes on.
CHAT_ASIDES = frozenset(
    {Intent.HEAR_ME, Intent.HOW_ARE_YOU, Intent.NAME, Intent.TIME, Intent.JOKE,
     Intent.THANKS, Intent.USER_NAME, Intent.GREETING, Intent.FEELING_GOOD,
     Intent.FEELING_BAD}
)  # fmt: skip
