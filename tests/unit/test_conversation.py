"""Every turn-taking rule of the conversation core, on scripted timelines."""

from __future__ import annotations

from backend.conversation import rules
from backend.conversation.machine import Phase
from backend.conversation.signals import (
    BotWordSpoken,
    CancelReply,
    Close,
    Emit,
    EndOfReplyText,
    FlushStt,
    LlmDone,
    LlmFailed,
    LlmWord,
    PlaybackFinished,
    SessionConfigured,
    SpeakWord,
    SttStep,
    SttWord,
    Tick,
    TtsFailed,
    UserAudio,
)
from backend.realtime import public_errors
from tests.unit.conversation_script import Script, event_types, starts

SPEECH = 0.05  # pause probability while the user talks
SILENCE = 0.95


def greeted() -> Script:
    """A conversation whose greeting was spoken, 4 s in (past the echo grace period)."""
    s = Script()
    s.start()
    s.frames(50, SILENCE)  # 4 s of audio while the greeting plays
    s.reply("Hello there, how are you?")
    return s


def user_says(s: Script, *words: str) -> None:
    s.frames(len(words) * 3, SPEECH, {i * 3: w for i, w in enumerate(words)})


# --- the bot speaks first ----------------------------------------------------------------


def test_bot_waits_for_session_and_audio_then_greets_at_high_temperature() -> None:
    s = Script()
    assert s.frames(3, SILENCE) == []  # audio without a session: nothing yet
    out = s.feed(
        __import__("backend.conversation.signals", fromlist=["x"]).SessionConfigured(
            s.t, "Be kind.", "voice-a"
        )
    )
    assert event_types(out) == ["response.created"]
    (start,) = starts(out)
    assert start.temperature == rules.FIRST_REPLY_TEMPERATURE
    assert start.voice == "voice-a"
    assert start.messages[0] == {"role": "system", "content": "Be kind."}
    assert start.messages[1] == {"role": "user", "content": rules.GREETING_USER_TURN}
    created = out[0]
    assert isinstance(created, Emit)
    assert created.event.type == "response.created"
    assert created.event.response.chat_history[0].role == "system"  # type: ignore[union-attr]


def test_session_without_audio_does_not_greet() -> None:
    s = Script()
    assert s.feed(SessionConfigured(0.0, "p", "v")) == []
    assert s.conversation.phase is Phase.STARTING


def test_reply_turn_emits_events_in_the_order_clients_check() -> None:
    s = Script()
    out = s.start() + s.reply("Hi! Nice to meet you.")
    assert event_types(out) == [
        "response.created",
        *["unmute.response.text.delta.ready"] * 5,
        "response.text.done",
        *["response.text.delta"] * 5,
        "unmute.additional_outputs",
        "response.audio.done",
    ]
    deltas = [a.event.delta for a in out if isinstance(a, Emit) and a.event.type.endswith("ready")]  # type: ignore[union-attr]
    assert deltas[0] == "Hi!" and deltas[1] == " Nice"
    spoken = [a.text for a in out if isinstance(a, SpeakWord)]
    assert spoken == ["Hi!", "Nice", "to", "meet", "you."]
    assert any(isinstance(a, EndOfReplyText) for a in out)
    additional = next(
        a for a in out if isinstance(a, Emit) and a.event.type == "unmute.additional_outputs"
    )
    history = additional.event.args.chat_history  # type: ignore[union-attr]
    assert history[-1].role == "assistant" and history[-1].content == "Hi! Nice to meet you."
    assert all(m.role != "system" for m in history)


# --- end of turn and the flush trick ----------------------------------------------------


