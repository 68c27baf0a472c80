"""A rule-based stand-in for an OpenAI-compatible LLM server (`unmute-ops serve llm`).

It plays the backend's characters (small talk, a persona, guess the animal, a quiz show,
news without a feed, explaining Unmute) well enough to hold a spoken conversation, with
no model and no GPU. `server.create_app` is the entry point; `responder.respond` is the
conversational partner behind it.
"""
