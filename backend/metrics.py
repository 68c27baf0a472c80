"""Prometheus metrics of the backend, named by the Prometheus conventions.

Each app has its own `BackendMetrics`, on a registry of its own that its `/metrics` serves:
two apps in one process (tests run many) never add to each other's counts.
"""

from __future__ import annotations

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)

# Latencies of a voice conversation live between ~10 ms and a few seconds.
_LATENCY_BUCKETS = (
    0.01,
    0.025,
    0.05,
    0.1,
    0.15,
    0.2,
    0.3,
    0.4,
    0.5,
    0.6,
    0.8,
    1.0,
    1.5,
    2,
    3,
    5,
    10,
)


class BackendMetrics:
    """One backend app's metrics; the objects that record get it from `Services`."""

    def __init__(self) -> None:
        registry = CollectorRegistry()
        self.registry = registry
        # The process's own figures, as the default registry would serve them.
        ProcessCollector(registry=registry)
        PlatformCollector(registry=registry)
        GCCollector(registry=registry)

        self.sessions = Counter(
            "unmute_sessions_total", "Conversations accepted", registry=registry
        )
        self.sessions_active = Gauge(
            "unmute_sessions_active", "Conversations in progress", registry=registry
        )
        self.sessions_refused = Counter(
            "unmute_sessions_refused_total", "Connections refused", ["reason"], registry=registry
        )
        self.session_capacity = Gauge(
            "unmute_sessions_capacity", "Conversations this process may hold", registry=registry
        )
        self.session_duration = Histogram(
            "unmute_session_duration_seconds",
            "How long conversations last",
            buckets=(5, 15, 30, 60, 120, 300, 600, 1800, 3600),
            registry=registry,
        )

        self.stt_first_step = Histogram(
            "unmute_stt_first_step_seconds",
            "From opening the STT stream to its first Step",
            buckets=_LATENCY_BUCKETS,
            registry=registry,
        )
        self.response_start = Histogram(
            "unmute_end_of_speech_to_response_seconds",
            "From end of user speech detected to response.created",
            buckets=_LATENCY_BUCKETS,
            registry=registry,
        )
        self.llm_first_word = Histogram(
            "unmute_llm_first_word_seconds",
            "From the LLM request to its first word",
            buckets=_LATENCY_BUCKETS,
            registry=registry,
        )
        self.tts_first_audio = Histogram(
            "unmute_tts_first_audio_seconds",
            "From the first word sent to the TTS to its first audio",
            buckets=_LATENCY_BUCKETS,
            registry=registry,
        )
        self.voice_to_voice = Histogram(
            "unmute_voice_to_voice_seconds",
            "From end of user speech detected to the first bot audio sent",
            buckets=_LATENCY_BUCKETS,
            registry=registry,
        )

        self.service_misses = Counter(
            "unmute_service_misses_total",
            "Speech or LLM servers that were full or unreachable when asked",
            ["service", "reason"],
            registry=registry,
        )
        self.errors = Counter(
            "unmute_errors_total", "Errors, by where they happened", ["kind"], registry=registry
        )
        self.invalid_requests = Counter(
            "unmute_invalid_requests_total", "Client messages refused as invalid", registry=registry
        )
        self.interruptions = Counter(
            "unmute_interruptions_total", "Times the user barged in", registry=registry
        )

    def exposition(self) -> bytes:
        """The text `/metrics` serves."""
        return generate_latest(self.registry)
