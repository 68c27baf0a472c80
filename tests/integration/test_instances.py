"""Finding instances behind a URL spec, and landing on a free one, over real sockets."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest

from backend.clients.instances import (
    InstanceOutcome,
    connect_first_free,
    http_base_url,
    resolve_instances,
    speech_server_up,
    split_instance_spec,
)
from backend.clients.speech_errors import (
    ServiceUnavailable,
    SpeechAuthError,
    UnavailableReason,
)
from backend.clients.stt import open_stt_stream
from tests.doubles.stt_double import SttDouble

pytestmark = pytest.mark.integration

KEY = "public_token"


def closed_ports(count: int) -> list[int]:
    """Distinct ports nothing listens on (bound together, then released)."""
    probes = [socket.socket() for _ in range(count)]
    for probe in probes:
        probe.bind(("127.0.0.1", 0))
    ports = [int(probe.getsockname()[1]) for probe in probes]
    for probe in probes:
        probe.close()
    return ports


def closed_port() -> int:
    return closed_ports(1)[0]


class InOrder:
    """Tries instances in the order the test wants, and remembers how each went."""

    def __init__(self, first: str) -> None:
        self.first = first
        self.outcomes: list[tuple[str, InstanceOutcome]] = []

    def order(self, instances: Sequence[str]) -> list[str]:
        return sorted(instances, key=lambda url: url != self.first)

    def record(self, instance: str, outcome: InstanceOutcome) -> None:
        self.outcomes.append((instance, outcome))


@pytest.fixture
async def silent_server() -> AsyncIterator[str]:
    """Accepts TCP connections and never answers: a wedged node."""
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield f"ws://127.0.0.1:{port}"


# --- specs ----------------------------------------------------------------------------


def test_a_spec_is_one_or_more_websocket_base_urls() -> None:
    assert split_instance_spec("http://stt:8080/") == ["ws://stt:8080"]
    assert split_instance_spec(" wss://a.example/x , https://b.example ,") == [
        "wss://a.example/x",
        "wss://b.example",
    ]
    assert http_base_url("ws://10.0.0.1:8080/prefix") == "http://10.0.0.1:8080/prefix"
    assert http_base_url("wss://tts.example") == "https://tts.example"
    for bad in ("", " , ", "stt:8080", "ftp://stt"):
        with pytest.raises(ValueError):
            split_instance_spec(bad)


def as_url_host(address: str) -> str:
    return f"[{address}]" if ":" in address else address


async def test_localhost_expands_to_its_addresses() -> None:
    instances = await resolve_instances("http://localhost:8090/base")
    addresses = {
        str(info[4][0]) for info in socket.getaddrinfo("localhost", 8090, type=socket.SOCK_STREAM)
    }
    assert "ws://127.0.0.1:8090/base" in instances
    assert sorted(instances) == sorted(f"ws://{as_url_host(a)}:8090/base" for a in addresses)


@pytest.fixture
async def fake_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    """`tasks.stt` has three replicas (one on IPv6); `gone.example` does not resolve."""
    records = {"tasks.stt": ["10.0.0.1", "10.0.0.2", "fd00::3"]}

    async def getaddrinfo(host: str, port: int | None, **_: Any) -> list[Any]:
        if host not in records:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in records[host]
        ]

    loop = asyncio.get_running_loop()
    monkeypatch.setattr(loop, "getaddrinfo", getaddrinfo)


@pytest.mark.usefixtures("fake_dns")
async def test_a_swarm_name_expands_to_one_url_per_replica_in_random_order() -> None:
    expected = {
        "ws://10.0.0.1:8080/api",
        "ws://10.0.0.2:8080/api",
        "ws://[fd00::3]:8080/api",
    }
    orders = {tuple(await resolve_instances("ws://tasks.stt:8080/api")) for _ in range(30)}
    assert all(set(order) == expected for order in orders)
    assert len(orders) > 1  # shuffled to spread load (30 equal draws: odds 6^-29)


@pytest.mark.usefixtures("fake_dns")
async def test_a_name_that_does_not_resolve_is_skipped() -> None:
    instances = await resolve_instances("ws://gone.example:1, ws://127.0.0.1:2")
    assert instances == ["ws://127.0.0.1:2"]
    with pytest.raises(ServiceUnavailable) as nothing:
        await resolve_instances("ws://gone.example:1", service="stt")
    assert nothing.value.reason is UnavailableReason.ALL_DOWN
    assert "gone.example" in str(nothing.value)


# --- connecting -----------------------------------------------------------------------


async def test_a_full_node_is_skipped_for_a_free_one() -> None:
    async with SttDouble(slots=1) as full, SttDouble(slots=1) as free:
        async with await open_stt_stream(full.url, KEY):  # takes full's only slot
            chooser = InOrder(first=f"{full.url}")
            stream = await open_stt_stream(f"{full.url},{free.url}", KEY, chooser=chooser)
            async with stream:
                assert stream.url.startswith(free.url)
        assert chooser.outcomes == [
            (full.url, InstanceOutcome.BUSY),
            (free.url, InstanceOutcome.FREE),
        ]
        assert full.streams_refused_busy == 1
        assert free.streams_opened == 1


async def test_a_dead_node_is_skipped_for_a_live_one() -> None:
    dead = f"ws://127.0.0.1:{closed_port()}"
    async with SttDouble() as live:
        chooser = InOrder(first=dead)
        async with await open_stt_stream(f"{dead},{live.url}", KEY, chooser=chooser):
            pass
    assert [outcome for _, outcome in chooser.outcomes] == [
        InstanceOutcome.DOWN,
        InstanceOutcome.FREE,
    ]


async def test_all_full_is_told_apart_from_all_down() -> None:
    dead, also_dead = (f"ws://127.0.0.1:{port}" for port in closed_ports(2))
    async with (
        SttDouble(slots=1) as a,
        SttDouble(slots=1) as b,
        await open_stt_stream(a.url, KEY),
        await open_stt_stream(b.url, KEY),
    ):
        with pytest.raises(ServiceUnavailable) as busy:
            await open_stt_stream(f"{a.url},{b.url}", KEY)
        with pytest.raises(ServiceUnavailable) as mixed:
            await open_stt_stream(f"{a.url},{dead}", KEY)
    with pytest.raises(ServiceUnavailable) as down:
        await open_stt_stream(f"{dead},{also_dead}", KEY)

    assert busy.value.reason is UnavailableReason.ALL_BUSY
    assert "2 busy, 0 down" in str(busy.value)
    assert mixed.value.reason is UnavailableReason.ALL_BUSY  # capacity is the problem
    assert down.value.reason is UnavailableReason.ALL_DOWN
    assert "0 busy, 2 down" in str(down.value)


async def test_a_wrong_key_is_raised_at_once_not_skipped() -> None:
    async with SttDouble(api_key="other") as wrong, SttDouble() as right:
        with pytest.raises(SpeechAuthError):
            await open_stt_stream(f"{wrong.url},{right.url}", KEY, chooser=InOrder(first=wrong.url))
        assert right.streams_opened == 0


async def test_the_whole_search_is_bounded_by_the_deadline() -> None:
    async def open_one(url: str) -> None:
        await asyncio.sleep(3600)  # a node that never answers

    async with asyncio.timeout(10):
        with pytest.raises(ServiceUnavailable) as refused:
            await connect_first_free(
                "ws://127.0.0.1:1,ws://127.0.0.1:2", open_one, service="stt", deadline_s=0.2
            )
    assert refused.value.reason is UnavailableReason.ALL_DOWN
    assert "not tried" in str(refused.value)


async def test_a_wedged_node_times_out_before_ready(silent_server: str) -> None:
    async with asyncio.timeout(10):
        with pytest.raises(ServiceUnavailable) as refused:
            await open_stt_stream(silent_server, KEY, connect_timeout_s=0.2, deadline_s=5)
    assert refused.value.reason is UnavailableReason.ALL_DOWN


# --- up-check -------------------------------------------------------------------------


async def test_a_server_is_up_when_one_instance_answers_build_info() -> None:
    dead = f"ws://127.0.0.1:{closed_port()}"
    async with SttDouble() as stt:
        assert await speech_server_up(stt.url)
        assert await speech_server_up(f"{dead},{stt.url}")
        assert stt.build_info_requests >= 2
    assert not await speech_server_up(dead)
    assert not await speech_server_up("not a url")
