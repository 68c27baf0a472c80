"""Fault injection with real processes on loopback: the CPU STT and TTS servers run as
`unmute-ops serve` processes, two of each, and one of them is killed (-9) or frozen
(SIGSTOP) in the middle of a conversation. The user gets a warning at most, never a
hang-up, the conversation goes on, and the backend's session count returns to zero."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from backend.realtime import public_errors
from tests.doubles.llm_double import LlmDouble
from tests.integration.backend_server import backend_in_process, free_port
from tests.integration.protocol_rules import check_turn_order
from tests.integration.realtime_client import RealtimeClient
from tests.speech_clips import speak

UNMUTE_OPS = str(Path(sys.executable).with_name("unmute-ops"))
SESSION_END_GUARD_S = 30
LONG_REPLY = " ".join(["The quick brown fox jumps over the lazy dog, and then it runs away."] * 4)


@dataclass
class Node:
    kind: str
    port: int
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def slots_in_use(self) -> float:
        try:
            text = httpx.get(f"http://127.0.0.1:{self.port}/metrics", timeout=1).text
        except httpx.HTTPError:
            return 0.0
        line = next(
            li for li in text.splitlines() if li.startswith(f"unmute_{self.kind}_slots_in_use")
        )
        return float(line.split()[-1])


@contextmanager
def speech_nodes(kind: str, count: int) -> Iterator[list[Node]]:
    nodes = []
    for _ in range(count):
        port = free_port()
        process = subprocess.Popen(
            [UNMUTE_OPS, "serve", kind, "--port", str(port), "--slots", "2"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        nodes.append(Node(kind, port, process))
    try:
        deadline = time.monotonic() + 60
        for node in nodes:
            while True:
                assert node.process.poll() is None, f"{kind} server exited"
                try:
                    if (
                        httpx.get(
                            f"http://127.0.0.1:{node.port}/api/build_info", timeout=1
                        ).status_code
                        == 200
                    ):
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline, f"{kind} server did not start"
                time.sleep(0.2)
        yield nodes
    finally:
        for node in nodes:
            if node.process.poll() is None:
                os.kill(node.process.pid, signal.SIGCONT)
                node.process.terminate()
        for node in nodes:
            try:
                node.process.wait(10)
            except subprocess.TimeoutExpired:
                node.process.kill()
                node.process.wait()


@pytest.fixture
def stt_nodes() -> Iterator[list[Node]]:
    with speech_nodes("stt", 2) as nodes:
        yield nodes


@pytest.fixture
def tts_nodes() -> Iterator[list[Node]]:
    with speech_nodes("tts", 2) as nodes:
        yield nodes


@asynccontextmanager
async def conversation(
    stt: list[Node], tts: list[Node], llm: LlmDouble
) -> AsyncIterator[tuple[RealtimeClient, str]]:
    async with backend_in_process(
        stt_url=",".join(n.url for n in stt if n.process.poll() is None),
        tts_url=",".join(n.url for n in tts if n.process.poll() is None),
        llm_url=llm.url,
    ) as address:
        async with RealtimeClient(f"ws://{address}/v1/realtime") as client:
            await client.start_session(voice="v")
            yield client, address
        # Nothing leaks: the backend's session count returns to zero (a session ends soon
        # after its client leaves; only a leaked one reaches the guard).
        deadline = time.monotonic() + SESSION_END_GUARD_S
        async with httpx.AsyncClient() as http:
            while (
                "unmute_sessions_active 0.0"
                not in (await http.get(f"http://{address}/metrics")).text
            ):
                assert time.monotonic() < deadline, "a session was left running"
                await asyncio.sleep(0.1)


def node_in_use(nodes: list[Node]) -> Node:
    busy = [n for n in nodes if n.process.poll() is None and n.slots_in_use() > 0]
    assert len(busy) == 1, "exactly one node serves the conversation"
    return busy[0]


async def user_turn_is_answered(client: RealtimeClient, text: str) -> None:
    done = len(client.of_type("response.audio.done"))
    client.say(speak(text))
    await client.wait_count("response.audio.done", done + 1, timeout=30)


@pytest.mark.parametrize("fault", [signal.SIGKILL, signal.SIGSTOP], ids=["kill-9", "sigstop"])
async def test_stt_node_fault_mid_conversation(
    stt_nodes: list[Node], tts_nodes: list[Node], fault: int
) -> None:
    async with (
        LlmDouble(lambda _: "Sure, I hear you.") as llm,
        conversation(stt_nodes, tts_nodes, llm) as (
            client,
            _,
        ),
    ):
        await client.wait_count("response.audio.done", 1, timeout=20)
        victim = node_in_use(stt_nodes)
        os.kill(victim.process.pid, fault)
        try:
            await client.wait_for(
                lambda c: any(
                    e.error.code == public_errors.STT_INTERRUPTED.code for e in c.of_type("error")
                ),
                10,
                "STT warning",
            )
            await user_turn_is_answered(client, "Can you still hear me?")
        finally:
            if fault == signal.SIGSTOP:
                os.kill(victim.process.pid, signal.SIGCONT)
        assert client.close_code is None, "the conversation was not hung up"
        assert [e.error.type for e in client.of_type("error")] == ["warning"]
        transcript = " ".join(
            d.delta for d in client.of_type("conversation.item.input_audio_transcription.delta")
        )
        assert "you" in transcript.lower(), transcript  # recognised after the switch
        check_turn_order([r.event for r in client.received])


@pytest.mark.parametrize("fault", [signal.SIGKILL, signal.SIGSTOP], ids=["kill-9", "sigstop"])
async def test_tts_node_fault_mid_reply(
    stt_nodes: list[Node], tts_nodes: list[Node], fault: int
) -> None:
    async with (
        LlmDouble(["Hello!", LONG_REPLY], chunk_delay_s=0.12) as llm,
        conversation(stt_nodes, tts_nodes, llm) as (client, _),
    ):
        await client.wait_count("response.audio.done", 1, timeout=20)
        await client.wait_for(lambda c: c.samples_sent > 3.2 * 24_000, 10)
        client.say(speak("Tell me a story."))
        await client.wait_count("response.text.delta", 4, timeout=30)
        victim = node_in_use(tts_nodes)
        os.kill(victim.process.pid, fault)
        try:
            await client.wait_count("response.audio.done", 2, timeout=40)
        finally:
            if fault == signal.SIGSTOP:
                os.kill(victim.process.pid, signal.SIGCONT)
        assert client.close_code is None
        spoken = client.of_type("unmute.additional_outputs")[-1].args.chat_history[-1].content
        assert spoken == LONG_REPLY, "another node spoke the rest of the reply"
        assert all(e.error.type == "warning" for e in client.of_type("error"))
        check_turn_order([r.event for r in client.received])
