"""Bad input, capacity and speech-node discovery, over real sockets."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

import httpx
import numpy as np
import pytest
from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed, InvalidStatus

from backend.audio.ogg import ENCODER_FRAME_SAMPLES, SAMPLE_RATE, OpusOutputEncoder
from backend.capacity import Seats
from backend.conversation import rules
from backend.realtime import public_errors
from tests.doubles.llm_double import LlmDouble
from tests.doubles.stt_double import SttDouble
from tests.doubles.tts_double import TtsDouble
from tests.integration.backend_server import backend_app_in_process, backend_in_process
from tests.integration.protocol_rules import check_event_ids, check_turn_order
from tests.integration.realtime_client import RealtimeClient, tone

# Far longer than a session takes to end or a seat to come back: only a leak reaches it.
GUARD_S = 30.0
SEAT_WAIT_S = 10.0  # the longest the settings allow: a waiting client outlasts a slow host


@dataclass
class Stack:
    address: str
    stt: SttDouble
    tts: TtsDouble
    llm: LlmDouble

    @property
    def ws_url(self) -> str:
        return f"ws://{self.address}/v1/realtime"


@asynccontextmanager
async def stack(stt_spec: str | None = None, **settings: object) -> AsyncIterator[Stack]:
    async with AsyncExitStack() as exits:
        stt = await exits.enter_async_context(SttDouble())
        tts = await exits.enter_async_context(TtsDouble(word_duration_s=0.1))
        llm = await exits.enter_async_context(LlmDouble(lambda _: "Hi there."))
        address = await exits.enter_async_context(
            backend_in_process(
                stt_url=stt_spec or stt.url, tts_url=tts.url, llm_url=llm.url, **settings
            )
        )
        yield Stack(address, stt, tts, llm)


async def until(condition: Callable[[], bool], what: str, timeout: float = GUARD_S) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, f"timed out: {what}"
        await asyncio.sleep(0.02)


def invalid_requests(client: RealtimeClient) -> list[str]:
    return [
        e.error.message for e in client.of_type("error") if e.error.type == "invalid_request_error"
    ]


async def test_bad_input_is_refused_and_the_conversation_goes_on() -> None:
    garbage_ogg = base64.b64encode(b"OggS" + bytes(range(256)) * 4).decode()
    bad_messages: list[str | bytes] = [
        b"\x00\x01binary",
        "{not json",
        json.dumps({"type": "no.such.event"}),
        json.dumps({"type": "session.update", "session": {"voice": 42}}),
        json.dumps({"type": "input_audio_buffer.append", "audio": "x" * 3_000_000}),
        json.dumps({"type": "input_audio_buffer.append", "audio": "%%% not base64 %%%"}),
        json.dumps({"type": "input_audio_buffer.append", "audio": garbage_ogg}),
        json.dumps([1, 2, 3]),
    ]
    async with stack() as s, RealtimeClient(s.ws_url) as client:
        await client.wait_for(lambda c: c.samples_sent > 0, 5)
        for message in bad_messages:
            await client.ws.send(message)
        await client.wait_for(lambda c: len(invalid_requests(c)) >= len(bad_messages), 10)
        messages = invalid_requests(client)
        assert any("Binary frames" in m for m in messages)
        assert any("Malformed JSON" in m for m in messages)
        assert any("no.such.event" in m for m in messages)
        assert any("too large" in m for m in messages)
        assert any("base64" in m for m in messages)
        assert any("Ogg" in m for m in messages)
        assert all(m for m in messages), "every refusal says why"

        # The connection survived and the conversation starts as usual.
        await client.start_session(voice="v", event_id="event_from_client")
        await client.wait_count("response.audio.done", 1, timeout=10)
        check_event_ids(client.raw)
        check_turn_order([r.event for r in client.received])


async def test_audio_around_bad_bytes_in_one_append_still_reaches_the_stt() -> None:
    """The bad bytes are refused; the pages before and after them in the same append
    are heard, so the user loses no words to them."""
    encoder = OpusOutputEncoder()
    headers_and_first_page = encoder.encode(np.zeros(ENCODER_FRAME_SAMPLES, np.float32))
    pages = [encoder.encode(tone(ENCODER_FRAME_SAMPLES / SAMPLE_RATE)) for _ in range(3)]
    # Four pages in all (3,840 samples): exactly two of the STT's 1,920-sample frames.
    damaged_append = pages[0] + b"\x00not an ogg page\x00" + pages[1] + pages[2]

    async def append(data: bytes) -> None:
        audio = base64.b64encode(data).decode()
        await client.send_json({"type": "input_audio_buffer.append", "audio": audio})

    async with stack() as s, RealtimeClient(s.ws_url, audio=False) as client:
        await append(headers_and_first_page)
        await append(damaged_append)
        await client.wait_for(lambda c: len(invalid_requests(c)) == 1, 10)
        assert "Ogg" in invalid_requests(client)[0]
        await until(
            lambda: s.stt.audio_samples_received == 4 * ENCODER_FRAME_SAMPLES,
            "every valid page reached the STT",
            timeout=10,
        )


async def test_the_subprotocol_is_echoed_and_api_prefix_served() -> None:
    async with stack() as s:
        async with connect(f"ws://{s.address}/api/v1/realtime", subprotocols=["realtime"]) as ws:  # type: ignore[list-item]
            assert ws.subprotocol == "realtime"
        async with connect(s.ws_url) as ws:
            assert ws.subprotocol is None
        async with httpx.AsyncClient(base_url=f"http://{s.address}") as http:
            health = (await http.get("/api/v1/health")).json()
            assert health == {
                "tts_up": True,
                "stt_up": True,
                "llm_up": True,
                "voice_cloning_up": False,
                "ok": True,
            }
            voices = (await http.get("/v1/voices")).json()
            assert voices and all(
                set(v) == {"name", "good", "instructions", "source"} for v in voices
            )
            assert all(v["source"]["source_type"] == "file" for v in voices)
            upload = await http.post(
                "/v1/voices", files={"file": ("a.wav", b"RIFF....", "audio/wav")}
            )
            assert upload.status_code == 503  # no voice cloning configured: said plainly


async def test_a_fifth_client_is_refused_while_four_talk() -> None:
    async with stack(max_sessions=4, seat_wait_s=0.0) as s, AsyncExitStack() as clients:
        talking = [await clients.enter_async_context(RealtimeClient(s.ws_url)) for _ in range(4)]
        for client in talking:
            await client.start_session(voice="v")
        async with httpx.AsyncClient(base_url=f"http://{s.address}") as http:
            assert (await http.get("/v1/ready")).status_code == 503
            with pytest.raises(InvalidStatus) as refused:
                async with connect(s.ws_url):
                    pass
            assert refused.value.response.status_code == 503
            assert refused.value.response.headers["Retry-After"].isdigit()
            metrics = (await http.get("/metrics")).text
            assert 'unmute_sessions_refused_total{reason="full"} 1.0' in metrics
            assert "unmute_sessions_active 4.0" in metrics
            for client in talking:
                await client.wait_count("response.audio.done", 1, timeout=15)

            # One leaves: a seat frees and readiness comes back.
            await talking[0].ws.close()
            async with asyncio.timeout(GUARD_S):
                while (await http.get("/v1/ready")).status_code != 200:
                    await asyncio.sleep(0.05)


async def test_a_client_may_wait_briefly_for_a_seat() -> None:
    async with stack(max_sessions=1, seat_wait_s=SEAT_WAIT_S) as s:
        first = RealtimeClient(s.ws_url)
        await first.__aenter__()
        waiting = asyncio.create_task(connect(s.ws_url).__aenter__())
        # A refusal or a second seat would come at once; a slower host only waits longer.
        await asyncio.sleep(0.3)
        assert not waiting.done(), "the second client waits for the seat"
        await first.__aexit__(None, None, None)
        second = await asyncio.wait_for(waiting, GUARD_S)
        await second.close()


async def test_an_stt_node_with_no_free_channels_is_skipped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Keep the listed order so the full node is asked first.
    monkeypatch.setattr("backend.clients.instances.random.shuffle", lambda items: None)
    async with SttDouble(slots=0) as full, SttDouble() as free:
        async with stack(stt_spec=f"{full.url},{free.url}") as s, RealtimeClient(s.ws_url) as c:
            await c.start_session(voice="v")
            await c.wait_count("response.audio.done", 1, timeout=10)
        assert full.streams_refused_busy == 1
        assert free.streams_opened == 1


async def test_no_stt_capacity_anywhere_is_a_clear_fatal_error() -> None:
    async with SttDouble(slots=0) as full, stack(stt_spec=full.url) as s:
        async with RealtimeClient(s.ws_url) as client:
            await client.wait_closed(timeout=10)
        errors = client.of_type("error")
        assert [e.error.type for e in errors] == ["fatal"]
        assert errors[0].error.code == public_errors.STT_UNAVAILABLE.code
        assert "unavailable" in errors[0].error.message
        assert full.url.split("//")[1] not in errors[0].error.message, "no internals"
        assert client.close_code == 1011


async def test_a_foreign_origin_is_refused() -> None:
    async with stack(allowed_origins="https://unmute.example") as s:
        with pytest.raises(InvalidStatus) as refused:
            async with connect(s.ws_url, origin="https://evil.example"):  # type: ignore[arg-type]
                pass
        assert refused.value.response.status_code == 403
        async with connect(s.ws_url, origin="https://unmute.example") as ws:  # type: ignore[arg-type]
            assert ws.protocol.state.name == "OPEN"
        async with httpx.AsyncClient(base_url=f"http://{s.address}") as http:
            allowed = await http.get("/v1/health", headers={"Origin": "https://unmute.example"})
            assert allowed.headers["access-control-allow-origin"] == "https://unmute.example"
            foreign = await http.get("/v1/health", headers={"Origin": "https://evil.example"})
            assert "access-control-allow-origin" not in foreign.headers


@asynccontextmanager
async def backend_with_seats(stt: SttDouble) -> AsyncIterator[tuple[str, Seats]]:
    """A backend in this process on `stt` (started here), and its seats to watch."""
    async with stt, TtsDouble() as tts, LlmDouble(lambda _: "Hi.") as llm:
        async with backend_app_in_process(stt_url=stt.url, tts_url=tts.url, llm_url=llm.url) as (
            address,
            app,
        ):
            yield address, app.state.services.seats


async def test_a_browser_that_stops_reading_is_let_go() -> None:
    async with backend_with_seats(SttDouble()) as (address, seats):
        # max_queue=1: once one message waits unread, the client stops reading the socket.
        async with connect(f"ws://{address}/v1/realtime", max_queue=1) as ws:
            sent = 0
            while seats.in_use and sent < 200_000:
                try:
                    await ws.send("{}")  # each answered by an error event nobody reads
                except ConnectionClosed:
                    break
                sent += 1
                if sent % 1000 == 0:
                    await asyncio.sleep(0)
            await until(lambda: seats.in_use == 0, "the session was let go, its seat is free")


class SttHoldingReady(SttDouble):
    """Takes each stream's connection, then holds its `Ready` until released: the open
    of a node whose channels are all busy for a while."""

    def __init__(self) -> None:
        super().__init__()
        self.released = asyncio.Event()
        self.connections_seen = 0

    async def _handle(self, connection: ServerConnection) -> None:
        self.connections_seen += 1
        await self.released.wait()
        await super()._handle(connection)


async def test_a_client_that_leaves_while_its_stt_stream_opens_frees_its_seat() -> None:
    # Without the watch on the connection, the seat stays taken until the open gives up
    # (a `Ready` wait, a second try, STT_OPEN_WITHIN_S in all).
    stt = SttHoldingReady()
    async with backend_with_seats(stt) as (address, seats):
        try:
            async with connect(f"ws://{address}/v1/realtime"):
                await until(lambda: stt.connections_seen == 1, "the STT stream is opening")
                assert seats.in_use == 1
            await until(lambda: seats.in_use == 0, "the seat is free again")
            assert stt.connections_seen == 1, "the open was given up at once, not retried"
            assert stt.streams_opened == 0
        finally:
            stt.released.set()  # the double's held handlers end, so it can stop


async def test_idle_browsers_are_closed_and_a_waiting_one_gets_a_seat(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # One quick silence prompt instead of three after 7 s each: the same rule, sooner.
    monkeypatch.setattr(rules, "SILENCE_PROMPT_AFTER_S", 0.5)
    monkeypatch.setattr(rules, "MAX_SILENCE_PROMPTS", 1)
    async with (
        SttDouble() as stt,
        TtsDouble(word_duration_s=0.1) as tts,
        LlmDouble(lambda _: "Hi there.") as llm,
        backend_app_in_process(
            stt_url=stt.url,
            tts_url=tts.url,
            llm_url=llm.url,
            max_sessions=4,
            seat_wait_s=SEAT_WAIT_S,
            idle_close_s=1.0,
        ) as (address, app),
        AsyncExitStack() as clients,
    ):
        url = f"ws://{address}/v1/realtime"
        idle = [await clients.enter_async_context(RealtimeClient(url)) for _ in range(4)]
        for client in idle:
            await client.start_session(voice="v")
        seats = app.state.services.seats
        assert seats.in_use == 4
        fifth = RealtimeClient(url)
        waiting = asyncio.create_task(fifth.__aenter__())
        # A refusal or a fifth seat would come at once; a slower host only waits longer.
        await asyncio.sleep(0.3)
        assert not waiting.done(), "the fifth browser waits for a seat"

        for client in idle:
            await client.wait_closed(timeout=GUARD_S)
        await asyncio.wait_for(waiting, GUARD_S)
        await clients.enter_async_context(fifth)
        await fifth.start_session(voice="v")
        await fifth.wait_count("response.created", 1, timeout=GUARD_S)

        for client in idle:
            assert client.close_code == 1000
            assert client.close_reason == public_errors.SESSION_IDLE.message
            (warning,) = [e.error for e in client.of_type("error")]
            assert (warning.type, warning.code) == ("warning", public_errors.SESSION_IDLE.code)
            # The bot greeted, checked on the user once, and gave up.
            assert len(client.of_type("response.audio.done")) == 2
            check_turn_order([r.event for r in client.received])
        await until(lambda: seats.in_use == 1, "the idle browsers' seats are free")
        await until(lambda: stt.active_streams == 1, "and so are their STT slots")


async def test_an_stt_stream_the_server_closes_for_idleness_is_no_fault() -> None:
    async with (
        SttDouble(idle_close_s=0.3) as stt,
        TtsDouble(word_duration_s=0.1) as tts,
        LlmDouble(lambda _: "Hi there.") as llm,
        backend_app_in_process(stt_url=stt.url, tts_url=tts.url, llm_url=llm.url) as (
            address,
            app,
        ),
        RealtimeClient(f"ws://{address}/v1/realtime", audio=False) as client,
    ):
        await client.start_session(voice="v")
        await client.wait_for(lambda _: stt.streams_closed_idle == 1, 5, "the STT's idle close")
        await asyncio.sleep(0.3)  # a new stream would be opened at once; none may come
        assert stt.streams_opened == 1, "no new stream while there is no audio for it"

        client.start_audio()  # the browser's microphone starts: the call goes on
        await client.wait_count("response.audio.done", 1, timeout=10)
        assert stt.streams_opened == 2
        assert client.of_type("error") == [], "a normal close is not the user's concern"
        nodes = app.state.services.stt_nodes
        assert nodes.order([stt.url, "other"]) == [stt.url, "other"], "not marked down"
        errors = app.state.metrics.registry.get_sample_value(
            "unmute_errors_total", {"kind": "stt_stream"}
        )
        assert errors is None, "not counted as an error"
