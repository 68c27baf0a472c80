"""The benchmark arithmetic: reply-path hops, the knee, py-spy profile summaries."""

from __future__ import annotations

from typing import Any

import msgpack
import numpy as np
import pytest

from benchmarks.fixed_latency.common import FRAME, Latencies, Trace
from benchmarks.fixed_latency.stt import FixedLatencyStt, _StreamState
from benchmarks.orchestration_overhead import LevelFigures, knee
from benchmarks.profile_summary import summarise_profile
from benchmarks.reply_path import turn_hops
from loadtest.results import TurnRecord

ORIGIN = 1000.0


def reply(transcript: str = "k3t2") -> TurnRecord:
    return TurnRecord(
        conversation=1,
        index=2,
        kind="reply",
        outcome="completed",
        transcript=transcript,
        started_at=10.6,
        speech_end_sample=48_000,
        speech_end_page_sent_at=10.0,
        first_audio_at=11.0,
        voice_to_voice=1.0,
    )


TRACE = {
    "turns": {
        "k3t2": {
            "stt_step_before_flush_sent": 1010.300,
            "stt_flush_received": 1010.302,
            "stt_flush_step_sent": 1010.400,
            "llm_request_received": 1010.405,
            "llm_first_word_complete_sent": 1010.800,
            "tts_first_word_received": 1010.801,
            "tts_first_audio_sent": 1010.990,
        }
    },
    # JSON object keys are strings; (real-time samples received, time) per message.
    "arrivals": {"3": [[47_040, 1009.96], [48_000, 1010.001], [48_960, 1010.04]]},
}


def test_hops_are_the_gaps_between_the_servers_stamps() -> None:
    hops = turn_hops(reply(), ORIGIN, TRACE)
    assert hops == pytest.approx(
        {"in": 0.001, "eot": 0.002, "reply": 0.005, "text": 0.001, "out": 0.010}
    )


def test_the_last_key_of_a_transcript_names_the_turn() -> None:
    assert turn_hops(reply("k3t1 k3t2"), ORIGIN, TRACE) is not None
    assert turn_hops(reply("k3t2 k3t9"), ORIGIN, TRACE) is None  # not seen whole
    assert turn_hops(reply("hello there"), ORIGIN, TRACE) is None


def figures(concurrency: int, v2v_p50: float, gaps: int = 0) -> LevelFigures:
    return LevelFigures(
        concurrency=concurrency,
        replies=10,
        voice_to_voice_ms={"p50": v2v_p50, "p99": v2v_p50},
        overhead_ms={"p50": 1.0, "p99": 2.0},
        hops_ms={},
        inside_ms={"p50": None, "p99": None},
        replies_with_gaps=gaps,
        gap_total_ms=0.0,
        protocol_errors=0,
        failures=0,
        backend_cores=0.1,
        cpu_s_per_conversation_minute=1.0,
        backend_rss_mib=90.0,
        host_busy_cores=1.0,
        servers_cores=0.1,
        generator_cores=0.1,
        generator_send_lag_p99_ms=1.0,
    )


def test_the_knee_is_the_last_level_before_gaps_or_latency_growth() -> None:
    assert knee([figures(1, 600), figures(4, 610), figures(16, 650), figures(32, 720)]) == 16
    assert knee([figures(1, 600), figures(4, 610, gaps=1), figures(16, 600)]) == 1
    assert knee([figures(8, 600), figures(1, 600)]) == 8  # levels in any order
    assert knee([]) is None


ENTRY = "<module> (unmute-ops:8);run (asyncio/runners.py:118)"
RAW = "\n".join(
    [
        f"{ENTRY};_write (/x/backend/audio/ogg.py:229);opus_encode_float (opus_encoder.c) 60",
        f"{ENTRY};send_data (/v/site-packages/websockets/asyncio/connection.py:1);"
        "write (libc.so.6) 30",
        f"{ENTRY};feed (/x/backend/audio/ogg.py:100) 10",
        f"{ENTRY};select (selectors.py:468);epoll_wait (libc.so.6) 500",  # idle: left out
    ]
)


def test_a_profile_summary_attributes_native_time_to_its_python_caller() -> None:
    profile = summarise_profile(RAW)
    assert profile.samples == 100
    assert [(s.function, s.share) for s in profile.self_time[:2]] == [
        ("opus_encode_float (opus_encoder.c)", 0.6),
        ("write (libc.so.6)", 0.3),
    ]
    callers = {s.function: s.share for s in profile.by_python_caller}
    assert callers["_write (/x/backend/audio/ogg.py)"] == 0.6
    assert callers["send_data (websockets/asyncio/connection.py)"] == 0.3
    inclusive = [s.function for s in profile.inclusive]
    assert "run (asyncio/runners.py)" not in inclusive  # on every stack: the entry chain
    assert set(inclusive[:2]) == {
        "_write (/x/backend/audio/ogg.py)",
        "opus_encode_float (opus_encoder.c)",
    }


def test_audio_goes_in_from_the_page_that_completes_the_frame() -> None:
    # 40 ms pages: the end of speech is in the page ending at 47 040, sent at 10.0
    turn = reply().model_copy(update={"speech_end_sample": 46_500})
    trace = {**TRACE, "arrivals": {"3": [[46_080, 1009.96], [48_000, 1010.041]]}}
    hops = turn_hops(turn, ORIGIN, trace)
    assert hops is not None
    assert hops["in"] == pytest.approx(0.001)  # the page ending at 48 000 left at 10.04


class RecordingSender:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def send_at(self, due: float, frame: bytes, on_sent: Any = None) -> None:
        self.sent.append(msgpack.unpackb(frame))
        if on_sent is not None:
            on_sent(due)


def test_the_stt_double_tells_a_flush_from_the_user_audio_before_it() -> None:
    trace = Trace()
    stt = FixedLatencyStt(Latencies(), trace)
    state = _StreamState(1)
    sender = RecordingSender()
    voice = np.full(FRAME, 0.3, dtype=np.float32)
    stt._take_audio(state, sender, voice, 1.0)  # type: ignore[arg-type]
    user_tail = np.full(1000, 1e-30, dtype=np.float32)  # decoded silence: tiny, not zero
    flush = np.zeros(8 * FRAME - user_tail.size, dtype=np.float32)
    stt._take_audio(state, sender, np.concatenate([user_tail, flush]), 2.0)  # type: ignore[arg-type]
    key = "k1t1"
    assert trace.turns[key]["stt_flush_received"] == 2.0
    assert trace.turns[key]["stt_flush_step_sent"] == 2.0 + Latencies().stt_step_s
    assert state.heard == FRAME + user_tail.size
    assert [heard for heard, _ in trace.arrivals[1]] == [FRAME, FRAME + user_tail.size]
