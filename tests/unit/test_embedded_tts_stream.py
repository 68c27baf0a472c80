"""One TTS stream driven by scripted frames, without sockets, with each engine."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import msgpack
import numpy as np
import pytest
from prometheus_client import CollectorRegistry

from backend.speech_protocol.constants import FRAME_SAMPLES, SAMPLE_RATE
from embedded.frame_connection import ClientLeft
from embedded.tts.engine import shared_engine
from embedded.tts.metrics import TtsMetrics
from embedded.tts.piper_engine import load_piper_engine
from embedded.tts.stream import TtsStream
from embedded.tts.synthesizer import Synthesizer, TimedWord, Utterance

# Generous: a stream that has not ended by then never will.
HANG_GUARD_S = 20


def packed(message: dict[str, str]) -> bytes:
    frame: bytes = msgpack.packb(message)
    return frame


def text(word: str) -> bytes:
    return packed({"type": "Text", "text": word})


EOS = packed({"type": "Eos"})


def scripted(frames: list[bytes | float | None]) -> Callable[[], Awaitable[bytes | str | None]]:
    """Hands out `frames` in order; a float means "wait that long first"; None: client left."""
    pending = list(frames)

    async def receive() -> bytes | str | None:
        while pending:
            item = pending.pop(0)
            if isinstance(item, float):
                await asyncio.sleep(item)
                continue
            return item
        await asyncio.Event().wait()  # a quiet client: never sends again
        return None

    return receive


class Recorder:
    def __init__(self, fail_after: int | None = None) -> None:
        self.messages: list[dict[str, Any]] = []
        self.fail_after = fail_after
        self._arrived = asyncio.Event()

    async def send(self, frame: bytes) -> None:
        if self.fail_after is not None and len(self.messages) >= self.fail_after:
            raise ClientLeft
        self.messages.append(msgpack.unpackb(frame))
        self._arrived.set()

    async def wait_for_texts(self, expected: list[str]) -> None:
        while self.texts() != expected:
            self._arrived.clear()
            await self._arrived.wait()

    def texts(self) -> list[str]:
        return [m["text"] for m in self.messages if m["type"] == "Text"]

    def types(self) -> list[object]:
        return [m["type"] for m in self.messages]


@pytest.fixture(scope="module", params=["espeak", "piper"])
def engine(request: pytest.FixtureRequest) -> Synthesizer[Any]:
    return shared_engine() if request.param == "espeak" else load_piper_engine()


def new_stream(engine: Synthesizer[Any], recorder: Recorder) -> TtsStream[Any]:
    return TtsStream(
        engine=engine,
        voice=engine.voice_for_id(None),
        send=recorder.send,
        metrics=TtsMetrics(CollectorRegistry()),
    )


async def test_words_then_eos_give_texts_and_whole_frames(engine: Synthesizer[Any]) -> None:
    recorder = Recorder()
    frames: list[bytes | float | None] = [text(w) for w in ["Good", "morning", "to", "you."]]
    async with asyncio.timeout(HANG_GUARD_S):
        await new_stream(engine, recorder).run(scripted([*frames, EOS]))
    assert recorder.texts() == ["Good", "morning", "to", "you."]
    audio = [m["pcm"] for m in recorder.messages if m["type"] == "Audio"]
    assert audio and all(len(pcm) == FRAME_SAMPLES for pcm in audio)


@pytest.mark.parametrize("words_before_leaving", [0, 1, 5])
async def test_a_client_leaving_ends_the_stream(
    engine: Synthesizer[Any], words_before_leaving: int
) -> None:
    # Frames and the disconnect arrive back to back: the race that once hung a stream.
    frames: list[bytes | float | None] = [text(f"word{i}") for i in range(words_before_leaving)]
    async with asyncio.timeout(HANG_GUARD_S):
        await new_stream(engine, Recorder()).run(scripted([*frames, None]))


async def test_a_client_leaving_after_eos_ends_the_stream(engine: Synthesizer[Any]) -> None:
    frames: list[bytes | float | None] = [text(f"word{i}") for i in range(40)]
    async with asyncio.timeout(HANG_GUARD_S):
        await new_stream(engine, Recorder()).run(scripted([*frames, EOS, None]))


async def test_frames_after_eos_are_ignored(engine: Synthesizer[Any]) -> None:
    recorder = Recorder()
    frames: list[bytes | float | None] = [text("Hello."), EOS, text("more"), b"\xc1", EOS]
    async with asyncio.timeout(HANG_GUARD_S):
        await new_stream(engine, recorder).run(scripted(frames))
    assert recorder.texts() == ["Hello."]
    assert "Error" not in recorder.types()


async def test_a_failing_send_ends_the_stream(engine: Synthesizer[Any]) -> None:
    recorder = Recorder(fail_after=2)
    frames: list[bytes | float | None] = [text(w) for w in ["one", "two", "three", "four", "five"]]
    async with asyncio.timeout(HANG_GUARD_S):
        await new_stream(engine, recorder).run(scripted([*frames, EOS]))
    assert len(recorder.messages) == 2


async def test_pending_words_are_spoken_when_the_llm_stalls(engine: Synthesizer[Any]) -> None:
    recorder = Recorder()
    stream = new_stream(engine, recorder)
    # "Well," is cut at once; "so I" waits for more words until the idle cut.
    frames: list[bytes | float | None] = [text("Well,"), text("so"), text("I")]
    task = asyncio.create_task(stream.run(scripted(frames)))
    async with asyncio.timeout(HANG_GUARD_S):
        await recorder.wait_for_texts(["Well,", "so", "I"])
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_malformed_frames_are_answered_and_skipped(engine: Synthesizer[Any]) -> None:
    recorder = Recorder()
    frames: list[bytes | float | None] = [b"\xc1", text("Hi."), EOS]
    async with asyncio.timeout(HANG_GUARD_S):
        await new_stream(engine, recorder).run(scripted(frames))
    assert recorder.types()[0] == "Error"
    assert "Text" in recorder.types() and "Audio" in recorder.types()


class ScriptedEngine:
    """Speaks every phrase as one second of silence; notes when it was asked, for when."""

    phrase_word_limits = (12,)

    def __init__(self) -> None:
        self.asked: list[tuple[float, float | None]] = []

    def voice_for_id(self, voice_id: str | None) -> None:
        return None

    def voice_for_profile(self, profile: object) -> None:
        return None

    async def speak(
        self, words: Sequence[str], voice: None, open_ended: bool, deadline: float | None = None
    ) -> Utterance:
        self.asked.append((time.monotonic(), deadline))
        timed = [TimedWord(word, 0.0, 0.5) for word in words]
        return Utterance(audio=np.zeros(SAMPLE_RATE, np.float32), words=timed, synthesis_s=0.0)


async def test_each_phrase_is_due_when_the_listener_runs_out_of_audio() -> None:
    engine = ScriptedEngine()
    stream = TtsStream(
        engine=engine, voice=None, send=Recorder().send, metrics=TtsMetrics(CollectorRegistry())
    )
    async with asyncio.timeout(HANG_GUARD_S):
        await stream.run(scripted([text("One."), text("Two."), text("Three."), EOS]))
    (first_asked, first_due), *later = engine.asked
    assert first_due == pytest.approx(first_asked, abs=0.05)  # nothing heard yet: due now
    assert len(later) == 2
    dues = [due for _, due in later if due is not None]
    # Each later phrase is due once the second of audio before it (and pauses) has played.
    assert all(due - asked > 0.9 for (asked, _), due in zip(later, dues, strict=True))
    assert dues[1] - dues[0] >= 1.0 - 1e-6
