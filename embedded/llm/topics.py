"""What the responder can talk about: jokes, conversation starters, facts about Unmute."""

from __future__ import annotations

from dataclasses import dataclass

from embedded.llm.language import Localized

JOKES: tuple[Localized, ...] = (
    {"en": "Why don't skeletons fight each other? They don't have the guts.",
     "fr": "Pourquoi les plongeurs plongent-ils toujours en arrière ? Parce que sinon, "
           "ils tombent dans le bateau."},
    {"en": "What do you call a fake noodle? An impasta.",
     "fr": "Qu'est-ce qui est jaune et qui attend ? Jonathan."},
    {"en": "Why did the scarecrow win an award? Because he was outstanding in his field.",
     "fr": "Que dit un escargot quand il croise une limace ? Oh, un nudiste."},
    {"en": "I told my computer I needed a break. Now it won't stop sending me vacation ads.",
     "fr": "Pourquoi les poissons n'aiment pas jouer au tennis ? Parce qu'ils ont peur "
           "du filet."},
    {"en": "Why can't a bicycle stand up on its own? It's two tired.",
     "fr": "Que fait une fraise sur un cheval ? Tagada, tagada."},
)  # fmt: skip

# Questions that keep small talk going, asked in turn.
SMALLTALK_STARTERS: tuple[Localized, ...] = (
    {"en": "What do you like to do on weekends?",
     "fr": "Qu'est-ce que tu aimes faire le week-end ?"},
    {"en": "Have you watched any good movies lately?",
     "fr": "Tu as vu un bon film récemment ?"},
    {"en": "What kind of music are you into?", "fr": "Tu écoutes quoi comme musique ?"},
    {"en": "Have you been anywhere nice recently?",
     "fr": "Tu es allé quelque part de sympa récemment ?"},
    {"en": "What's the best thing you've eaten this week?",
     "fr": "Quelle est la meilleure chose que tu as mangée cette semaine ?"},
    {"en": "Do you have any pets?", "fr": "Tu as des animaux de compagnie ?"},
)  # fmt: skip

# Without live news, the news character steers towards timeless subjects.
GENERAL_TOPICS: tuple[Localized, ...] = (
    {"en": "What's the best book you've read recently?",
     "fr": "Quel est le meilleur livre que tu as lu récemment ?"},
    {"en": "Do you follow any sports?", "fr": "Tu suis un sport en particulier ?"},
    {"en": "What do you think about all the new technology around us?",
     "fr": "Qu'est-ce que tu penses de toutes ces nouvelles technologies ?"},
    {"en": "Have you been cooking anything good lately?",
     "fr": "Tu as cuisiné quelque chose de bon récemment ?"},
    {"en": "If you could travel anywhere next month, where would you go?",
     "fr": "Si tu pouvais partir n'importe où le mois prochain, tu irais où ?"},
)  # fmt: skip

NEWS_WORDS = (
    "news", "headlines", "headline", "what happened", "what's happening", "current events",
    "in the world", "today's", "actualite", "actualites", "nouvelles", "infos",
    "informations", "quoi de neuf dans le monde", "qu est ce qui se passe",
)  # fmt: skip


@dataclass(frozen=True)
class Fact:
    text: Localized
    keywords: tuple[str, ...]


# Told in this order when the user just wants to hear more; found by keyword otherwise.
UNMUTE_FACTS: tuple[Fact, ...] = (
    Fact({"en": "Unmute is a self-hosted voice layer: it lets any text language model "
               "listen and speak.",
          "fr": "Unmute est une couche vocale auto-hébergée : elle permet à n'importe quel "
                "modèle de langage texte d'écouter et de parler."},
         ("what is unmute", "what's unmute", "what is it", "c est quoi unmute",
          "qu est ce que unmute", "qu est ce que c est")),
    Fact({"en": "It's a pipeline of three parts: speech-to-text turns your voice into words, "
               "a language model writes the reply, and text-to-speech says it out loud.",
          "fr": "C'est une chaîne en trois parties : la reconnaissance vocale transforme ta "
                "voix en texte, un modèle de langage écrit la réponse, et la synthèse vocale "
                "la prononce."},
         ("how does it work", "how it works", "how do you work", "pipeline", "parts",
          "comment ca marche", "comment ca fonctionne", "comment tu marches")),
    Fact({"en": "Everything streams, so I start talking while the language model is still "
               "writing, a few hundred milliseconds after you stop.",
          "fr": "Tout est en streaming : je commence à parler pendant que le modèle écrit "
                "encore, quelques centaines de millisecondes après que tu t'arrêtes."},
         ("fast", "latency", "speed", "quick", "quickly", "stream", "streaming", "delay",
          "rapide", "latence", "vitesse", "delai")),
    Fact({"en": "The speech-to-text model also guesses when you've finished your turn, so "
               "there's no button to press.",
          "fr": "Le modèle de reconnaissance vocale devine aussi quand tu as fini de parler, "
                "donc pas besoin d'appuyer sur un bouton."},
         ("turn", "when to answer", "know when", "finished talking", "button", "pause",
          "tour de parole", "quand repondre", "bouton")),
    Fact({"en": "You can interrupt me at any time: as soon as you speak, I stop and listen.",
          "fr": "Tu peux m'interrompre à tout moment : dès que tu parles, je m'arrête et "
                "j'écoute."},
         ("interrupt", "interruption", "cut you off", "barge in", "interrompre",
          "couper")),
    Fact({"en": "Any text model works, from vLLM or Ollama to a hosted API, as long as it "
               "speaks the OpenAI chat format.",
          "fr": "N'importe quel modèle texte convient, de vLLM ou Ollama à une API "
                "hébergée, du moment qu'il parle le format de chat d'OpenAI."},
         ("llm", "language model", "models", "which model", "what model", "gpt", "openai",
          "ollama",
          "vllm", "brain", "modele", "cerveau")),
    Fact({"en": "You run it on your own machines, from a laptop to a cluster of GPU "
               "servers, so your conversations stay with you.",
          "fr": "Tu le fais tourner sur tes propres machines, d'un portable à un cluster de "
                "serveurs GPU, et tes conversations restent chez toi."},
         ("self hosted", "host", "deploy", "install", "privacy", "private", "server",
          "heberger", "installer", "deployer", "confidentialite", "serveur")),
    Fact({"en": "You can pick a voice, or clone one from a short recording.",
          "fr": "Tu peux choisir une voix, ou en cloner une à partir d'un court "
                "enregistrement."},
         ("voice", "voices", "clone", "cloning", "voix", "cloner")),
    Fact({"en": "It's open source, so you can read the code, change it and run it yourself.",
          "fr": "C'est open source : tu peux lire le code, le modifier et le faire tourner "
                "toi-même."},
         ("open source", "code", "free", "license", "github", "gratuit", "licence")),
    Fact({"en": "The speech models come from Kyutai, a research lab in Paris.",
          "fr": "Les modèles de parole viennent de Kyutai, un laboratoire de recherche à "
                "Paris."},
         ("kyutai", "who made", "who built", "who created", "speech model", "stt", "tts",
          "qui a fait", "qui a cree")),
    Fact({"en": "Without a GPU, small CPU stand-ins take the place of the big models. "
               "You're talking to one right now, actually.",
          "fr": "Sans GPU, de petits remplaçants qui tournent sur le processeur prennent la "
                "place des gros modèles. D'ailleurs, tu parles à l'un d'eux en ce moment."},
         ("laptop", "cpu", "stand in", "without a gpu", "no gpu", "portable", "processeur",
          "sans gpu")),
)  # fmt: skip
