"""Log lines name their conversation and turn, across the tasks a conversation starts."""

from __future__ import annotations

import asyncio
import logging

import pytest

from backend.log_context import conversation_logger, enter_conversation, turn_context

logger = conversation_logger("backend.test_log_context")


async def _conversation(session_id: str, started: asyncio.Event) -> None:
    ids = enter_conversation(session_id)
    listener = asyncio.create_task(_listen(started))  # like the STT link: one long task
    ids.turn_id = 1
    reply = asyncio.create_task(_reply(), context=turn_context(1))
    await reply
    ids.turn_id = 2  # the conversation moves on; the listener follows
    started.set()
    await listener


async def _listen(started: asyncio.Event) -> None:
    await started.wait()
    logger.info("heard something")


async def _reply() -> None:
    await asyncio.sleep(0)
    logger.warning("the reply failed")


async def test_concurrent_conversations_and_their_turns_are_told_apart(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="backend")
    await asyncio.gather(*(_conversation(f"s{i}", asyncio.Event()) for i in range(4)))
    lines = sorted(r.getMessage() for r in caplog.records)
    assert lines == sorted(
        [f"session=s{i} turn=1 the reply failed" for i in range(4)]
        + [f"session=s{i} turn=2 heard something" for i in range(4)]
    )
    assert {(r.session_id, r.turn_id) for r in caplog.records} == {  # type: ignore[attr-defined]
        (f"s{i}", turn) for i in range(4) for turn in (1, 2)
    }


def test_lines_outside_a_conversation_are_left_alone(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="backend")
    logger.info("health probe")
    (record,) = caplog.records
    assert record.getMessage() == "health probe"
    assert not hasattr(record, "session_id")
