"""How long a spoken reply may run when the request sets no `max_tokens`.

A small model asked for "one to three sentences" may still talk for minutes, while other
conversations wait for the model and the listener waits for a turn. So past a soft limit
the reply ends with the sentence it is in, and at twice the limit wherever it is: the
voice stops on a full stop rather than mid-word.
"""

from __future__ import annotations

import re

# The end of a sentence, maybe closed by quotes or brackets, maybe followed by spaces.
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*\s*$")


def ends_a_sentence(text: str) -> bool:
    return _SENTENCE_END.search(text) is not None


class ReplyLength:
    def __init__(self, soft_tokens: int) -> None:
        if soft_tokens < 1:
            raise ValueError("the reply length limit must be at least one token")
        self.soft_tokens = soft_tokens

    @property
    def hard_tokens(self) -> int:
        return 2 * self.soft_tokens

    def is_complete(self, text: str, tokens: int) -> bool:
        """True when a reply of `tokens` tokens, written so far as `text`, should end here."""
        return tokens >= self.hard_tokens or (tokens >= self.soft_tokens and ends_a_sentence(text))
