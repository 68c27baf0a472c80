"""What the game host says, in English and French; the first phrasing is the default."""

from __future__ import annotations

from typing import Literal

Phrasings = dict[Literal["en", "fr"], tuple[str, ...]]

GAME_PHRASES: dict[str, Phrasings] = {
    # --- Guess the animal --------------------------------------------------------------
    "open_guess_animal": {
        "en": (
            "Hi! Let's play a game. I'm thinking of an animal, and you have to guess which "
            "one by asking me yes or no questions. Go ahead, ask your first question!",
            "Hello! I've got an animal in mind. Ask me yes or no questions to figure out "
            "which one it is. Ready? Ask away!",
        ),
        "fr": (
            "Salut ! On fait un jeu. Je pense à un animal, et tu dois deviner lequel en me "
            "posant des questions auxquelles je réponds par oui ou par non. Vas-y, pose ta "
            "première question !",
        ),
    },
    "animal_yes": {
        "en": ("Yes!", "Yep!", "Yes, that's right."),
        "fr": ("Oui !", "Eh oui !", "Oui, tout à fait."),
    },
    "animal_no": {
        "en": ("No.", "Nope.", "Not at all."),
        "fr": ("Non.", "Eh non.", "Pas du tout."),
    },
    "animal_unsure": {
        "en": ("Hmm, that's a tricky one, I'm not sure. Try another question!",),
        "fr": ("Hmm, difficile à dire, je ne suis pas sûr. Essaie une autre question !",),
    },
    "animal_not_understood": {
        "en": (
            "I can only answer yes or no. Try asking about its size, its color, or where it lives.",
        ),
        "fr": (
            "Je ne peux répondre que par oui ou par non. Demande-moi sa taille, sa couleur, "
            "ou où il vit.",
        ),
    },
    "animal_not_a_question": {
        "en": ("That's not a question! Ask me something like: does it live in the water?",),
        "fr": (
            "Ce n'est pas une question ! Demande-moi par exemple : est-ce qu'il vit dans l'eau ?",
        ),
    },
    "animal_wrong_guess": {
        "en": ("No, it's not {guess}. Keep trying!", "Nope, not {guess}. Guess again!"),
        "fr": ("Non, ce n'est pas {guess}. Continue !", "Raté, ce n'est pas {guess} !"),
    },
    "animal_right_guess": {
        "en": ("Yes! It's {animal}! You found it in {count} questions. Want to play again?",),
        "fr": ("Oui ! C'est {animal} ! Tu as trouvé en {count} questions. On rejoue ?",),
    },
    "animal_right_first_try": {
        "en": ("Wow, yes! It's {animal}, on your very first try! Want to play again?",),
        "fr": ("Incroyable ! C'est {animal}, du premier coup ! On rejoue ?",),
    },
    "animal_reveal": {
        "en": ("It was {animal}! Want to play again?",),
        "fr": ("C'était {animal} ! On rejoue ?",),
    },
    "animal_hint": {
        "en": ("Here's a hint: {hint}", "Let me help you: {hint}"),
        "fr": ("Un petit indice : {hint}", "Je t'aide un peu : {hint}"),
    },
    "animal_no_more_hints": {
        "en": ("That's all my hints! Keep guessing, or tell me you give up.",),
        "fr": ("Je n'ai plus d'indices ! Continue, ou dis-moi que tu abandonnes.",),
    },
    "animal_new_round": {
        "en": ("Okay, I'm thinking of a new animal. Ask away!",),
        "fr": ("D'accord, je pense à un nouvel animal. Pose tes questions !",),
    },
    "animal_keep_asking": {
        "en": ("Ask me a yes or no question about the animal.",),
        "fr": ("Pose-moi une question sur l'animal, je réponds par oui ou par non.",),
    },
    "animal_silence": {
        "en": ("Still thinking? Ask me a yes or no question about the animal.",),
        "fr": ("Tu réfléchis ? Pose-moi une question sur l'animal.",),
    },
    # --- Quiz show ---------------------------------------------------------------------
    "open_quiz": {
        "en": (
            "Welcome to the quiz show! I'll ask you {total} questions. Get them all right "
            "and you win the grand prize. Here's the first one.",
            "Hello and welcome, contestant! {total} questions stand between you and the "
            "grand prize. Let's begin.",
        ),
        "fr": (
            "Bienvenue au jeu ! Je vais te poser {total} questions. Si tu as tout bon, tu "
            "gagnes le grand prix. Voici la première.",
        ),
    },
    "quiz_correct": {
        "en": ("Correct!", "That's right!", "Well done, that's correct!"),
        "fr": ("Bonne réponse !", "C'est exact !", "Bravo, c'est juste !"),
    },
    "quiz_wrong": {
        "en": ("Sorry, that's not it. The answer was {answer}.", "Not quite! It was {answer}."),
        "fr": ("Désolé, ce n'est pas ça. La réponse était {answer}.", "Raté ! C'était {answer}."),
    },
    "quiz_pass": {
        "en": ("No problem. The answer was {answer}.",),
        "fr": ("Pas de souci. La réponse était {answer}.",),
    },
    "quiz_next": {
        "en": ("Next question: {question}", "Here's the next one: {question}"),
        "fr": ("Question suivante : {question}", "La suivante : {question}"),
    },
    "quiz_repeat": {
        "en": ("Sure. The question was: {question}",),
        "fr": ("Bien sûr. La question était : {question}",),
    },
    "quiz_hint": {
        "en": ("Here's a hint: the answer starts with {letter}.",),
        "fr": ("Un indice : la réponse commence par {letter}.",),
    },
    "quiz_end": {
        "en": ("That's the end of the game! You got {score} out of {total}.",),
        "fr": ("C'est la fin du jeu ! Tu as {score} bonnes réponses sur {total}.",),
    },
    "quiz_prize": {
        "en": ("A perfect score! You win the grand prize: a huge round of applause!",),
        "fr": ("Un sans-faute ! Tu gagnes le grand prix : une salve d'applaudissements !",),
    },
    "quiz_play_again": {
        "en": ("Want to play another round?",),
        "fr": ("Tu veux refaire une partie ?",),
    },
    "quiz_new_round": {
        "en": ("Great, here we go again!",),
        "fr": ("Super, c'est reparti !",),
    },
    "quiz_silence": {
        "en": ("Take your time. The question was: {question}",),
        "fr": ("Prends ton temps. La question était : {question}",),
    },
    "quiz_back": {
        "en": ("Back to the question: {question}",),
        "fr": ("Revenons à la question : {question}",),
    },
    # --- Both games --------------------------------------------------------------------
    "game_over_ok": {
        "en": ("No problem. Thanks for playing! What would you like to talk about?",),
        "fr": ("Pas de souci. Merci d'avoir joué ! De quoi veux-tu parler ?",),
    },
}