def test_end_of_turn_needs_words_and_a_pause() -> None:
    s = greeted()
    assert s.frames(20, SILENCE) == [] or "input_audio_buffer.speech_stopped" not in event_types(
        s.actions
    )
    user_says(s, "what", "is", "the", "time")
    out = s.frames(3, SILENCE)
    assert event_types(out) == ["input_audio_buffer.speech_stopped"]
    (flush,) = [a.samples for a in out if isinstance(a, FlushStt)]
    assert rules.FLUSH_SAMPLES <= flush < rules.FLUSH_SAMPLES + rules.STT_FRAME_SAMPLES
    # The flush ends on a frame boundary: the STT needs nothing more to answer it.
    assert s.conversation.flush_point % rules.STT_FRAME_SAMPLES == 0
    assert s.conversation.phase is Phase.FLUSHING


def test_a_flush_after_part_of_a_frame_completes_that_frame() -> None:
    s = greeted()
    user_says(s, "what", "is", "the", "time")
    s.feed(UserAudio(s.t, 480))  # a 20 ms browser page: the STT's frame is a quarter full
    out = s.frames(3, SILENCE)
    (flush,) = [a.samples for a in out if isinstance(a, FlushStt)]
    assert flush == rules.FLUSH_SAMPLES + rules.STT_FRAME_SAMPLES - 480 - 480
    assert s.conversation.flush_point % rules.STT_FRAME_SAMPLES == 0


def test_a_short_breath_does_not_end_the_turn() -> None:
    s = greeted()
    user_says(s, "well")
    out = s.frames(1, 0.7) + s.frames(3, SPEECH)  # one noisy step: smoothing absorbs it
    assert "input_audio_buffer.speech_stopped" not in event_types(out)


def test_the_first_steps_of_a_stream_are_ignored() -> None:
    s = Script()
    s.start()
    s.conversation.phase = Phase.LISTENING  # as if the greeting was over
    s.feed(SttWord(s.t, "hi", 0.0))
    out = s.frames(rules.NOISY_STEPS_AT_STREAM_START, SILENCE)
    assert "input_audio_buffer.speech_stopped" not in event_types(out)
    assert "input_audio_buffer.speech_stopped" in event_types(s.frames(2, SILENCE))


