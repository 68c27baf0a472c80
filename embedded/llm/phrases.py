"""Everything the responder says, in English and French, with a few phrasings each.

The first phrasing of each entry is the one used at temperature 0. Replies are spoken,
so: short sentences, no markdown, nothing a text-to-speech engine would stumble on.
"""

from __future__ import annotations

from typing import Literal

Phrasings = dict[Literal["en", "fr"], tuple[str, ...]]

CHAT_PHRASES: dict[str, Phrasings] = {
    "verbatim": {"en": ("{text}",), "fr": ("{text}",)},
    # --- Openings ------------------------------------------------------------------
    "open_smalltalk": {
        "en": (
            "Hey there, nice to hear from you! How's your day going so far?",
            "Hi! I'm glad you stopped by. What have you been up to today?",
            "Hello! Good to talk to you. So, how are you doing today?",
        ),
        "fr": (
            "Salut, ça fait plaisir de t'entendre ! Comment se passe ta journée ?",
            "Bonjour ! Content que tu sois là. Qu'est-ce que tu as fait de beau aujourd'hui ?",
            "Coucou ! Alors, comment ça va aujourd'hui ?",
        ),
    },
    "open_persona": {
        "en": (
            "Hi there! I'm {intro}. What would you like to talk about?",
            "Hello! {intro_cap} here. So, what's on your mind?",
        ),
        "fr": (
            "Salut ! Moi, c'est {intro}. De quoi veux-tu parler ?",
            "Bonjour ! Ici {intro}. Alors, qu'est-ce qui t'amène ?",
        ),
    },
    "open_news": {
        "en": (
            "Hi! I'd love to talk about the news, but I don't have a live news feed today, "
            "so I can't tell you what's happening. Let's chat about something else instead.",
            "Hello! Normally we'd go over the news, but I have no live news to share today. "
            "We can still have a nice chat, though.",
        ),
        "fr": (
            "Salut ! J'aimerais bien parler de l'actualité, mais je n'ai pas accès aux "
            "nouvelles aujourd'hui. Parlons plutôt d'autre chose.",
            "Bonjour ! D'habitude on parle de l'actualité, mais je n'ai pas les nouvelles "
            "du jour. On peut quand même discuter un peu.",
        ),
    },
    "open_explanation": {
        "en": (
            "Hi! I'm here to tell you about Unmute. It's a self-hosted voice layer that lets "
            "any text language model listen and speak. Want to know how it works?",
            "Hello! Let me introduce Unmute: it gives a voice and ears to any text language "
            "model, and you can host it yourself. Shall I explain how it works?",
        ),
        "fr": (
            "Salut ! Je suis là pour te présenter Unmute. C'est une couche vocale "
            "auto-hébergée qui permet à n'importe quel modèle de langage texte d'écouter et "
            "de parler. Tu veux savoir comment ça marche ?",
        ),
    },
    # --- Small talk ----------------------------------------------------------------
    "greeting_again": {
        "en": ("Hi again! What's on your mind?", "Hey! I'm still here. What's up?"),
        "fr": ("Re-bonjour ! Qu'est-ce qui te passe par la tête ?", "Coucou ! Je suis là."),
    },
    "how_are_you": {
        "en": (
            "I'm doing great, thanks for asking! How about you?",
            "Pretty good, thanks! And you?",
            "I'm well, thank you. How are you?",
        ),
        "fr": ("Ça va très bien, merci ! Et toi ?", "Plutôt bien, merci. Et toi, ça va ?"),
    },
    "name_unknown": {
        "en": (
            "I don't really have a name. You can call me Unmute, if you like.",
            "Nobody gave me a name, so let's say Unmute.",
        ),
        "fr": (
            "Je n'ai pas vraiment de nom. Tu peux m'appeler Unmute, si tu veux.",
            "Personne ne m'a donné de nom, alors disons Unmute.",
        ),
    },
    "name_known": {
        "en": ("I'm {name}. Nice to meet you!", "My name is {name}."),
        "fr": ("Je m'appelle {name}. Enchanté !", "Moi, c'est {name}."),
    },
    "self_description": {
        "en": ("I'm {intro}.",),
        "fr": ("Je suis {intro}.",),
    },
    "hear_me": {
        "en": ("Yes, I can hear you loud and clear!", "I hear you perfectly."),
        "fr": ("Oui, je t'entends très bien !", "Je t'entends parfaitement."),
    },
    "time": {
        "en": (
            "I don't have a clock in here, sorry. Your phone probably knows better than me.",
            "I can't see a clock from where I am. What time is it for you?",
        ),
        "fr": (
            "Je n'ai pas d'horloge ici, désolé. Ton téléphone le sait sûrement mieux que moi.",
            "Je ne vois pas d'horloge d'ici. Il est quelle heure chez toi ?",
        ),
    },
    "thanks": {
        "en": ("You're welcome!", "My pleasure!", "Anytime!"),
        "fr": ("De rien !", "Avec plaisir !", "Je t'en prie !"),
    },
    "nice_to_meet": {
        "en": ("Nice to meet you, {name}!", "Hi {name}, lovely to meet you."),
        "fr": ("Enchanté, {name} !", "Ravi de te rencontrer, {name}."),
    },
    "feeling_good": {
        "en": ("Glad to hear it!", "That's great to hear!", "Nice!"),
        "fr": ("Tant mieux !", "Ça fait plaisir à entendre !", "Super !"),
    },
    "feeling_bad": {
        "en": (
            "Oh, I'm sorry to hear that. Do you want to talk about it?",
            "That doesn't sound fun. What happened?",
        ),
        "fr": (
            "Oh, désolé d'entendre ça. Tu veux en parler ?",
            "Ça n'a pas l'air génial. Qu'est-ce qui s'est passé ?",
        ),
    },
    "yes_ack": {
        "en": ("Great!", "Cool.", "Alright!"),
        "fr": ("Super !", "Cool.", "D'accord !"),
    },
    "no_ack": {
        "en": ("Okay, fair enough.", "No problem.", "Alright, no worries."),
        "fr": ("D'accord, pas de souci.", "Pas de problème.", "Ok, comme tu veux."),
    },
    "goodbye": {
        "en": (
            "It was nice talking to you. Bye!",
            "Take care! Bye!",
            "Thanks for chatting with me. Bye!",
        ),
        "fr": ("C'était sympa de discuter avec toi. Bye!", "Prends soin de toi. Bye!"),
    },
    "silence_first": {
        "en": (
            "Are you still there?",
            "Hello? Are you still with me?",
            "It got quiet. Are you still there?",
        ),
        "fr": ("Tu es toujours là ?", "Allô ? Tu es encore avec moi ?"),
    },
    "silence_again": {
        "en": ("Take your time. I'm here whenever you want to talk.",),
        "fr": ("Prends ton temps. Je suis là quand tu veux parler.",),
    },
    "silence_many": {
        "en": ("I'm here if you need anything.", "No rush. I'll be right here."),
        "fr": ("Je suis là si tu as besoin de quoi que ce soit.", "Rien ne presse, je reste là."),
    },
    "statement_topic": {
        "en": (
            "Oh, {topic}? Tell me more about that.",
            "{topic}, interesting! How do you feel about it?",
            "Hmm, {topic}. What makes you say that?",
        ),
        "fr": (
            "Ah, {topic} ? Raconte-m'en plus.",
            "{topic}, intéressant ! Qu'est-ce que tu en penses ?",
        ),
    },
    "statement_plain": {
        "en": ("I see. Tell me more.", "Interesting. Go on.", "Oh really? Why's that?"),
        "fr": ("Je vois. Raconte-moi.", "Intéressant. Continue.", "Ah bon ? Pourquoi ?"),
    },
    "user_likes": {
        "en": (
            "Oh, you like {thing}? What do you like most about it?",
            "{thing}, nice choice! What got you into it?",
        ),
        "fr": (
            "Ah, tu aimes {thing} ? Qu'est-ce qui te plaît le plus ?",
            "{thing}, bon choix ! Comment tu t'y es mis ?",
        ),
    },
    "question_fallback": {
        "en": (
            "That's a good question. I'm not sure, to be honest. What do you think?",
            "Hmm, I don't really know. I'm a pretty small model. What's your take?",
        ),
        "fr": (
            "Bonne question. Honnêtement, je ne sais pas. Qu'est-ce que tu en penses ?",
            "Hmm, aucune idée. Je suis un tout petit modèle. Et toi, tu en dis quoi ?",
        ),
    },
    "guess_yes": {
        "en": ("Hmm, I'd say yes, but don't quote me on that.", "I think so, yes."),
        "fr": ("Hmm, je dirais oui, mais je ne suis pas sûr.", "Je crois que oui."),
    },
    "guess_no": {
        "en": ("Probably not, if you ask me. But I'm no expert.", "I don't think so."),
        "fr": ("Probablement pas, à mon avis. Mais je ne suis pas expert.", "Je ne crois pas."),
    },
    "no_live_news": {
        "en": (
            "I can't check the news, sorry. I don't have a live feed today.",
            "I wish I could tell you, but I have no live news today.",
        ),
        "fr": ("Je ne peux pas consulter l'actualité, désolé. Je n'ai pas les nouvelles du jour.",),
    },
    "explain_more": {
        "en": ("Want to know more?", "Anything else you'd like to know?"),
        "fr": ("Tu veux en savoir plus ?", "Tu as d'autres questions ?"),
    },
    "explain_done": {
        "en": (
            "That's pretty much the whole picture. Is there anything you'd like me to go over?",
        ),
        "fr": ("Voilà, tu sais presque tout. Tu veux que je revienne sur quelque chose ?",),
    },
    "back_to_game": {
        "en": ("Anyway, back to the game.", "Now, back to our game."),
        "fr": ("Bon, revenons au jeu.", "Allez, on reprend le jeu."),
    },
}
