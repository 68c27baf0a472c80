"""Per-turn measurements from one connection's timeline: pure, fed with timestamps.

The connection reports what the simulated user said (and when) and every server event
(and when it arrived); the tracker pairs each bot turn with the user turn it answers
and measures every stage from the end of the user's speech.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from backend.realtime import events as ev
from loadtest.playout import PlayoutBuffer
from loadtest.results import TurnKind, TurnOutcome, TurnRecord


@dataclass(frozen=True)
class SpeechEnd:
    """When the user's speech ended: `at` on the generator's clock, `sample` in the
    stream, and when the page carrying that sample was sent."""

    at: float
    sample: int
    page_sent_at: float


@dataclass
class _UserTurn:
    text: str
    start_at: float
    end: SpeechEnd | None = None
    words: list[str] = field(default_factory=list)
    first_word_at: float | None = None
    speech_stopped_at: float | None = None


@dataclass
class _BotTurn:
    index: int
    kind: TurnKind
    started_at: float
    user: _UserTurn | None
    reply: list[str] = field(default_factory=list)
    first_llm_word_at: float | None = None
    first_audio_at: float | None = None


def _since(later: float | None, earlier: float | None) -> float | None:
    return None if later is None or earlier is None else later - earlier


class TurnTracker:
    def __init__(
        self,
        conversation: int,
        origin: float,
        playout: PlayoutBuffer | None = None,
        *,
        first_index: int = 0,
        greets: bool = True,
    ) -> None:
        """`first_index`: the number of the first bot turn (a resumed conversation goes on
        counting); `greets`: whether the first bot turn nobody asked for is a greeting (a
        resumed one is not greeted again)."""
        self.conversation = conversation
        self.origin = origin
        self.playout = playout or PlayoutBuffer()
        self.turns: list[TurnRecord] = []
        self._session_requested_at: float | None = None
        self._user: _UserTurn | None = None
        self._bot: _BotTurn | None = None
        self._bot_turns = first_index
        self._greeting_due = greets

    @property
    def in_bot_turn(self) -> bool:
        return self._bot is not None

    @property
    def next_index(self) -> int:
        """The number the next bot turn will have."""
        return self._bot_turns

    # --- what the user does -----------------------------------------------------------

    def session_requested(self, at: float) -> None:
        self._session_requested_at = at

    def user_started(self, text: str, at: float) -> None:
        self._user = _UserTurn(text=text, start_at=at)

    def user_finished(self, end: SpeechEnd) -> None:
        if self._user is not None and self._user.end is None:
            self._user.end = end

    # --- what the server does ---------------------------------------------------------

    def on_event(self, at: float, event: ev.ServerEvent) -> None:
        match event:
            case ev.ResponseCreated():
                self._start_bot_turn(at)
            case ev.InputAudioTranscriptionDelta() if self._user and self._bot is None:
                if self._user.first_word_at is None:
                    self._user.first_word_at = at
                self._user.words.append(event.delta.strip())
            case ev.SpeechStopped() if self._user and self._user.speech_stopped_at is None:
                self._user.speech_stopped_at = at
            case ev.UnmuteResponseTextDeltaReady() if self._bot is not None:
                if self._bot.first_llm_word_at is None:
                    self._bot.first_llm_word_at = at
                self._bot.reply.append(event.delta)
            case ev.ResponseAudioDone():
                self._finish_bot_turn("completed")
            case ev.UnmuteInterruptedByVad():
                self._finish_bot_turn("interrupted")
            case _:
                pass

    def on_audio(self, at: float, samples: int) -> None:
        """Decoded bot audio arrived (call after `on_event` for its delta)."""
        if self._bot is None:
            return
        if self._bot.first_audio_at is None and samples > 0:
            self._bot.first_audio_at = at
        self.playout.add(at, samples)

    def connection_closed(self) -> None:
        self._finish_bot_turn("cut_off")

    # --- turns --------------------------------------------------------------------------

    def _start_bot_turn(self, at: float) -> None:
        if self._bot is not None:
            self._finish_bot_turn("cut_off")
        user, self._user = self._user, None
        kind: TurnKind
        if user is not None:
            kind = "reply" if user.words else "unheard"
        else:
            kind = "greeting" if self._greeting_due else "unprompted"
        self._greeting_due = False
        self._bot = _BotTurn(index=self._bot_turns, kind=kind, started_at=at, user=user)
        self._bot_turns += 1
        self.playout.start_turn()

    def _finish_bot_turn(self, outcome: TurnOutcome) -> None:
        bot, self._bot = self._bot, None
        if bot is None:
            return
        self.turns.append(self._record(bot, outcome))

    def _relative(self, at: float | None) -> float | None:
        return None if at is None else at - self.origin

    def _record(self, bot: _BotTurn, outcome: TurnOutcome) -> TurnRecord:
        user, playout = bot.user, self.playout
        end = user.end if user is not None else None
        end_at = end.at if end is not None else None
        record = TurnRecord(
            conversation=self.conversation,
            index=bot.index,
            kind=bot.kind,
            outcome=outcome,
            said=user.text if user else None,
            transcript=" ".join(user.words) if user else "",
            reply="".join(bot.reply),
            started_at=bot.started_at - self.origin,
            speech_end_at=self._relative(end_at),
            speech_end_sample=end.sample if end else None,
            speech_end_page_sent_at=self._relative(end.page_sent_at) if end else None,
            first_audio_at=self._relative(bot.first_audio_at),
            audio_s=playout.audio_s,
            tts_realtime_factor=playout.realtime_factor(),
            gaps=len(playout.gaps),
            gap_s=playout.gap_s,
        )
        if bot.kind == "greeting":
            record.greeting_first_audio = _since(bot.first_audio_at, self._session_requested_at)
        elif bot.kind == "reply" and user is not None:
            record.first_transcript_word = _since(user.first_word_at, user.start_at)
            record.speech_stopped = _since(user.speech_stopped_at, end_at)
            record.response_created = _since(bot.started_at, end_at)
            record.first_llm_word = _since(bot.first_llm_word_at, end_at)
            record.voice_to_voice = _since(bot.first_audio_at, end_at)
        return record
