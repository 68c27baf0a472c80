"""The playback pacer, driven by scripted timelines the way the backend drives it:
call `release` on every input and at `next_wakeup`, never in between."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pytest

from backend.playback import WORD_LEAD_S, PlaybackPacer

SAMPLE_RATE = 24_000
FRAME = 1920  # 80 ms, what the TTS sends
FRAME_S = FRAME / SAMPLE_RATE
MAX_AHEAD_S = 0.32

Input = Callable[[PlaybackPacer], object]  # a bool where it says whether to wake the player


def frames(count: int) -> Input:
    def add(pacer: PlaybackPacer) -> None:
        for _ in range(count):
            pacer.add_audio(np.full(FRAME, 0.1, dtype=np.float32))

    return add


def word(text: str, start_s: float) -> Input:
    return lambda pacer: pacer.add_word(text, start_s, start_s + 0.2)


def end() -> Input:
    return lambda pacer: pacer.end_of_audio()


@dataclass
class Played:
    """What the pacer released, and when."""

    audio: list[tuple[float, int]] = field(default_factory=list)  # (time, samples)
    words: list[tuple[float, str]] = field(default_factory=list)
    finished_at: float | None = None
    most_ahead_s: float = 0.0

    def released_s_by(self, t: float) -> float:
        return sum(n for at, n in self.audio if at <= t + 1e-9) / SAMPLE_RATE

    def word_times(self) -> dict[str, float]:
        return {text: at for at, text in self.words}

    def release(self, pacer: PlaybackPacer, now: float) -> bool:
        """Call the pacer's `release` at `now`, as the player does, and note what it let go;
        True once the pacer says it finished."""
        release = pacer.release(now)
        self.audio.extend((now, chunk.size) for chunk in release.audio)
        self.words.extend((now, text) for text in release.words)
        self.most_ahead_s = max(self.most_ahead_s, pacer.ahead_s(now))
        if release.finished:
            self.finished_at = now
        return release.finished


def drive(pacer: PlaybackPacer, inputs: list[tuple[float, Input]]) -> Played:
    """Run the pacer like the backend's playback loop, jumping from event to event."""
    pending = sorted(inputs, key=lambda item: item[0])
    played = Played()
    now = pending[0][0]
    for _ in range(10_000):
        while pending and pending[0][0] <= now:
            pending.pop(0)[1](pacer)
        if played.release(pacer, now):
            return played
        wakeup = pacer.next_wakeup(now)
        upcoming = [t for t in (wakeup, pending[0][0] if pending else None) if t is not None]
        if not upcoming:
            return played
        assert min(upcoming) >= now
        now = min(upcoming)
    raise AssertionError("the pacer kept asking to be woken without progress")


