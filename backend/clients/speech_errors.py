"""What can go wrong when the backend talks to an STT or TTS server.

The conversation layer turns these into user-facing messages, so each failure the user
should hear about differently has its own type: a full node, a node that is down, a
wrong API key, and a stream that broke after it started.
"""

from __future__ import annotations

from enum import StrEnum


class SpeechServiceError(Exception):
    """Base of every STT/TTS client error."""


class ServiceBusy(SpeechServiceError):
    """The instance answered `Error "no free channels"`: every slot it has is taken."""

    def __init__(self, url: str) -> None:
        super().__init__(f"{url} has no free channels")
        self.url = url


class InstanceUnreachable(SpeechServiceError):
    """The instance did not give us a ready stream: refused, timed out, or not a speech server."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{url} is unreachable: {reason}")
        self.url = url
        self.reason = reason


class SpeechAuthError(SpeechServiceError):
    """The server refused our `kyutai-api-key` (HTTP 401/403 at the upgrade).

    Not skipped like a busy or down node: every instance shares the key, so this is a
    configuration error the operator must fix.
    """

    def __init__(self, url: str, status: int) -> None:
        super().__init__(f"{url} refused the API key (HTTP {status}); check UNMUTE_SPEECH_API_KEY")
        self.url = url
        self.status = status


class SpeechStreamError(SpeechServiceError):
    """A stream that was ready failed: the server sent `Error`, broke a rule, or vanished."""

    def __init__(self, service: str, message: str) -> None:
        super().__init__(f"{service}: {message}")
        self.service = service
        self.message = message


class UnavailableReason(StrEnum):
    """Why no instance could take a stream; the user is told different things for each."""

    ALL_BUSY = "every instance is busy"
    ALL_DOWN = "no instance could be reached"


class ServiceUnavailable(SpeechServiceError):
    """No instance of a service could take a new stream."""

    def __init__(self, service: str, reason: UnavailableReason, detail: str = "") -> None:
        message = f"{service} unavailable: {reason.value}"
        super().__init__(f"{message} ({detail})" if detail else message)
        self.service = service
        self.reason = reason
        self.detail = detail
