"""The CPU STT server over real sockets: moshi-server's asr-streaming protocol, end to end.

Every test runs against both engines (pocketsphinx and Whisper), on one server per engine
started with `unmute-ops serve stt --engine …` (two slots). The idle timeout's tests are in
`test_embedded_stt_idle.py`.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import httpx
import msgpack
import numpy as np
import numpy.typing as npt
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.integration.embedded_stt_client import (
    ENGINES,
    FRAME,
    KEY,
    free_port,
    read_metric,
    session,
    wait_for_metric,
)
from tests.recognition_clips import normalise
from tests.speech_clips import SAMPLE_RATE, SENTENCES, silence, speak, word_error_rate

pytestmark = pytest.mark.integration

SLOTS = 2
FRAME_S = FRAME / SAMPLE_RATE
FLUSH = silence(0.5 + FRAME_S)  # what Unmute's backend sends at end of turn
# On the sentences of `test_sentences_are_recognised`, flite's kal16 voice: pocketsphinx
# measured 3 % (all 32 sentences, benchmarks/stt_bench.py); Whisper tiny.en 8 %, one
# sentence misheard (kal16 is its hardest flite voice: 12 % over 16 sentences in
# benchmarks/stt_engines_bench.py).
MAX_WORD_ERROR_RATES = {"pocketsphinx": 0.08, "whisper": 0.12}
# A client that never flushes sees the end of the turn (prs[2] > 0.6) this many frames
# after the speech ends, at most. Measured (benchmarks/stt_engines_bench.py): p90 5.5
# frames for either engine; the rest is room for a busy host.
MAX_FRAMES_TO_END_OF_TURN = 15


class RunningServer(NamedTuple):
    address: str
    process: subprocess.Popen[bytes]
    engine: str


@pytest.fixture(scope="module", params=ENGINES)
def server(request: pytest.FixtureRequest) -> Iterator[RunningServer]:
    port = free_port()
    command = [str(Path(sys.executable).parent / "unmute-ops"), "serve", "stt"]
    process = subprocess.Popen(
        [*command, "--port", str(port), "--slots", str(SLOTS), "--engine", request.param],
        env={**os.environ, "UNMUTE_SPEECH_API_KEY": KEY},
    )
    address = f"127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        assert process.poll() is None, "the STT server exited during start-up"
        try:
            if httpx.get(f"http://{address}/api/build_info").status_code == 200:
                break
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "the STT server did not come up"
        time.sleep(0.2)
    yield RunningServer(address, process, request.param)
    process.send_signal(signal.SIGINT)
    exit_code = process.wait(timeout=60)
    assert exit_code == 0, f"the STT server exited with {exit_code}"


@pytest.fixture
async def address(server: RunningServer) -> AsyncIterator[str]:
    """The shared server; after each test every slot must be free again (no leaks)."""
    yield server.address
    await wait_for_metric(server.address, "unmute_stt_slots_in_use", lambda value: value == 0)


def child_pids(pid: int) -> list[int]:
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def smoothed_pause(steps: list[dict[str, Any]]) -> list[float]:
    """prs[2] smoothed like Unmute's backend (newest step weighs half)."""
    value, values = 0.0, []
    for step in steps:
        value += 0.5 * (step["prs"][2] - value)
        values.append(value)
    return values


