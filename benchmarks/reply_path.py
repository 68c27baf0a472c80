"""The backend's own hops on a reply's path, from the load tester's turn records and the
fixed-latency servers' stamps (all on the host's monotonic clock).

| hop | from | to |
|---|---|---|
| `in` | the browser sends the page completing the frame of the end of speech | the STT has it |
| `eot` | the STT sends the step that ends the turn | the STT receives the flush |
| `reply` | the STT sends the step covering the flush | the LLM receives the request |
| `text` | the LLM completes its first word | the TTS receives that word |
| `out` | the TTS sends its first audio | the browser receives it |

Everything else between the end of speech and the first audio is spent inside a server
or waiting for real-time audio (the silence that ends a turn, the rest of a frame).
The backend forwards the user's audio in whole 80 ms STT frames, so `in` starts at the
page that completes the frame; pages leave the load tester in real time, which dates it.
"""

from __future__ import annotations

from typing import Any

from backend.speech_protocol.constants import SAMPLE_RATE
from benchmarks.fixed_latency.common import KEY_PATTERN
from loadtest.ogg_opus import PACKET_SAMPLES
from loadtest.results import TurnRecord

HOPS = ("in", "eot", "reply", "text", "out")
_STAMPS = (
    "stt_flush_received",
    "stt_step_before_flush_sent",
    "stt_flush_step_sent",
    "llm_request_received",
    "llm_first_word_complete_sent",
    "tts_first_word_received",
    "tts_first_audio_sent",
)


def _heard_at(arrivals: list[list[float]], sample: int) -> tuple[int, float] | None:
    """When the STT had received the stream up to position `sample`, and up to where."""
    for heard, at in arrivals:
        if heard >= sample:
            return int(heard), float(at)
    return None


def _page_end(sample: int) -> int:
    return -(-sample // PACKET_SAMPLES) * PACKET_SAMPLES


def turn_hops(turn: TurnRecord, origin: float, trace: dict[str, Any]) -> dict[str, float] | None:
    """Each hop of this reply in seconds, or None when a stamp is missing (a turn the
    servers did not see whole, e.g. cut by the end of the level)."""
    keys = list(KEY_PATTERN.finditer(turn.transcript))
    if not keys or turn.speech_end_sample is None:
        return None
    if turn.first_audio_at is None or turn.speech_end_page_sent_at is None:
        return None
    key = keys[-1]
    stamps: dict[str, float] = trace["turns"].get(key.group(0), {})
    # JSON object keys are strings: the STT stream number is the arrivals' key.
    arrivals = trace["arrivals"].get(key.group(1), [])
    heard = _heard_at(arrivals, turn.speech_end_sample)
    if heard is None or any(name not in stamps for name in _STAMPS):
        return None
    heard_until, heard_at = heard
    pages_later_s = (_page_end(heard_until) - _page_end(turn.speech_end_sample)) / SAMPLE_RATE
    return {
        "in": heard_at - (origin + turn.speech_end_page_sent_at + pages_later_s),
        "eot": stamps["stt_flush_received"] - stamps["stt_step_before_flush_sent"],
        "reply": stamps["llm_request_received"] - stamps["stt_flush_step_sent"],
        "text": stamps["tts_first_word_received"] - stamps["llm_first_word_complete_sent"],
        "out": origin + turn.first_audio_at - stamps["tts_first_audio_sent"],
    }
