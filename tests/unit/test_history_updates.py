import json

from backend.realtime import events as ev
from backend.realtime.history_updates import HistoryDeltas


def msg(role: str, content: str) -> ev.ChatMessage:
    return ev.ChatMessage.model_validate({"role": role, "content": content})


def merged(kept: list[ev.ChatMessage], start: int, changed: list[ev.ChatMessage]) -> list:
    return kept[:start] + changed


def test_a_client_gets_only_what_changed_and_rebuilds_the_whole_history() -> None:
    deltas = HistoryDeltas()
    timeline = [
        [msg("assistant", "Hi!")],
        [msg("assistant", "Hi!"), msg("user", "what time")],
        [msg("assistant", "Hi!"), msg("user", "what time is it")],  # the transcript grew
        [msg("assistant", "Hi!"), msg("user", "what time is it"), msg("assistant", "Noon.")],
        [msg("user", "what time is it"), msg("assistant", "Noon.")],  # trimmed from the front
    ]
    client: list[ev.ChatMessage] = []
    sent = []
    for history in timeline:
        start, changed = deltas.changes(history)
        sent.append((start, len(changed)))
        client = merged(client, start, changed)
        assert client == history
    assert sent == [(0, 1), (1, 1), (1, 1), (2, 1), (0, 2)]


def test_an_unchanged_history_is_an_empty_change_at_its_end() -> None:
    deltas = HistoryDeltas()
    history = [msg("assistant", "Hi!"), msg("user", "hello")]
    deltas.changes(history)
    assert deltas.changes(list(history)) == (2, [])


def test_clients_that_did_not_ask_see_the_events_they_know() -> None:
    full = ev.UnmuteAdditionalOutputs(
        args=ev.AdditionalOutputsArgs(chat_history=[msg("assistant", "Hi!")])
    )
    assert "chat_history_start" not in json.loads(full.model_dump_json())["args"]
    session = ev.SessionConfig(voice="v")
    assert "history_updates" not in json.loads(session.model_dump_json())
    delta = HistoryDeltas().as_delta(full)
    assert json.loads(delta.model_dump_json())["args"]["chat_history_start"] == 0