def speech_end_s(pcm: npt.NDArray[np.float32]) -> float:
    """Where the last audible 10 ms of `pcm` ends."""
    blocks = pcm[: len(pcm) // 240 * 240].reshape(-1, 240)
    loud = np.nonzero(np.sqrt((blocks**2).mean(axis=1)) > 0.01)[0]
    return float((loud[-1] + 1) * 0.01)


async def test_build_info_answers(address: str) -> None:
    async with httpx.AsyncClient() as client:
        answer = await client.get(f"http://{address}/api/build_info")
    assert answer.status_code == 200
    assert answer.json()["service"] == "unmute-embedded-stt"


@pytest.mark.parametrize("key", ["wrong", None])
async def test_a_wrong_key_is_refused_at_the_upgrade(address: str, key: str | None) -> None:
    with pytest.raises(InvalidStatus) as refused:
        async with session(address, key=key):
            pass
    assert refused.value.response.status_code == 401


async def test_the_key_may_come_as_auth_id(address: str) -> None:
    async with session(address, query=f"?auth_id={KEY}", key=None) as stream:
        assert (await stream.wait_for("Ready"))["type"] == "Ready"


async def test_one_step_per_frame_received(address: str) -> None:
    chunks = [1000, 3000, 1920, 500, 7100, 1, 2000, 4000]  # 19521 samples: 10 frames + 321
    pcm = np.zeros(sum(chunks), dtype=np.float32)
    async with session(address) as stream:
        await stream.wait_for("Ready")
        start = 0
        for size in chunks:
            await stream.send_audio(pcm[start : start + size], chunk=size)
            start += size
        await stream.send({"type": "Marker", "id": 5})
        await stream.wait_for("Marker", id=5)
    steps = stream.messages("Step")
    assert [s["step_idx"] for s in steps] == list(range(len(pcm) // FRAME))
    assert all(len(s["prs"]) == 4 and all(0 <= p <= 1 for p in s["prs"]) for s in steps)
    assert steps[-1]["buffered_pcm"] == len(pcm) % FRAME
    assert stream.messages()[0]["type"] == "Ready"


async def test_a_marker_follows_the_words_of_the_audio_before_it(address: str) -> None:
    sentence = "do you want to watch a movie tonight"
    speech = speak(sentence)
    async with session(address) as stream:
        await stream.wait_for("Ready")
        await stream.send_audio(speech)  # faster than real time, no pause after it
        await stream.send({"type": "Marker", "id": 1})
        await stream.send_audio(speak("the meeting starts at ten"))
        await stream.wait_for("Marker", id=1)
        kinds = [m["type"] for m in stream.messages()]
        before_marker = stream.messages()[: kinds.index("Marker")]
    words = [m["text"] for m in before_marker if m["type"] == "Word"]
    assert word_error_rate([sentence], [normalise(" ".join(words))]) <= 0.25
    # Steps of the audio sent after the marker may come before it; those before it must.
    assert len([m for m in before_marker if m["type"] == "Step"]) >= len(speech) // FRAME


async def test_sentences_are_recognised(server: RunningServer, address: str) -> None:
    sentences = SENTENCES[1::5]
    pcm = np.concatenate([np.concatenate([speak(s), silence(0.5)]) for s in sentences])
    async with session(address) as stream:
        await stream.wait_for("Ready")
        await stream.send_audio(pcm, chunk=4800)
        await stream.send({"type": "Marker", "id": 9})
        await stream.wait_for("Marker", id=9)
    hypothesis = " ".join(stream.words())
    error_rate = word_error_rate([" ".join(sentences)], [hypothesis])
    assert error_rate <= MAX_WORD_ERROR_RATES[server.engine], hypothesis
    starts = [m["start_time"] for m in stream.messages("Word")]
    stops = [m["stop_time"] for m in stream.messages("EndWord")]
    assert len(starts) == len(stops)
    assert all(a < b for a, b in zip(starts, stops, strict=True))
    assert starts == sorted(starts) and stops[-1] <= len(pcm) / SAMPLE_RATE


async def test_pause_probabilities_follow_speech_then_silence(address: str) -> None:
    speech = speak("how far is the airport from here")
    lead_s = 1.0
    pcm = np.concatenate([silence(lead_s), speech, silence(1.5)])
    async with session(address) as stream:
        await stream.wait_for("Ready")
        await stream.send_realtime(pcm)
        steps = stream.messages("Step")
    end_s = lead_s + speech_end_s(speech)
    frame_s = FRAME / SAMPLE_RATE
    during = [
        s["prs"][2] for s in steps if lead_s + 0.4 < (s["step_idx"] + 1) * frame_s < end_s - 0.2
    ]
    assert np.mean(np.array(during) < 0.4) > 0.9
    smoothed = smoothed_pause(steps)
    talking = next(i for i, v in enumerate(smoothed) if (i + 1) * frame_s > lead_s and v < 0.4)
    assert (talking + 1) * frame_s - lead_s < 0.5  # onset seen within a few frames
    # The pause shows a few frames after the voice stops; the end of turn (smoothed above
    # 0.6) may wait a little longer for the recogniser's last words on a busy host.
    rising = next(
        i for i, s in enumerate(steps) if (i + 1) * frame_s > end_s and s["prs"][2] >= 0.45
    )
    assert 0.05 < (rising + 1) * frame_s - end_s < 0.5
    turn_end = next(i for i, v in enumerate(smoothed) if (i + 1) * frame_s > end_s and v > 0.6)
    assert (turn_end + 1) * frame_s - end_s < 1.2
    assert steps[-1]["prs"][2] > 0.9
    assert all(s["prs"] == sorted(s["prs"], reverse=True) for s in steps)


async def test_every_word_is_out_before_the_flush_point(address: str) -> None:
    """The backend's flush trick: it answers once the Steps pass the end of the flush."""
    sentence = "i need to finish my homework first"
    speech = np.concatenate([silence(0.5), speak(sentence)])
    async with session(address) as stream:
        await stream.wait_for("Ready")
        await stream.send_realtime(speech)
        sent = len(speech)
        while True:  # real-time silence until the backend would see the end of the turn
            steps = stream.messages("Step")
            if len(steps) > 12 and smoothed_pause(steps)[-1] > 0.6:
                break
            await stream.send_realtime(silence(FRAME / SAMPLE_RATE), chunk=FRAME)
            sent += FRAME
        await stream.send_audio(FLUSH, chunk=len(FLUSH))
        flush_step = -(-(sent + len(FLUSH)) // FRAME) - 1  # its end passes the flush point
        await stream.send_audio(silence(FRAME / SAMPLE_RATE))  # the microphone goes on
        await stream.wait_for("Step", step_idx=flush_step)
        kinds = [m["type"] for m in stream.messages()]
    step_positions = [i for i, kind in enumerate(kinds) if kind == "Step"]
    assert "Word" not in kinds[step_positions[flush_step] :]
    assert word_error_rate([sentence], [" ".join(stream.words())]) <= 0.25


async def test_a_client_that_never_flushes_sees_the_end_of_the_turn(address: str) -> None:
    """Like Kyutai's backend, which flushes only once prs[2] > 0.6: every word first."""
    sentence = "tell me something interesting about the moon"
    lead, speech = silence(0.5), speak(sentence)
    async with session(address) as stream:
        await stream.wait_for("Ready")
        await stream.send_realtime(np.concatenate([lead, speech]))
        end_frame = round((len(lead) / SAMPLE_RATE + speech_end_s(speech)) / FRAME_S)
        for _ in range(MAX_FRAMES_TO_END_OF_TURN + 10):  # silence, never a flush
            ended = [
                step
                for step in stream.messages("Step")
                if step["step_idx"] >= end_frame and step["prs"][2] > 0.6
            ]
            if ended:
                break
            await stream.send_realtime(silence(FRAME_S), chunk=FRAME)
        messages = stream.messages()
    assert ended, "prs[2] never rose above 0.6"
    assert ended[0]["step_idx"] - end_frame <= MAX_FRAMES_TO_END_OF_TURN
    before = messages[: messages.index(ended[0])]
    words = [m["text"] for m in before if m["type"] == "Word"]
    assert word_error_rate([sentence], [normalise(" ".join(words))]) <= 0.25
    assert "Word" not in [m["type"] for m in messages[messages.index(ended[0]) :]]


async def test_words_arrive_while_the_speaker_is_still_talking(address: str) -> None:
    first, second = (
        speak("i am going to the store this afternoon"),
        speak("the children are playing"),
    )
    speech = np.concatenate([first[: -SAMPLE_RATE // 10], second[SAMPLE_RATE // 10 :]])  # 4 s
    async with session(address) as stream:
        await stream.wait_for("Ready")
        await stream.send_realtime(speech)
        words_during_speech = stream.words()
        await stream.send_realtime(silence(1.0))
    assert words_during_speech[:3] == ["i", "am", "going"]


async def test_the_flush_alone_brings_out_the_last_word(address: str) -> None:
    async with session(address) as stream:
        await stream.wait_for("Ready")
        await stream.send_realtime(speak("what time is it right now"))
        await stream.send_audio(FLUSH, chunk=len(FLUSH))  # and nothing after it
        async with asyncio.timeout(5.0):
            while stream.words()[-1:] != ["now"]:
                stream.arrived.clear()
                await stream.arrived.wait()


async def test_slots_run_out_and_come_back(address: str) -> None:
    async with session(address) as first, session(address) as second:
        await first.wait_for("Ready")
        await second.wait_for("Ready")
        async with session(address) as third:
            error = await third.wait_for("Error")
            assert error["message"] == "no free channels"
            await asyncio.wait_for(third.ws.wait_closed(), 5)
            assert third.messages("Ready") == []
        await first.ws.close()
        await wait_for_metric(address, "unmute_stt_slots_in_use", lambda value: value == 1)
        async with session(address) as fourth:
            await fourth.wait_for("Ready")
    assert await read_metric(address, "unmute_stt_refused_streams_total") >= 1


async def test_malformed_frames_get_an_error_and_the_stream_goes_on(address: str) -> None:
    giant = np.zeros(60 * SAMPLE_RATE + 1, dtype=np.float32).tolist()
    bad_frames: list[bytes | str] = [
        b"\xc1 not msgpack",
        "a text frame",
        msgpack.packb({"type": "Audio", "pcm": "loud"}),
        msgpack.packb({"type": "Audio", "pcm": [0.1, float("nan")]}),
        msgpack.packb({"type": "Audio", "pcm": [[0.1], [0.2, 0.3]]}),
        msgpack.packb({"type": "Audio", "pcm": giant}, use_single_float=True),
        msgpack.packb({"type": "Marker", "id": "one"}),
        msgpack.packb({"type": "Dance"}),
    ]
    before = await read_metric(address, "unmute_stt_malformed_frames_total")
    async with session(address) as stream:
        await stream.wait_for("Ready")
        for frame in bad_frames:
            await stream.ws.send(frame)
        await stream.send_audio(silence(0.4))
        await stream.send({"type": "Marker", "id": 3})
        await stream.wait_for("Marker", id=3)
    assert len(stream.messages("Error")) == len(bad_frames)
    assert len(stream.messages("Step")) == 5
    assert await read_metric(address, "unmute_stt_malformed_frames_total") == before + len(
        bad_frames
    )


async def test_a_slow_stream_does_not_hold_up_another(address: str) -> None:
    long_speech = np.concatenate([speak(s) for s in SENTENCES[:8]])  # ~20 s
    async with session(address) as busy, session(address) as live:
        await busy.wait_for("Ready")
        await live.wait_for("Ready")
        await busy.send_audio(long_speech, chunk=len(long_speech))
        await busy.send({"type": "Marker", "id": 1})
        # Both backlogs arrive at once; the short one must not queue behind the long one,
        # whatever the speed of the machine (recognising 20 s takes ~8x as long as 2.5 s).
        await live.send_audio(np.concatenate([speak("hello how are you today"), silence(0.3)]))
        await live.send({"type": "Marker", "id": 2})
        await live.wait_for("Marker", id=2)
        assert busy.messages("Marker") == []  # still recognising its 20 s
        await busy.wait_for("Marker", id=1, timeout_s=60)
    assert live.words()[:3] == ["hello", "how", "are"]


async def test_metrics_count_streams_audio_and_word_latency(address: str) -> None:
    async with session(address) as stream:
        await stream.wait_for("Ready")
        await stream.send_audio(np.concatenate([speak("what time is it right now"), silence(0.5)]))
        await stream.send({"type": "Marker", "id": 1})
        await stream.wait_for("Marker", id=1)
    await wait_for_metric(address, "unmute_stt_streams_active", lambda value: value == 0)
    assert await read_metric(address, "unmute_stt_streams_total") >= 1
    assert await read_metric(address, "unmute_stt_audio_seconds_total") >= 2.0
    assert await read_metric(address, "unmute_stt_recognition_cpu_seconds_total") > 0
    assert await read_metric(address, "unmute_stt_word_latency_seconds_count") >= 5
    assert await read_metric(address, "unmute_stt_recognition_real_time_factor_count") >= 1


async def test_a_crashed_recognizer_ends_its_stream_and_is_replaced(
    server: RunningServer, address: str
) -> None:
    workers = child_pids(server.process.pid)
    assert len(workers) == SLOTS
    async with session(address) as stream:
        await stream.wait_for("Ready")
        for pid in workers:
            os.kill(pid, signal.SIGKILL)
        error = await stream.wait_for("Error")
        assert error["message"] == "recognizer failed"
        await asyncio.wait_for(stream.ws.wait_closed(), 5)
    async with asyncio.timeout(30):
        while True:  # the replacement workers load their models, then take streams again
            async with session(address) as retry:
                await retry.arrived.wait()
                if retry.messages("Ready"):
                    try:  # the marker comes back through the recogniser: it is alive
                        await retry.send_audio(silence(0.2))
                        await retry.send({"type": "Marker", "id": 7})
                        await retry.wait_for("Marker", id=7)
                        break
                    except (AssertionError, ConnectionClosed):
                        # Killed together, the workers' deaths are noticed one after the
                        # other: a stream may get a slot whose worker is already gone,
                        # and then a clear error (before or while we send). The next try
                        # gets a fresh worker.
                        error = await retry.wait_for("Error")
                        assert error["message"] == "recognizer failed"
            await asyncio.sleep(0.2)
