"""Which speech-server instances a URL spec names, and opening a stream on a free one.

A spec is one base URL, a comma-separated list of them, or a DNS name that resolves to
several addresses (Docker Swarm's `tasks.<service>` names one address per replica).
GPU nodes have a fixed number of slots, so a full node is normal: we move on to the
next one instead of telling the user "too busy" while another node has room.
"""

from __future__ import annotations

import asyncio
import ipaddress
import random
import socket
from collections.abc import Awaitable, Callable, Sequence
from enum import StrEnum
from typing import Protocol, TypeVar
from urllib.parse import SplitResult, urlsplit, urlunsplit

import httpx

from backend.clients.speech_errors import (
    InstanceUnreachable,
    ServiceBusy,
    ServiceUnavailable,
    UnavailableReason,
)
from backend.log_context import conversation_logger

logger = conversation_logger(__name__)

T = TypeVar("T")

_WEBSOCKET_SCHEME = {"ws": "ws", "wss": "wss", "http": "ws", "https": "wss"}
_HTTP_SCHEME = {"ws": "http", "wss": "https", "http": "http", "https": "https"}

# Swarm's internal DNS answers in milliseconds; a slower resolver is broken, and must
# not eat the whole connect deadline.
RESOLVE_TIMEOUT_S = 2.0
# The up-check behind `/v1/health`, which browsers call before connecting.
BUILD_INFO_TIMEOUT_S = 2.0


def split_instance_spec(spec: str) -> list[str]:
    """Each comma-separated base URL of `spec` as `ws://`/`wss://`, without a trailing slash."""
    urls: list[str] = []
    for part in spec.split(","):
        part = part.strip().rstrip("/")
        if not part:
            continue
        parts = urlsplit(part)
        scheme = _WEBSOCKET_SCHEME.get(parts.scheme.lower())
        if scheme is None or not parts.hostname:
            raise ValueError(f"not a ws://, wss://, http:// or https:// URL: {part!r}")
        urls.append(urlunsplit(parts._replace(scheme=scheme)))
    if not urls:
        raise ValueError(f"no URL in instance spec {spec!r}")
    return urls


def http_base_url(url: str) -> str:
    """The same instance as `http://`/`https://`, for its plain HTTP routes."""
    parts = urlsplit(url)
    scheme = _HTTP_SCHEME.get(parts.scheme.lower())
    if scheme is None:
        raise ValueError(f"not a ws://, wss://, http:// or https:// URL: {url!r}")
    return urlunsplit(parts._replace(scheme=scheme))


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _with_host(parts: SplitResult, address: str) -> str:
    host = f"[{address}]" if ":" in address else address
    netloc = f"{host}:{parts.port}" if parts.port is not None else host
    return urlunsplit(parts._replace(netloc=netloc))


