"""The conversation core: a pure state machine, inputs with timestamps in, actions out.

It decides turn-taking (end of turn from the STT's pause probability, the flush trick),
barge-in, the silence prompt, goodbye, when an idle or overlong call ends, and keeps the
history of what was actually heard (the bot's words laid out as the LLM wrote them). Each
bot reply's words and tool calls are followed by a `BotReply` (bot_reply.py), the user's
silence by `UserSilence` (silence.py), what the client was last shown of the history by
`HistoryShown` (history_shown.py).
No sockets, no clocks, no sleeps: the session adapter feeds it and carries out its actions.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum

from backend.conversation import rules
from backend.conversation.bot_reply import BotReply
from backend.conversation.history import History
from backend.conversation.history_shown import HistoryShown, chat_messages
from backend.conversation.limits import ConversationLimits
from backend.conversation.server_tools import ServerTools
from backend.conversation.signals import (
    Action,
    BotWordSpoken,
    CancelReply,
    Close,
    Emit,
    FlushStt,
    Input,
    LlmDone,
    LlmFailed,
    LlmToolCall,
    LlmToolCallDelta,
    LlmWord,
    PlaybackFinished,
    ReplyCancelRequested,
    ReplyRequested,
    SessionConfigured,
    StartReply,
    SttStep,
    SttWord,
    Tick,
    ToolResult,
    TtsFailed,
    TurnOptionsChanged,
    UserAudio,
    UserTurnCleared,
    UserTurnCommitted,
    UserTurnFinal,
)
from backend.conversation.silence import UserSilence
from backend.conversation.turns import UNMUTE_TURNS, TurnOptions
from backend.realtime import events as ev
from backend.realtime import public_errors
from backend.realtime.public_errors import PublicError
from backend.speech_protocol.constants import FRAME_SAMPLES


class Phase(Enum):
    STARTING = "starting"  # waiting for the session and for audio to flow
    LISTENING = "listening"  # the user's turn
    FLUSHING = "flushing"  # end of turn detected; waiting for the STT's last words
    REPLYING = "replying"  # a bot reply is being generated and/or played
    CLOSED = "closed"


class Conversation:
    def __init__(
        self,
        is_goodbye: Callable[[str], bool],
        limits: ConversationLimits | None = None,
        turns: TurnOptions = UNMUTE_TURNS,
        server_tools: ServerTools | None = None,
    ) -> None:
        """`server_tools`: the backend runs the LLM's tool calls itself (`ToolResult`)
        rather than leaving them to the client."""
        self._is_goodbye = is_goodbye
        self._server_tools = server_tools
        self._limits = limits or ConversationLimits()
        self.turns = turns
        self._started_at: float | None = None  # the time of the first input
        self.phase = Phase.STARTING
        self.history = History()
        self.voice: str | None = None
        self.user_samples = 0  # samples sent to the STT, flush zeros included
        self.pause_probability = 0.0  # smoothed 2 s-horizon pause probability
        self._configured = False
        self._resumed = False  # seeded with the turns of an earlier connection
        self._replies_started = 0
        self._response_id = 0
        self._reply: BotReply | None = None  # the latest reply started
        self._user_words_this_turn = 0
        self._turn_words: list[str] = []
        self._turn_ended_by_client = False
        self._turn_ended_at: float | None = None  # until a reply answers that turn
        self._reply_wanted = False  # asked for while the user's last words were awaited
        self._flush_target = 0
        self._flush_started_at = 0.0
        self._silence = UserSilence(self._limits.idle_close_s)
        self._shown = HistoryShown()

    # --- entry point ------------------------------------------------------------------

    def handle(self, signal: Input) -> list[Action]:
        if self.phase is Phase.CLOSED:
            return []
        if self._started_at is None:
            self._started_at = signal.t
        match signal:
            case SessionConfigured():
                return self._on_session(signal)
            case UserAudio():
                self.user_samples += signal.samples
                return self._maybe_greet(signal.t)
            case SttStep():
                return self._on_step(signal)
            case SttWord():
                return self._on_user_word(signal)
            case (
                LlmWord()
                | LlmDone()
                | LlmFailed()
                | TtsFailed()
                | BotWordSpoken()
                | LlmToolCall()
                | LlmToolCallDelta()
                | ToolResult()
            ):
                if signal.response_id != self._response_id or self.phase is not Phase.REPLYING:
                    return []  # about a reply that was already cancelled
                return self._current_reply.handle(signal)
            case PlaybackFinished():
                if signal.response_id != self._response_id or self.phase is not Phase.REPLYING:
                    return []
                return self._on_playback_finished(signal.t)
            case Tick():
                return self._on_tick(signal.t)
            case TurnOptionsChanged():
                self.turns = signal.options
                return self._maybe_greet(signal.t)
            case UserTurnCommitted():
                if self.phase is Phase.LISTENING:
                    return self._end_user_turn(signal.t, by_client=True)
                return []
            case UserTurnCleared():
                if self.phase is Phase.LISTENING:
                    self._user_words_this_turn = 0
                    self._turn_words = []
                return []
            case ReplyRequested():
                if self.phase is Phase.LISTENING:
                    return self._start_reply(signal.t)
                self._reply_wanted = self.phase is Phase.FLUSHING
                return []
            case ReplyCancelRequested():
                return self._interrupt(signal.t) if self.phase is Phase.REPLYING else []

    @property
    def response_id(self) -> int:
        return self._response_id

    @property
    def _current_reply(self) -> BotReply:
        assert self._reply is not None and self._reply.response_id == self._response_id
        return self._reply

    @property
    def flush_point(self) -> int:
        """The STT stream position (samples) the reply waits for after the flush."""
        return self._flush_target

    # --- session and greeting ---------------------------------------------------------

    def _on_session(self, signal: SessionConfigured) -> list[Action]:
        self.history.set_system_prompt(signal.system_prompt)
        self.voice = signal.voice
        self._configured = True
        if signal.prior_turns and self.phase is Phase.STARTING and not self.history.turns:
            self.history.resume(signal.prior_turns)
            self._resumed = True
        return self._maybe_greet(signal.t)

    def _maybe_greet(self, t: float) -> list[Action]:
        """The bot speaks first, once it has the session and audio is flowing; a client
        that speaks first itself only needs the session."""
        if self.phase is not Phase.STARTING or not self._configured:
            return []
        # A resumed conversation is not greeted again: the user was mid-conversation and
        # may be talking already, and a line of the bot's would cost them an LLM round trip
        # before they are heard. The client says it reconnected; the silence prompt checks
        # on a user who stays quiet; the LLM sees the earlier turns on the next reply.
        if not self.turns.speaks_first or self._resumed:
            self.phase = Phase.LISTENING
            self._silence.restart(t)
            return []
        return self._start_reply(t) if self.user_samples > 0 else []

    # --- the user's turn --------------------------------------------------------------

    def _on_step(self, step: SttStep) -> list[Action]:
        if step.step_idx < rules.NOISY_STEPS_AT_STREAM_START:
            return []
        self.pause_probability += rules.PAUSE_SMOOTHING * (
            step.pause_probability - self.pause_probability
        )
        if self.phase is Phase.LISTENING:
            if self.pause_probability < rules.BARGE_IN_PAUSE_PROBABILITY:
                self._silence.restart(step.t)  # the user is making sound: not silent
            if (
                self._user_words_this_turn > 0
                and self.turns.detects_turns
                and self.pause_probability > rules.END_OF_TURN_PAUSE_PROBABILITY
            ):
                return self._end_user_turn(step.t)
        elif self.phase is Phase.FLUSHING:
            stt_clock = (step.step_idx + 1) * FRAME_SAMPLES
            if stt_clock >= self._flush_target:
                return self._flush_done(step.t)
        elif (
            self.phase is Phase.REPLYING
            and self.pause_probability < rules.BARGE_IN_PAUSE_PROBABILITY
            and self._may_interrupt()
        ):
            return self._interrupt(step.t)
        return []

    def _on_user_word(self, word: SttWord) -> list[Action]:
        actions: list[Action] = []
        if self.phase is Phase.REPLYING:
            if not self._may_interrupt():
                return []  # most likely the bot's own voice echoed back (or no barge-in)
            actions = self._interrupt(word.t)
        if self.phase not in (Phase.LISTENING, Phase.FLUSHING):
            return actions
        if self._user_words_this_turn == 0:
            self._turn_words = []
            if self.phase is Phase.LISTENING:
                actions.append(Emit(ev.SpeechStarted()))
        self._user_words_this_turn += 1
        self._turn_words.append(word.text)
        self._silence.user_spoke(word.t)
        self.history.add_user_word(word.text)
        actions.append(
            Emit(ev.InputAudioTranscriptionDelta(delta=word.text, start_time=word.start_time))
        )
        return actions

    def _end_user_turn(self, t: float, *, by_client: bool = False) -> list[Action]:
        self.phase = Phase.FLUSHING
        self._turn_ended_by_client = by_client
        self._turn_ended_at = t
        frame = FRAME_SAMPLES
        self._flush_target = -(-(self.user_samples + rules.FLUSH_SAMPLES) // frame) * frame
        self._flush_started_at = t
        flush = self._flush_target - self.user_samples
        self.user_samples = self._flush_target
        if by_client:
            return [FlushStt(flush)]
        return [Emit(ev.SpeechStopped()), FlushStt(flush)]

    def _flush_done(self, t: float) -> list[Action]:
        """The user's last words are in: reply, unless the client asks for replies itself."""
        final = UserTurnFinal(" ".join(self._turn_words))
        if self._reply_wanted or (
            self.turns.replies_on_turn_end and not self._turn_ended_by_client
        ):
            return [final, *self._start_reply(t)]
        self.phase = Phase.LISTENING
        self._user_words_this_turn = 0
        self._silence.restart(t)
        return [final]

    def _may_interrupt(self) -> bool:
        if not (self.turns.interrupts and self.turns.detects_turns):
            return False
        return self.user_samples >= rules.UNINTERRUPTIBLE_AUDIO_S * rules.SAMPLE_RATE

    # --- the bot's reply --------------------------------------------------------------

    def _start_reply(self, t: float, *, answers_tools: bool = False) -> list[Action]:
        if self._time_is_up(t):
            return self._close(public_errors.SESSION_TIME_LIMIT)
        assert self.voice is not None
        self._response_id += 1
        self._reply = BotReply(self._response_id, self.history, self._server_tools)
        self._reply_wanted = False
        self.phase = Phase.REPLYING
        temperature = (
            rules.FIRST_REPLY_TEMPERATURE
            if self._replies_started == 0 and not self._resumed
            else rules.LATER_REPLY_TEMPERATURE
        )
        self._replies_started += 1
        llm_messages = self.history.for_llm(self._limits.llm_history_chars)
        if self._server_tools is not None:
            if answers_tools:
                llm_messages = self._server_tools.follow_up(llm_messages)
            else:
                self._server_tools.new_user_turn()
        self.history.start_assistant()
        created = ev.ResponseCreated(
            response=ev.Response(
                voice=self.voice,
                chat_history=chat_messages(self.history.messages()),
            )
        )
        turn_ended_at, self._turn_ended_at = self._turn_ended_at, None
        return [
            Emit(created),
            StartReply(self._response_id, llm_messages, temperature, self.voice, turn_ended_at),
        ]

    def _on_playback_finished(self, t: float) -> list[Action]:
        reply = self._current_reply
        spoken = reply.text
        self.history.finish_assistant(reply.laid_out_text)
        self.phase = Phase.LISTENING
        self._user_words_this_turn = 0
        self._silence.restart(t)
        answers_tools = reply.follow_up_due
        actions: list[Action] = [
            *reply.abandon_tools(),  # the TTS gave up while a tool was running
            self._additional_outputs(t),
            Emit(ev.ResponseAudioDone()),
        ]
        if answers_tools:
            actions += self._start_reply(t, answers_tools=True)
        elif self.turns.ends_on_goodbye and self._is_goodbye(spoken):
            self.phase = Phase.CLOSED
            actions.append(Close(1000, "goodbye"))
        elif self._time_is_up(t):
            actions += self._close(public_errors.SESSION_TIME_LIMIT)
        return actions

    def _interrupt(self, t: float) -> list[Action]:
        self.history.interrupt_assistant()
        self.phase = Phase.LISTENING
        self._user_words_this_turn = 0
        self._silence.restart(t)  # the user is speaking now: the silence clock restarts
        return [
            *self._current_reply.abandon_tools(),
            CancelReply(self._response_id),
            Emit(ev.UnmuteInterruptedByVad()),
        ]

    # --- time passing -----------------------------------------------------------------

    def _on_tick(self, t: float) -> list[Action]:
        if self.phase is not Phase.REPLYING and self._time_is_up(t):
            return self._close(public_errors.SESSION_TIME_LIMIT)  # a reply is heard to its end
        if self.phase is Phase.FLUSHING and t - self._flush_started_at >= rules.FLUSH_TIMEOUT_S:
            return self._flush_done(t)
        if self._is_idle(t):
            return self._close(public_errors.SESSION_IDLE)
        if self.phase is not Phase.LISTENING:
            return []
        if self._user_words_this_turn == 0 and self._silence.prompt_due(
            t, checks_on_silence=self.turns.checks_on_silence
        ):
            self._silence.prompted()
            self.history.add_silence()
            return self._start_reply(t)
        if self._shown.idle_update_due(t, self.history):
            return [self._additional_outputs(t)]
        return []

    # --- the end of the call --------------------------------------------------------------

    def _time_is_up(self, t: float) -> bool:
        assert self._started_at is not None
        return t - self._started_at >= self._limits.max_conversation_s

    def _is_idle(self, t: float) -> bool:
        """Nobody there: the call never started, or the silence prompts went unanswered."""
        assert self._started_at is not None
        if self.phase is Phase.STARTING:
            return t - self._started_at >= self._limits.idle_close_s
        return (
            self.phase is Phase.LISTENING
            and self._user_words_this_turn == 0
            and self._silence.gave_up(t, checks_on_silence=self.turns.checks_on_silence)
        )

    def _close(self, why: PublicError) -> list[Action]:
        """End the call normally, saying why: clients that know the code can show it."""
        self.phase = Phase.CLOSED
        return [Emit(why.event("warning")), Close(1000, why.message)]

    def _additional_outputs(self, t: float) -> Emit:
        debug = {
            "phase": self.phase.value,
            "pause_probability": round(self.pause_probability, 3),
            "user_audio_s": round(self.user_samples / rules.SAMPLE_RATE, 2),
        }
        return Emit(self._shown.update(t, self.history, debug))