def test_a_burst_is_released_in_real_time_never_more_than_max_ahead() -> None:
    pacer = PlaybackPacer(max_ahead_s=MAX_AHEAD_S)
    played = drive(pacer, [(10.0, frames(25)), (10.0, end())])

    assert sum(n for _, n in played.audio) == 25 * FRAME
    # Four frames (0.32 s) go at once, then two more each time the listener heard two.
    assert [at for at, _ in played.audio[:4]] == [10.0] * 4
    for index, (at, _) in enumerate(played.audio[4:], start=4):
        assert at == pytest.approx(10.0 + ((index - 4) // 2 + 1) * 2 * FRAME_S)
    assert played.most_ahead_s <= MAX_AHEAD_S + 1e-9
    assert played.finished_at == pytest.approx(10.0 + 25 * FRAME_S)


def least_ahead_once_filled(played: Played) -> float:
    """How little was buffered just before each release of audio, once the first
    `MAX_AHEAD_S` of playback filled the buffer (a listener that never stalls)."""
    times = sorted({at for at, _ in played.audio})
    return min(
        played.released_s_by(at - 1e-9) - (at - times[0])
        for at in times
        if at - times[0] >= MAX_AHEAD_S - 1e-9
    )


def test_the_buffer_is_topped_up_in_batches_not_a_frame_at_a_time() -> None:
    timeline = tts_at(4.0, words=12)
    batched = drive(PlaybackPacer(max_ahead_s=MAX_AHEAD_S), timeline)
    frame_by_frame = drive(PlaybackPacer(max_ahead_s=MAX_AHEAD_S, refill_s=0.0), timeline)

    def sends(played: Played) -> int:
        return len({at for at, _ in played.audio})

    # Half as many sends, the same audio, the same words, each shown as it is heard or
    # just before, with the audio released then.
    assert sends(batched) <= sends(frame_by_frame) // 2 + 2
    assert sum(n for _, n in batched.audio) == sum(n for _, n in frame_by_frame.audio)
    for played in (batched, frame_by_frame):
        assert [text for _, text in played.words] == [f"w{index}" for index in range(12)]
        for index, (at, _) in enumerate(played.words):
            heard_at = 1.0 + index * 3 * FRAME_S
            assert heard_at - WORD_LEAD_S - 1e-9 <= at <= heard_at + 1e-9
    assert batched.finished_at == frame_by_frame.finished_at
    # The buffer stays between half full and full while the TTS keeps ahead.
    assert batched.most_ahead_s <= MAX_AHEAD_S + 1e-9
    assert least_ahead_once_filled(batched) >= MAX_AHEAD_S / 2 - 1e-9


@pytest.mark.parametrize("refill_s", [-0.01, 0.17])
def test_a_refill_beyond_half_the_buffer_is_refused(refill_s: float) -> None:
    with pytest.raises(ValueError, match="refill_s"):
        PlaybackPacer(max_ahead_s=MAX_AHEAD_S, refill_s=refill_s)


def test_the_cursor_starts_with_the_first_audio_not_before() -> None:
    pacer = PlaybackPacer()
    assert pacer.played_s(5.0) == 0.0
    assert pacer.next_wakeup(5.0) is None  # nothing to do until audio arrives
    pacer.add_audio(np.zeros(FRAME * 2, dtype=np.float32))
    assert pacer.next_wakeup(6.0) == 6.0
    pacer.release(6.0)
    assert pacer.played_s(6.0) == 0.0
    assert pacer.played_s(6.1) == pytest.approx(0.1)


def test_a_slow_tts_stalls_the_listener_instead_of_running_ahead() -> None:
    pacer = PlaybackPacer()
    # The TTS delivers one 80 ms frame every 160 ms: half real time.
    inputs = [(i * 2 * FRAME_S, frames(1)) for i in range(10)]
    played = drive(pacer, [*inputs, (9 * 2 * FRAME_S, end())])

    # Each frame is released the moment it arrives: the listener is starved.
    assert [at for at, _ in played.audio] == pytest.approx([t for t, _ in inputs])
    # The last frame arrived at 1.44 s and takes 80 ms to hear.
    assert played.finished_at == pytest.approx(9 * 2 * FRAME_S + FRAME_S)


def test_a_stalled_listener_resumes_where_it_stopped() -> None:
    pacer = PlaybackPacer()
    pacer.add_audio(np.zeros(FRAME * 2, dtype=np.float32))
    pacer.release(0.0)
    assert pacer.played_s(0.5) == pytest.approx(2 * FRAME_S)  # stalled at the end

    pacer.add_audio(np.zeros(FRAME, dtype=np.float32))
    assert len(pacer.release(1.0).audio) == 1
    assert pacer.played_s(1.0) == pytest.approx(2 * FRAME_S)
    assert pacer.played_s(1.05) == pytest.approx(2 * FRAME_S + 0.05)
    assert pacer.played_s(9.0) == pytest.approx(3 * FRAME_S)


def test_words_are_released_when_the_listener_reaches_them() -> None:
    pacer = PlaybackPacer()
    played = drive(
        pacer,
        [
            (3.0, word("Hello", 0.0)),
            (3.0, word("there", 0.25)),
            (3.0, word("friend", 0.62)),
            (3.0, frames(13)),  # 1.04 s of audio, all at once
            (3.0, end()),
        ],
    )
    assert played.word_times() == pytest.approx({"Hello": 3.0, "there": 3.25, "friend": 3.62})
    assert [text for _, text in played.words] == ["Hello", "there", "friend"]


def test_a_word_about_to_be_heard_goes_out_with_the_audio_released_before_it() -> None:
    # Refills at 0.16 s, 0.32 s, 0.48 s…: "soon" is heard 70 ms after one and goes with
    # it; "later" is 130 ms from the last refill before it, so it waits for its own time.
    pacer = PlaybackPacer(max_ahead_s=MAX_AHEAD_S)
    played = drive(
        pacer,
        [
            (0.0, word("now", 0.0)),
            (0.0, word("soon", 0.16 + WORD_LEAD_S - 0.01)),
            (0.0, word("later", 0.32 + WORD_LEAD_S + 0.05)),
            (0.0, frames(10)),
            (0.0, end()),
        ],
    )
    assert played.word_times() == pytest.approx({"now": 0.0, "soon": 0.16, "later": 0.45})
    audio_times = {round(at, 9) for at, _ in played.audio}
    assert round(played.word_times()["soon"], 9) in audio_times, "no wake-up of its own"


def test_a_word_waits_for_its_audio_when_the_tts_lags() -> None:
    pacer = PlaybackPacer()
    played = drive(
        pacer,
        [
            (0.0, word("one", 0.0)),
            (0.0, frames(1)),
            (0.0, word("two", 0.08)),  # its audio only arrives at 1 s
            (1.0, frames(1)),
            (1.0, end()),
        ],
    )
    assert played.word_times() == pytest.approx({"one": 0.0, "two": 1.0})


def test_finished_only_once_the_listener_heard_everything() -> None:
    pacer = PlaybackPacer()
    pacer.add_audio(np.zeros(5 * FRAME, dtype=np.float32))
    pacer.end_of_audio()
    assert not pacer.release(0.0).finished
    # The last piece fits at 0.08 s, and goes with the refill, once half the buffer is heard.
    assert pacer.next_wakeup(0.0) == pytest.approx(0.16)
    assert not pacer.release(0.16).finished
    assert not pacer.release(0.39).finished
    assert pacer.next_wakeup(0.39) == pytest.approx(0.4)
    assert pacer.release(0.4).finished
    assert pacer.next_wakeup(0.4) is None


def test_not_finished_while_the_tts_may_still_send_audio() -> None:
    pacer = PlaybackPacer()
    pacer.add_audio(np.zeros(FRAME, dtype=np.float32))
    pacer.release(0.0)
    assert not pacer.release(5.0).finished
    assert pacer.next_wakeup(5.0) is None
    pacer.end_of_audio()
    assert pacer.release(5.0).finished


def test_words_beyond_the_audio_come_out_at_the_end() -> None:
    pacer = PlaybackPacer()
    played = drive(pacer, [(0.0, frames(2)), (0.0, word("late", 7.0)), (0.0, end())])
    assert played.word_times() == pytest.approx({"late": 2 * FRAME_S})
    assert played.finished_at == pytest.approx(2 * FRAME_S)


def test_a_turn_without_audio_finishes_at_once() -> None:
    pacer = PlaybackPacer()
    pacer.add_word("orphan", 0.0, 0.1)
    pacer.end_of_audio()
    assert pacer.next_wakeup(2.0) == 2.0
    release = pacer.release(2.0)
    assert release.finished
    assert release.words == ["orphan"]
    assert release.audio == []


def test_a_long_chunk_is_cut_so_the_limit_holds() -> None:
    pacer = PlaybackPacer(max_ahead_s=MAX_AHEAD_S)
    played = drive(pacer, [(0.0, lambda p: p.add_audio(np.ones(SAMPLE_RATE * 2))), (0.0, end())])
    assert sum(n for _, n in played.audio) == SAMPLE_RATE * 2
    assert played.most_ahead_s <= MAX_AHEAD_S + 1e-9
    assert played.finished_at == pytest.approx(2.0)


def test_released_audio_is_the_audio_added_in_order() -> None:
    pacer = PlaybackPacer()
    chunks = [np.full(FRAME, i / 10, dtype=np.float32) for i in range(6)]
    for chunk in chunks:
        pacer.add_audio(chunk)
    out = pacer.release(0.0).audio + pacer.release(1.0).audio
    np.testing.assert_array_equal(np.concatenate(out), np.concatenate(chunks))


@pytest.mark.parametrize("max_ahead_s", [0.08, 0.32, 1.0])
def test_the_limit_holds_at_every_moment(max_ahead_s: float) -> None:
    pacer = PlaybackPacer(max_ahead_s=max_ahead_s)
    rng = np.random.default_rng(7)
    arrivals = np.cumsum(rng.uniform(0.0, 0.15, size=40))
    played = drive(pacer, [*((float(t), frames(1)) for t in arrivals), (arrivals[-1], end())])
    # Right after a release is when the most is buffered, so this covers every moment.
    assert played.most_ahead_s <= max_ahead_s + 1e-9
    assert sum(n for _, n in played.audio) == 40 * FRAME
    # The listener hears all of it, and never faster than real time.
    assert played.finished_at is not None
    assert played.finished_at >= arrivals[0] + 40 * FRAME_S - 1e-9


def drive_woken_only_when_input_asks(
    pacer: PlaybackPacer, inputs: list[tuple[float, Input]]
) -> Played:
    """Like `drive`, but input wakes the player only when `add_audio` or `add_word` says
    so (as the TTS adapter does); otherwise the player sleeps until its own wake-up.
    Input due at the wake-up's own moment is taken first, as in `drive`."""
    pending = sorted(inputs, key=lambda item: item[0])
    played = Played()
    wakeup: float | None = None
    for _ in range(10_000):
        arrival = pending[0][0] if pending else None
        if wakeup is not None and (arrival is None or wakeup < arrival):
            now = wakeup
            if played.release(pacer, now):
                return played
            wakeup = pacer.next_wakeup(now)
            continue
        if arrival is None:
            return played
        now = arrival
        while pending and pending[0][0] <= now:
            if pending.pop(0)[1](pacer):
                wakeup = now
    raise AssertionError("the pacer kept asking to be woken without progress")


def tts_at(speed: float, words: int) -> list[tuple[float, Input]]:
    """A TTS sending a word's timing, then its three frames, `speed` times real time; the
    end of the audio wakes the player, as the adapter always does."""
    inputs: list[tuple[float, Input]] = []
    sent = 0
    for index in range(words):
        inputs.append((1.0 + sent * FRAME_S / speed, timing(f"w{index}", sent * FRAME_S)))
        for _ in range(3):
            inputs.append((1.0 + sent * FRAME_S / speed, one_frame))
            sent += 1
    inputs.append((1.0 + sent * FRAME_S / speed, end_and_wake))
    return inputs


def timing(text: str, start_s: float) -> Input:
    return lambda pacer: pacer.add_word(text, start_s, start_s + 3 * FRAME_S)


def one_frame(pacer: PlaybackPacer) -> bool:
    return pacer.add_audio(np.full(FRAME, 0.1, dtype=np.float32))


def end_and_wake(pacer: PlaybackPacer) -> bool:
    pacer.end_of_audio()
    return True


@pytest.mark.parametrize("speed", [4.0, 1.0, 0.5])
def test_waking_the_player_only_when_input_asks_changes_nothing(speed: float) -> None:
    timeline = tts_at(speed, words=12)
    every_input = drive(PlaybackPacer(), timeline)
    when_asked = drive_woken_only_when_input_asks(PlaybackPacer(), timeline)

    assert when_asked == every_input
    assert every_input.finished_at is not None and len(every_input.words) == 12


def test_audio_queued_behind_a_waiting_chunk_does_not_ask_for_a_wakeup() -> None:
    pacer = PlaybackPacer(max_ahead_s=MAX_AHEAD_S)
    assert pacer.add_audio(np.zeros(FRAME * 5, dtype=np.float32))
    pacer.release(0.0)  # four frames go, the fifth waits for the listener
    assert not pacer.add_audio(np.zeros(FRAME, dtype=np.float32))
    assert not pacer.add_word("later", 6 * FRAME_S, 7 * FRAME_S)  # its audio is not out
    assert pacer.add_word("now", FRAME_S, 2 * FRAME_S)  # its audio was released