async def _expand(url: str) -> list[str]:
    """One URL per address `url`'s host resolves to; empty when it does not resolve."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    # TLS checks the certificate against the name, so a wss:// name must stay a name;
    # load-balanced TLS endpoints sit behind their own balancer anyway.
    if _is_ip_literal(host) or parts.scheme == "wss":
        return [url]
    try:
        async with asyncio.timeout(RESOLVE_TIMEOUT_S):
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, parts.port, type=socket.SOCK_STREAM
            )
    except (OSError, TimeoutError) as exc:
        logger.warning("skipping %s: %s does not resolve (%s)", url, host, exc)
        return []
    addresses = dict.fromkeys(str(info[4][0]) for info in infos)  # unique, in order
    return [_with_host(parts, address) for address in addresses]


async def resolve_instances(spec: str, *, service: str = "speech service") -> list[str]:
    """Every instance `spec` names, one URL per address, shuffled to spread the load.

    Raises `ServiceUnavailable` when no name resolves.
    """
    urls = split_instance_spec(spec)
    expanded = await asyncio.gather(*(_expand(url) for url in urls))
    instances = list(dict.fromkeys(url for group in expanded for url in group))
    if not instances:
        raise ServiceUnavailable(
            service, UnavailableReason.ALL_DOWN, f"no address resolves for {spec}"
        )
    random.shuffle(instances)
    return instances


class InstanceOutcome(StrEnum):
    FREE = "free"
    BUSY = "busy"
    DOWN = "down"
    # The node closed a stream normally (an idle STT stream, a TTS stream that was done):
    # it is healthy, and there is nothing to hold against it.
    ENDED = "ended"


class InstanceChooser(Protocol):
    """Decides the order in which instances are tried, and hears how each try went.

    The place for a short-lived memory of full nodes: such a chooser would move a node
    that just answered "no free channels" to the end of the order for a few seconds.
    """

    def order(self, instances: Sequence[str]) -> list[str]: ...

    def record(self, instance: str, outcome: InstanceOutcome) -> None: ...


class TryInTurn:
    """Tries instances in the (already shuffled) order given, remembering nothing."""

    def order(self, instances: Sequence[str]) -> list[str]:
        return list(instances)

    def record(self, instance: str, outcome: InstanceOutcome) -> None:
        return None


async def connect_first_free(
    spec: str,
    open_one: Callable[[str], Awaitable[T]],
    *,
    service: str,
    deadline_s: float,
    chooser: InstanceChooser | None = None,
) -> T:
    """`open_one(url)` on each instance of `spec` in turn until one gives a stream.

    A node that is full (`ServiceBusy`) or cannot be reached (`InstanceUnreachable`,
    `OSError`, `TimeoutError`) is skipped; any other error, such as a refused API key,
    is raised at once. Everything together takes at most `deadline_s`. Raises
    `ServiceUnavailable` with reason `ALL_BUSY` when at least one node was full (so
    capacity, not health, is the problem), else `ALL_DOWN`.
    """
    chooser = chooser or TryInTurn()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + deadline_s
    try:
        async with asyncio.timeout_at(deadline):
            instances = await resolve_instances(spec, service=service)
    except TimeoutError:
        raise ServiceUnavailable(
            service, UnavailableReason.ALL_DOWN, f"resolving {spec} timed out"
        ) from None

    busy: list[str] = []
    down: list[str] = []
    for url in chooser.order(instances):
        if loop.time() >= deadline:
            break
        try:
            async with asyncio.timeout_at(deadline):
                stream = await open_one(url)
        except ServiceBusy:
            logger.info("%s instance %s is full, trying the next one", service, url)
            busy.append(url)
            chooser.record(url, InstanceOutcome.BUSY)
        except (InstanceUnreachable, OSError, TimeoutError) as exc:
            logger.warning("%s instance %s failed, trying the next one: %s", service, url, exc)
            down.append(url)
            chooser.record(url, InstanceOutcome.DOWN)
        else:
            chooser.record(url, InstanceOutcome.FREE)
            return stream

    untried = len(instances) - len(busy) - len(down)
    detail = f"{len(busy)} busy, {len(down)} down"
    if untried:
        detail += f", {untried} not tried within {deadline_s:g} s"
    reason = UnavailableReason.ALL_BUSY if busy else UnavailableReason.ALL_DOWN
    raise ServiceUnavailable(service, reason, detail)


async def _answers_build_info(client: httpx.AsyncClient, url: str) -> bool:
    try:
        response = await client.get(f"{http_base_url(url)}/api/build_info")
    except httpx.HTTPError:
        return False
    return response.status_code == 200


async def speech_server_up(spec: str, *, timeout_s: float = BUILD_INFO_TIMEOUT_S) -> bool:
    """True when at least one instance of `spec` answers `GET /api/build_info` with 200."""
    try:
        async with asyncio.timeout(timeout_s):
            instances = await resolve_instances(spec)
    except (ServiceUnavailable, TimeoutError, ValueError):
        return False
    # Speech servers are internal; a proxy configured for outbound web traffic must not
    # be used to reach them.
    async with httpx.AsyncClient(timeout=timeout_s, trust_env=False) as client:
        probes = [asyncio.ensure_future(_answers_build_info(client, url)) for url in instances]
        try:
            for probe in asyncio.as_completed(probes):
                if await probe:
                    return True
            return False
        finally:
            for probe in probes:
                probe.cancel()
            await asyncio.gather(*probes, return_exceptions=True)
