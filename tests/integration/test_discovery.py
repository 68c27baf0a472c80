"""Capacity-aware discovery: one free slot among a hundred speech nodes is found."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack

import pytest

from backend.clients.instances import connect_first_free
from backend.clients.node_view import RecentNodeView
from backend.clients.speech_errors import ServiceUnavailable, UnavailableReason
from backend.clients.stt import open_stt_stream
from backend.metrics import BackendMetrics
from tests.doubles.stt_double import SttDouble

NODES = 100
GUARD_S = 30.0  # far beyond any bounded search on a busy host


async def test_the_one_free_slot_among_a_hundred_nodes_is_found() -> None:
    async with AsyncExitStack() as stack:
        nodes = [await stack.enter_async_context(SttDouble(slots=0)) for _ in range(NODES - 1)]
        free = await stack.enter_async_context(SttDouble(slots=1))
        spec = ",".join(n.url for n in [*nodes, free])
        view = RecentNodeView("stt", BackendMetrics())

        async with asyncio.timeout(GUARD_S):  # only a search that never ends hits it
            stream = await open_stt_stream(spec, "public_token", chooser=view)
        assert stream.instance == free.url
        assert max(n.streams_refused_busy for n in nodes) <= 1, "no full node asked twice"

        await stream.aclose()

        # The view remembers which nodes were full: the next search asks none of them again
        # before the free node (only nodes it has no news of come first).
        again = await open_stt_stream(spec, "public_token", chooser=view)
        assert again.instance == free.url
        assert max(n.streams_refused_busy for n in nodes) == 1

        # With the slot taken, a newcomer hears "all busy", not "down".
        try:
            await open_stt_stream(spec, "public_token", chooser=view)
        except ServiceUnavailable as refusal:
            assert refusal.reason is UnavailableReason.ALL_BUSY
        else:
            raise AssertionError("no slot was left")
        await again.aclose()


async def test_the_search_is_bounded_in_time() -> None:
    async with AsyncExitStack() as stack:
        nodes = [await stack.enter_async_context(SttDouble(slots=0)) for _ in range(20)]
        spec = ",".join(n.url for n in nodes)

        async def never_ready(url: str) -> None:
            await asyncio.sleep(60)

        # The attempts would take a minute each: only the search's own deadline ends it
        # before the guard does.
        async with asyncio.timeout(GUARD_S):
            with pytest.raises(ServiceUnavailable):
                await connect_first_free(spec, never_ready, service="stt", deadline_s=0.5)
