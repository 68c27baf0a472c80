"""The user's silence in their own turn: when the bot checks on them (the silence prompt),
and when the call is given up because nobody is there.

Pure: the conversation core restarts the clock whenever the user makes a sound or their turn
begins, and asks it only while it listens to a user who has said no word yet.
"""

from __future__ import annotations

from backend.conversation import rules


class UserSilence:
    def __init__(self, idle_close_s: float) -> None:
        self._idle_close_s = idle_close_s
        self._since = 0.0  # the last sound from the user, or the start of their turn
        self._prompts = 0  # silence prompts said since the user last spoke

    def restart(self, t: float) -> None:
        self._since = t

    def user_spoke(self, t: float) -> None:
        """Words from the user: they are there, so they may be checked on again later."""
        self._prompts = 0
        self._since = t

    def prompt_due(self, t: float, *, checks_on_silence: bool) -> bool:
        return (
            checks_on_silence
            and self._prompts < rules.MAX_SILENCE_PROMPTS
            and t - self._since >= rules.SILENCE_PROMPT_AFTER_S
        )

    def prompted(self) -> None:
        self._prompts += 1

    def gave_up(self, t: float, *, checks_on_silence: bool) -> bool:
        """The silence prompts went unanswered (or there are none), and still no sound."""
        return (
            self._prompts >= rules.MAX_SILENCE_PROMPTS or not checks_on_silence
        ) and t - self._since >= self._idle_close_s
