"""Who decides when the user's turn ends and when the bot speaks: the protocol's choice.

The Unmute browser protocol leaves everything to the server: the bot greets first, ends
the user's turn on the STT's pause probability, answers at once, checks on a silent user
and hangs up after a goodbye. An OpenAI Realtime client may instead drive turns itself
(`turn_detection: null`, push-to-talk: it commits the audio and asks for each response),
or keep server turn detection but create responses itself (`create_response: false`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TurnOptions:
    speaks_first: bool = True  # the bot greets once the session is set and audio flows
    detects_turns: bool = True  # the STT's pause probability ends the user's turn
    replies_on_turn_end: bool = True  # a reply starts when the user's turn ends
    interrupts: bool = True  # the user speaking over the bot stops it (barge-in)
    checks_on_silence: bool = True  # the bot speaks up after a long silence
    ends_on_goodbye: bool = True  # the call closes after the bot says goodbye


UNMUTE_TURNS = TurnOptions()
# An API client (OpenAI Realtime) speaks first itself and owns the end of the call.
API_CLIENT_TURNS = TurnOptions(speaks_first=False, checks_on_silence=False, ends_on_goodbye=False)
