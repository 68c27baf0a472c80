"""The ordering rules existing Unmute clients and load testers rely on (protocols.md §1)."""

from __future__ import annotations

import base64
import json

from backend.realtime import events as ev

TURN_END = {"response.audio.done", "unmute.interrupted_by_vad"}


def check_event_ids(raw_messages: list[str]) -> None:
    ids = [json.loads(m).get("event_id") for m in raw_messages]
    assert all(isinstance(i, str) and i for i in ids), "every server event carries an event_id"
    assert len(set(ids)) == len(ids), "event ids are unique"


def check_turn_order(events: list[ev.ServerEvent]) -> None:
    """Within a bot turn: created → text.delta.ready+ → audio.delta+ → additional_outputs →
    audio.done (or cut by interrupted_by_vad); transcripts only outside bot turns."""
    in_turn = False
    seen: list[str] = []
    for index, event in enumerate(events):
        kind = event.type
        where = f"event #{index} ({kind}) after {seen[-6:]}"
        if kind == "response.created":
            assert not in_turn, f"a turn started inside another: {where}"
            in_turn, seen = True, [kind]
            continue
        if kind == "conversation.item.input_audio_transcription.delta":
            assert not in_turn, f"transcript during a bot turn: {where}"
        if kind == "response.audio.delta":
            assert in_turn, f"audio outside a bot turn: {where}"
            assert "unmute.response.text.delta.ready" in seen, f"audio before any text: {where}"
        if kind == "unmute.response.text.delta.ready":
            assert in_turn, f"LLM text outside a bot turn: {where}"
        if kind == "response.audio.done":
            assert in_turn, f"audio.done outside a bot turn: {where}"
            assert "response.audio.delta" in seen, f"a turn without audio: {where}"
            assert seen[-1] == "unmute.additional_outputs", (
                f"additional_outputs must precede: {where}"
            )
            history = events[index - 1].args.chat_history  # type: ignore[union-attr]
            assert history and history[-1].role == "assistant", "history ends with the reply"
        if kind == "unmute.interrupted_by_vad":
            assert in_turn, f"interruption outside a bot turn: {where}"
        if kind in TURN_END:
            in_turn, seen = False, []
            continue
        if in_turn:
            seen.append(kind)


def check_single_ogg_stream(audio_deltas: list[ev.ResponseAudioDelta]) -> None:
    """One continuous Ogg stream per connection: BOS (with OpusHead) on the first page only."""
    pages: list[bytes] = []
    for delta in audio_deltas:
        data = base64.b64decode(delta.delta)
        assert data[:4] == b"OggS", "every delta holds complete Ogg pages"
        offset = 0
        while offset < len(data):
            assert data[offset : offset + 4] == b"OggS"
            n_segments = data[offset + 26]
            body = sum(data[offset + 27 : offset + 27 + n_segments])
            size = 27 + n_segments + body
            pages.append(data[offset : offset + size])
            offset += size
        assert offset == len(data), "deltas end on a page boundary"
    assert pages, "some audio was sent"
    assert pages[0][5] & 0x02 and b"OpusHead" in pages[0], "the first page begins the stream"
    assert not any(p[5] & 0x02 for p in pages[1:]), "the stream is never restarted"
    serials = {p[14:18] for p in pages}
    assert len(serials) == 1, "one logical stream"
