"""What every conversation of a backend process shares: clients, catalog, seats, voices."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from backend.capacity import Seats
from backend.characters.catalog import BUNDLED_VOICES_FILE, VoiceCatalog
from backend.clients.llm import LlmClient, LlmTimeouts
from backend.clients.node_view import RecentNodeView
from backend.cycle_collector import CycleCollector
from backend.health import HealthChecker
from backend.metrics import BackendMetrics
from backend.settings import Settings
from backend.voice_store import VoiceStore

if TYPE_CHECKING:
    from backend.conversation_runner import ConversationRunner
    from backend.tools.mcp_toolbox import McpToolbox


@dataclass
class Services:
    settings: Settings
    metrics: BackendMetrics
    llm: LlmClient
    catalog: VoiceCatalog
    voices: VoiceStore
    seats: Seats
    health: HealthChecker
    stt_nodes: RecentNodeView
    tts_nodes: RecentNodeView
    sessions: set[ConversationRunner] = field(default_factory=set)
    cycles: CycleCollector = field(default_factory=CycleCollector)
    # The operator's MCP tools, connected by the app's lifespan; None: no tools configured.
    toolbox: McpToolbox | None = None

    @classmethod
    def create(cls, settings: Settings, metrics: BackendMetrics) -> Services:
        timeouts = LlmTimeouts(
            first_chunk=settings.llm_timeout_s, between_chunks=settings.llm_timeout_s
        )
        llm = LlmClient(
            settings.llm_url,
            api_key=settings.llm_api_key,
            model=settings.llm_model,
            timeouts=timeouts,
        )
        return cls(
            settings=settings,
            metrics=metrics,
            llm=llm,
            catalog=VoiceCatalog.from_yaml(
                Path(settings.voices_file) if settings.voices_file else BUNDLED_VOICES_FILE
            ),
            voices=VoiceStore(),
            seats=Seats(settings.max_sessions, settings.seat_wait_s, metrics),
            health=HealthChecker(settings, llm),
            stt_nodes=RecentNodeView("stt", metrics),
            tts_nodes=RecentNodeView("tts", metrics),
        )

    async def aclose(self) -> None:
        self.cycles.close()
        await self.llm.aclose()
