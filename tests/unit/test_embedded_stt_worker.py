"""The recogniser worker's command loop, driven through in-memory pipes."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pytest

from embedded.stt import worker_messages
from embedded.stt.engines import FrameAnalyser, Recognizer, SttEngine, whisper_engine
from embedded.stt.framing import FrameAssembler
from embedded.stt.recognizer import SpeechRecognizer
from embedded.stt.voice_activity import VoiceActivityDetector
from embedded.stt.worker import serve
from tests.speech_clips import SENTENCES, silence, speak


def audio_commands(
    stream: int, pcm: np.ndarray[Any, np.dtype[np.float32]], vad: FrameAnalyser | None = None
) -> list[dict[str, Any]]:
    vad = vad or VoiceActivityDetector()
    commands = []
    for frame in FrameAssembler().push(pcm):
        analysed = vad.analyse(frame)
        commands.append(
            {
                "op": "audio",
                "stream": stream,
                "pcm": analysed.pcm16k,
                "voiced": list(analysed.voiced),
            }
        )
    return commands


def run_worker(
    commands: list[dict[str, Any]], recognizer: Recognizer | None = None
) -> list[dict[str, Any]]:
    inbox = io.BytesIO(b"".join(worker_messages.encode(c) for c in commands))
    outbox = io.BytesIO()
    serve(inbox, outbox, recognizer or SpeechRecognizer())
    outbox.seek(0)
    answers = []
    while (answer := worker_messages.read_blocking(outbox)) is not None:
        answers.append(answer)
    return answers


@pytest.mark.parametrize("engine_name", ["pocketsphinx", "whisper"])
def test_a_stream_gets_one_answer_per_frame_then_its_marker(engine_name: str) -> None:
    engine = whisper_engine() if engine_name == "whisper" else SttEngine()
    pcm = np.concatenate([speak("can you play some music for me"), silence(0.3)])
    audio = audio_commands(1, pcm, engine.voice_activity()())
    answers = run_worker(
        [{"op": "reset", "stream": 1}, *audio, {"op": "marker", "stream": 1, "id": 42}],
        engine.create_recognizer(),
    )
    assert answers[0] == {"op": "ready"}
    processed = [a for a in answers if a["op"] == "processed"]
    assert [a["frames"] for a in processed] == list(range(1, len(audio) + 1))
    marker = answers[-1]
    assert marker["op"] == "marker" and marker["id"] == 42 and marker["idle"]
    assert marker["frames"] == len(audio)
    words = [w[0].lower() for a in answers[1:] for w in a["words"]]
    assert words[:3] == ["can", "you", "play"]


def test_commands_of_an_ended_stream_are_ignored() -> None:
    speech = speak("hello how are you today")
    commands = [
        {"op": "reset", "stream": 1},
        *audio_commands(1, speech[:12_000]),
        {"op": "reset", "stream": 2},
        *audio_commands(1, speech),  # late audio of stream 1
        {"op": "marker", "stream": 1, "id": 1},
        {"op": "marker", "stream": 2, "id": 2},
    ]
    answers = run_worker(commands)
    stream_2 = [a for a in answers if a.get("stream") == 2]
    assert stream_2 == [
        {"op": "marker", "stream": 2, "id": 2, "frames": 0, "idle": True, "words": []}
    ]


def test_a_new_stream_skips_the_backlog_of_the_ended_one() -> None:
    backlog = audio_commands(1, np.concatenate([speak(s) for s in SENTENCES[:3]]))
    commands = [
        {"op": "reset", "stream": 1},
        *backlog,
        {"op": "reset", "stream": 2},  # sent at once when stream 1 ends
        {"op": "marker", "stream": 2, "id": 7},
    ]
    answers = run_worker(commands)
    processed_for_ended_stream = [a for a in answers if a.get("stream") == 1]
    assert len(processed_for_ended_stream) < len(backlog) // 2
    assert answers[-1]["op"] == "marker" and answers[-1]["id"] == 7
