"""What was said, turn by turn, as the browser app keeps it: pure, fed with server events.

The app builds its transcript from the bot's subtitles (`response.text.delta`, words as
they are spoken) and the user's transcript, and offers it as `session.history` when it
resumes a dropped conversation (frontend/src/conversation/transcript.ts). The load
tester keeps the same, so the history it offers is the one a browser would offer. It
does not ask for tool events, so it has no tool turns to leave out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from backend.realtime import events as ev

# What the server's history appends to a reply the user cut off, so the LLM knows.
INTERRUPTION_MARK = "—"

Role = Literal["user", "assistant"]


@dataclass
class Turn:
    speaker: Role
    text: str
    interrupted: bool = False


def _append_word(text: str, word: str) -> str:
    if text == "" or word[:1].isspace():
        return (text + word).lstrip()
    return f"{text} {word}"


class Transcript:
    """The conversation so far, across the connections that carried it."""

    def __init__(self) -> None:
        self.turns: list[Turn] = []

    def on_event(self, event: ev.ServerEvent) -> None:
        last = self.turns[-1] if self.turns else None
        match event:
            case ev.ResponseCreated():
                self.turns.append(Turn("assistant", ""))
            case ev.ResponseTextDelta():
                self._add_word("assistant", last, event.delta)
            case ev.InputAudioTranscriptionDelta():
                self._add_word("user", last, event.delta)
            case ev.UnmuteInterruptedByVad() if last is not None and last.speaker == "assistant":
                # A turn cut before its first word said nothing: dropped rather than kept.
                if last.text == "":
                    self.turns.pop()
                else:
                    last.interrupted = True
            case _:
                pass

    def _add_word(self, speaker: Role, last: Turn | None, word: str) -> None:
        if last is None or last.speaker != speaker:
            self.turns.append(Turn(speaker, word.strip()))
        else:
            last.text = _append_word(last.text, word)

    def connection_dropped(self) -> None:
        """A bot turn that had not said a word yet never will: the new connection does not
        go on with it."""
        if self.turns and self.turns[-1].speaker == "assistant" and self.turns[-1].text == "":
            self.turns.pop()

    def history(self) -> list[dict[str, str]]:
        """The conversation as `session.history`: the newest turns within the bounds the
        server accepts, a reply the user cut off marked as the server marks it."""
        history: list[dict[str, str]] = []
        chars = 0
        for turn in reversed(self.turns):
            if turn.text == "":
                continue
            content = turn.text + INTERRUPTION_MARK if turn.interrupted else turn.text
            if len(history) == ev.MAX_PRIOR_MESSAGES:
                break
            if chars + len(content) > ev.MAX_PRIOR_HISTORY_CHARS:
                if not history:
                    tail = content[-ev.MAX_PRIOR_HISTORY_CHARS :]
                    history.append({"role": turn.speaker, "content": tail})
                break
            history.append({"role": turn.speaker, "content": content})
            chars += len(content)
        history.reverse()
        return history
