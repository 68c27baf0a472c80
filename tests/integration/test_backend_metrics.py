"""Each backend app counts on a registry of its own: two apps in one process (as tests run
them) never see each other's conversations, refusals or latencies on `/metrics`."""

from __future__ import annotations

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus
from websockets.typing import Origin

from tests.doubles.llm_double import LlmDouble
from tests.doubles.stt_double import SttDouble
from tests.doubles.tts_double import TtsDouble
from tests.integration.backend_server import backend_in_process
from tests.integration.realtime_client import RealtimeClient

pytestmark = pytest.mark.integration

BROWSER_ORIGIN = "https://talk.example"
STRANGER_ORIGIN = "https://elsewhere.example"


async def scrape(address: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample `/metrics` serves, by name and labels."""
    async with httpx.AsyncClient() as http:
        text = (await http.get(f"http://{address}/metrics")).text
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def refused(reason: str) -> tuple[str, frozenset[tuple[str, str]]]:
    return "unmute_sessions_refused_total", frozenset({("reason", reason)})


def plain(name: str) -> tuple[str, frozenset[tuple[str, str]]]:
    return name, frozenset()


async def test_two_apps_in_one_process_count_separately() -> None:
    async with (
        SttDouble() as stt,
        TtsDouble(word_duration_s=0.05) as tts,
        LlmDouble(lambda _: "Hi there.") as llm,
        backend_in_process(
            stt_url=stt.url,
            tts_url=tts.url,
            llm_url=llm.url,
            max_sessions=3,
            allowed_origins=BROWSER_ORIGIN,
        ) as talking,
        backend_in_process(
            stt_url=stt.url,
            tts_url=tts.url,
            llm_url=llm.url,
            max_sessions=5,
            allowed_origins=BROWSER_ORIGIN,
        ) as refusing,
    ):
        async with RealtimeClient(f"ws://{talking}/v1/realtime") as client:
            await client.start_session(voice="v")
            await client.wait_count("response.audio.done", 1, timeout=10)
        with pytest.raises(InvalidStatus) as refusal:
            async with connect(f"ws://{refusing}/v1/realtime", origin=Origin(STRANGER_ORIGIN)):
                pass
        assert refusal.value.response.status_code == 403

        talked = await scrape(talking)
        assert talked[plain("unmute_sessions_total")] == 1.0
        assert talked[plain("unmute_sessions_capacity")] == 3.0
        assert talked[plain("unmute_llm_first_word_seconds_count")] == 1.0
        assert refused("origin") not in talked

        other = await scrape(refusing)
        assert other[plain("unmute_sessions_total")] == 0.0
        assert other[plain("unmute_sessions_capacity")] == 5.0
        assert other[plain("unmute_llm_first_word_seconds_count")] == 0.0
        assert other[refused("origin")] == 1.0


async def test_the_process_figures_are_served_beside_the_apps_own() -> None:
    async with (
        SttDouble() as stt,
        TtsDouble() as tts,
        LlmDouble([]) as llm,
        backend_in_process(stt_url=stt.url, tts_url=tts.url, llm_url=llm.url) as address,
    ):
        names = {name for name, _ in await scrape(address)}
    assert {"process_resident_memory_bytes", "python_gc_collections_total", "python_info"} <= names
