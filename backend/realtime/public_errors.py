"""What a browser is told when something goes wrong: a stable `code` and a generic sentence.

Clients act on the code; people read the sentence. The details (URLs, hosts, upstream
bodies, exception text) are for the log only, where the session and turn ids lead to them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from backend.realtime import events as ev


@dataclass(frozen=True)
class PublicError:
    code: str
    message: str

    def event(self, kind: Literal["fatal", "warning"]) -> ev.Error:
        return ev.error_event(kind, self.message, code=self.code)

    def refusal_body(self) -> dict[str, dict[str, str]]:
        """The JSON body of a refused upgrade."""
        return {"error": {"type": "fatal", "code": self.code, "message": self.message}}


# The server ends the call (a `warning`, then a normal close with the sentence as reason).
SESSION_IDLE = PublicError(
    "session_idle", "The conversation was closed because nobody spoke for a while."
)
SESSION_TIME_LIMIT = PublicError(
    "session_time_limit", "The conversation reached its time limit and was closed."
)

# Something behind the backend failed. The conversation goes on (a `warning`)…
LLM_FAILED = PublicError(
    "llm_failed", "The language model did not answer; the bot said so, please go on."
)
TTS_FAILED = PublicError(
    "tts_failed", "Speech synthesis failed; part of the reply could not be spoken."
)
STT_INTERRUPTED = PublicError(
    "stt_interrupted",
    "Speech recognition was interrupted and is back; the last second may be lost.",
)
# …or cannot (a `fatal`, then close 1011). Browsers retry when the sentence says "retry".
STT_UNAVAILABLE = PublicError(
    "stt_unavailable", "Speech recognition is unavailable right now. Please retry soon."
)
STT_LOST = PublicError("stt_lost", "Speech recognition stopped working. Please reconnect.")

# Refusals of the WebSocket upgrade (in the HTTP answer's JSON body).
NO_SEAT = PublicError("capacity", "All conversation seats are taken; please retry shortly.")
RESTARTING = PublicError("capacity", "This server is restarting; please reconnect.")
ORIGIN_REFUSED = PublicError("origin", "Origin not allowed.")


class InvalidRequest:
    """Codes of `invalid_request_error`s. Their messages say what is wrong with the client's
    own message (it is the client's data, not the server's), so they stay specific."""

    BINARY_FRAME = "binary_frame"
    MESSAGE_TOO_LARGE = "message_too_large"
    INVALID_MESSAGE = "invalid_message"
    INVALID_AUDIO = "invalid_audio"
    UNKNOWN_VOICE = "unknown_voice"
