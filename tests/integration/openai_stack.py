"""The OpenAI route's tests' stack: a backend in process with scripted STT, TTS and LLM
servers behind it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from tests.doubles.llm_double import LlmDouble
from tests.doubles.stt_double import SttDouble
from tests.doubles.tts_double import TtsDouble
from tests.integration.backend_server import backend_in_process


@asynccontextmanager
async def stack(
    utterances: list[list[str]], replies: Any, **settings: Any
) -> AsyncIterator[tuple[str, LlmDouble, TtsDouble]]:
    stt = SttDouble(utterances)
    tts = TtsDouble(word_duration_s=0.15)
    llm = LlmDouble(replies)
    async with (
        stt,
        tts,
        llm,
        backend_in_process(stt_url=stt.url, tts_url=tts.url, llm_url=llm.url, **settings) as addr,
    ):
        yield addr, llm, tts
