"""`/v1/health`: are the services a conversation needs reachable? Cached briefly."""

from __future__ import annotations

import asyncio
import time

import httpx
from pydantic import BaseModel

from backend.clients.instances import http_base_url, speech_server_up
from backend.clients.llm import LlmClient
from backend.settings import Settings

HEALTH_CACHE_S = 1.0  # browsers call this before every connection; don't probe per call
PROBE_TIMEOUT_S = 2.0


class Health(BaseModel):
    tts_up: bool
    stt_up: bool
    llm_up: bool
    voice_cloning_up: bool
    ok: bool


class HealthChecker:
    def __init__(self, settings: Settings, llm: LlmClient) -> None:
        self._settings = settings
        self._llm = llm
        self._cached: tuple[float, Health] | None = None
        self._lock = asyncio.Lock()

    async def check(self) -> Health:
        async with self._lock:  # concurrent callers share one probe
            if self._cached and time.monotonic() - self._cached[0] < HEALTH_CACHE_S:
                return self._cached[1]
            stt, tts, llm, cloning = await asyncio.gather(
                speech_server_up(self._settings.stt_url, timeout_s=PROBE_TIMEOUT_S),
                speech_server_up(self._settings.tts_url, timeout_s=PROBE_TIMEOUT_S),
                self._llm.is_up(),
                self._voice_cloning_up(),
            )
            health = Health(
                tts_up=tts, stt_up=stt, llm_up=llm, voice_cloning_up=cloning, ok=stt and tts and llm
            )
            self._cached = (time.monotonic(), health)
            return health

    async def _voice_cloning_up(self) -> bool:
        url = self._settings.voice_cloning_url
        if not url:
            return False
        try:
            async with httpx.AsyncClient(timeout=PROBE_TIMEOUT_S, trust_env=False) as client:
                response = await client.get(f"{http_base_url(url)}/api/build_info")
        except httpx.HTTPError:
            return False
        return response.status_code == 200