def test_reply_starts_once_the_stt_clock_passes_the_flush_point() -> None:
    s = greeted()
    user_says(s, "tell", "me", "a", "joke")
    s.frames(2, SILENCE)
    assert s.conversation.phase is Phase.FLUSHING
    flush_point = s.conversation.flush_point
    target_step = -(-flush_point // rules.STT_FRAME_SAMPLES) - 1
    # The delayed last word arrives during the flush and still belongs to the user's turn.
    out = s.feed(SttWord(s.t, "please", s.t))
    assert event_types(out) == ["conversation.item.input_audio_transcription.delta"]
    # Steps before the flush point do not start the reply, the one reaching it does.
    assert s.feed(SttStep(s.t, target_step - 1, SILENCE)) == []
    out = s.feed(SttStep(s.t, target_step, SILENCE))
    assert event_types(out) == ["response.created"]
    (start,) = starts(out)
    assert start.temperature == rules.LATER_REPLY_TEMPERATURE
    assert start.messages[-1] == {"role": "user", "content": "tell me a joke please"}


def test_a_reply_carries_when_the_turn_it_answers_ended() -> None:
    """The latency the user notices starts at the end of their turn: the core states it on
    the reply it starts, so adapters time replies from a fact, not from watching events."""
    s = Script()
    (greeting,) = starts(s.start())
    assert greeting.turn_ended_at is None, "nobody waits for a greeting"
    s.frames(50, SILENCE)
    s.reply("Hello there, how are you?")
    user_says(s, "tell", "me", "a", "joke")
    out = s.frames(2, SILENCE)
    assert "input_audio_buffer.speech_stopped" in event_types(out)
    ended_at = s.t
    out = s.frames(12, SILENCE)  # the flush is answered: the reply starts
    (reply,) = starts(out)
    assert reply.turn_ended_at == ended_at
    s.reply("Why did the chicken cross the road?")
    (prompt,) = starts(s.frames(100, SILENCE))  # a silence prompt answers no turn
    assert prompt.turn_ended_at is None


def test_a_stalled_stt_does_not_block_the_reply() -> None:
    s = greeted()
    user_says(s, "hello")
    s.frames(2, SILENCE)
    assert s.conversation.phase is Phase.FLUSHING
    assert s.feed(Tick(s.t + rules.FLUSH_TIMEOUT_S / 2)) == []
    assert event_types(s.feed(Tick(s.t + rules.FLUSH_TIMEOUT_S))) == ["response.created"]


# --- barge-in ----------------------------------------------------------------------------


def replying() -> Script:
    s = greeted()
    user_says(s, "tell", "me", "a", "story")
    s.frames(2, SILENCE)
    s.feed(Tick(s.t + rules.FLUSH_TIMEOUT_S))
    assert s.conversation.phase is Phase.REPLYING
    s.llm_writes("Once upon a time there was")
    s.hear("Once", "upon")
    return s


def test_a_recognised_word_interrupts_the_bot() -> None:
    s = replying()
    rid = s.conversation.response_id
    out = s.feed(SttWord(s.t, "stop", s.t))
    assert out[0] == CancelReply(rid)
    assert event_types(out) == [
        "unmute.interrupted_by_vad",
        "input_audio_buffer.speech_started",
        "conversation.item.input_audio_transcription.delta",
    ]
    assert s.conversation.phase is Phase.LISTENING
    turns = s.conversation.history.without_system()
    assert turns[-2] == {"role": "assistant", "content": "Once upon" + rules.INTERRUPTION_MARK}
    assert turns[-1] == {"role": "user", "content": "stop"}


def test_the_pause_probability_dropping_interrupts_the_bot() -> None:
    s = replying()
    out = s.frames(3, SPEECH)
    assert any(isinstance(a, CancelReply) for a in out)
    assert event_types(out)[0] == "unmute.interrupted_by_vad"


def test_a_voice_barge_in_does_not_trigger_the_silence_prompt() -> None:
    s = Script()
    s.start()
    s.frames(100, SILENCE)  # 8 s into a long greeting, which is still playing
    s.frames(3, SPEECH)  # the user talks over it: no words recognised yet
    assert "unmute.interrupted_by_vad" in event_types(s.actions)
    out = s.frames(30, SPEECH)  # and goes on talking for a few seconds
    assert "response.created" not in event_types(out)


def test_no_barge_in_during_the_first_seconds() -> None:
    s = Script()
    s.start()
    s.frames(rules.NOISY_STEPS_AT_STREAM_START + 5, SPEECH, {14: "echo"})  # ~1.4 s in
    assert not any(isinstance(a, CancelReply) for a in s.actions)
    assert "conversation.item.input_audio_transcription.delta" not in event_types(s.actions)
    assert s.conversation.phase is Phase.REPLYING


def test_signals_about_a_cancelled_reply_are_ignored() -> None:
    s = replying()
    old = s.conversation.response_id
    s.feed(SttWord(s.t, "wait", s.t))
    assert s.feed(LlmWord(s.t, old, "late", " ")) == []
    assert s.feed(BotWordSpoken(s.t, old, "late")) == []
    assert s.feed(LlmDone(s.t, old)) == []


def test_an_interrupted_reply_with_nothing_heard_leaves_no_trace() -> None:
    s = greeted()
    user_says(s, "hi")
    s.frames(2, SILENCE)
    s.feed(Tick(s.t + rules.FLUSH_TIMEOUT_S))
    s.feed(SttWord(s.t, "again", s.t))
    turns = s.conversation.history.without_system()
    assert turns[-1] == {"role": "user", "content": "hi again"}


# --- silence, goodbye, failures -----------------------------------------------------------


def test_silence_prompt_after_seven_seconds() -> None:
    s = greeted()
    quiet_frames = int(rules.SILENCE_PROMPT_AFTER_S / 0.08)
    out = s.frames(quiet_frames - 3, SILENCE)
    assert "response.created" not in event_types(out)
    out = s.frames(4, SILENCE)
    assert "response.created" in event_types(out)
    (start,) = starts(out)
    assert start.messages[-1] == {"role": "user", "content": rules.SILENCE_MARKER}


def test_the_user_making_sound_postpones_the_silence_prompt() -> None:
    s = greeted()
    s.frames(60, SILENCE)
    s.frames(5, SPEECH)  # noise or speech the STT did not turn into words
    out = s.frames(60, SILENCE)
    assert "response.created" not in event_types(out)


def test_silence_prompts_are_bounded() -> None:
    s = greeted()
    for _ in range(rules.MAX_SILENCE_PROMPTS):
        s.frames(int(rules.SILENCE_PROMPT_AFTER_S / 0.08) + 2, SILENCE)
        s.reply("Are you still there?")
    out = s.frames(200, SILENCE)
    assert "response.created" not in event_types(out)


def test_goodbye_closes_the_call_after_it_was_spoken() -> None:
    s = greeted()
    user_says(s, "goodbye")
    s.frames(2, SILENCE)
    s.feed(Tick(s.t + rules.FLUSH_TIMEOUT_S))
    out = s.reply("It was nice talking. Bye!", finish=False)
    assert not any(isinstance(a, Close) for a in out)
    out = s.feed(PlaybackFinished(s.t, s.conversation.response_id))
    assert event_types(out) == ["unmute.additional_outputs", "response.audio.done"]
    assert out[-1] == Close(1000, "goodbye")
    assert s.feed(Tick(s.t + 100)) == []


def test_llm_failure_is_spoken_and_warned() -> None:
    s = Script()
    s.start()
    out = s.feed(LlmFailed(s.t, s.conversation.response_id))
    assert event_types(out)[0] == "error"
    assert out[0].event.error.type == "warning"  # type: ignore[union-attr]
    assert out[0].event.error.code == public_errors.LLM_FAILED.code  # type: ignore[union-attr]
    spoken = " ".join(a.text for a in out if isinstance(a, SpeakWord))
    assert spoken == rules.LLM_FAILURE_REPLY
    assert any(isinstance(a, EndOfReplyText) for a in out)


def test_an_empty_llm_reply_still_says_something() -> None:
    s = Script()
    s.start()
    out = s.feed(LlmDone(s.t, s.conversation.response_id))
    assert " ".join(a.text for a in out if isinstance(a, SpeakWord)) == rules.EMPTY_REPLY


def test_tts_failure_warns_and_the_turn_ends_when_playback_does() -> None:
    s = Script()
    s.start()
    rid = s.conversation.response_id
    s.llm_writes("Hello")
    out = s.feed(TtsFailed(s.t, rid))
    assert event_types(out) == ["error"]
    assert out[0].event.error.type == "warning"  # type: ignore[union-attr]
    assert out[0].event.error.code == public_errors.TTS_FAILED.code  # type: ignore[union-attr]
    out = s.feed(PlaybackFinished(s.t, rid))
    assert event_types(out) == ["unmute.additional_outputs", "response.audio.done"]
    assert s.conversation.phase is Phase.LISTENING


# --- what the client hears about ---------------------------------------------------------


def test_transcripts_are_only_sent_during_the_users_turn() -> None:
    s = Script()
    s.frames(2, SILENCE, {0: "early"})  # no session yet
    assert event_types(s.actions) == []


def test_idle_updates_are_rate_limited_and_only_sent_on_change() -> None:
    s = greeted()
    before = len(s.actions)
    user_says(s, "hmm")  # changes the history 0.24 s after the greeting's update
    assert "unmute.additional_outputs" not in event_types(s.actions[before:])
    out = s.frames(13, SPEECH)  # one second later: one update
    assert event_types(out).count("unmute.additional_outputs") == 1
    out = s.frames(30, SPEECH)  # nothing changed: no more updates
    assert "unmute.additional_outputs" not in event_types(out)
