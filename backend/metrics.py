"""Prometheus metrics of the backend, named by the Prometheus conventions."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

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

SESSIONS = Counter("unmute_sessions_total", "Conversations accepted")
SESSIONS_ACTIVE = Gauge("unmute_sessions_active", "Conversations in progress")
SESSIONS_REFUSED = Counter("unmute_sessions_refused_total", "Connections refused", ["reason"])
SESSION_CAPACITY = Gauge("unmute_sessions_capacity", "Conversations this process may hold")
SESSION_DURATION = Histogram(
    "unmute_session_duration_seconds",
    "How long conversations last",
    buckets=(5, 15, 30, 60, 120, 300, 600, 1800, 3600),
)

STT_FIRST_STEP = Histogram(
    "unmute_stt_first_step_seconds",
    "From opening the STT stream to its first Step",
    buckets=_LATENCY_BUCKETS,
)
RESPONSE_START = Histogram(
    "unmute_end_of_speech_to_response_seconds",
    "From end of user speech detected to response.created",
    buckets=_LATENCY_BUCKETS,
)
LLM_FIRST_WORD = Histogram(
    "unmute_llm_first_word_seconds",
    "From the LLM request to its first word",
    buckets=_LATENCY_BUCKETS,
)
TTS_FIRST_AUDIO = Histogram(
    "unmute_tts_first_audio_seconds",
    "From the first word sent to the TTS to its first audio",
    buckets=_LATENCY_BUCKETS,
)
VOICE_TO_VOICE = Histogram(
    "unmute_voice_to_voice_seconds",
    "From end of user speech detected to the first bot audio sent",
    buckets=_LATENCY_BUCKETS,
)

SERVICE_MISSES = Counter(
    "unmute_service_misses_total",
    "Speech or LLM servers that were full or unreachable when asked",
    ["service", "reason"],
)
ERRORS = Counter("unmute_errors_total", "Errors, by where they happened", ["kind"])
INVALID_REQUESTS = Counter("unmute_invalid_requests_total", "Client messages refused as invalid")
INTERRUPTIONS = Counter("unmute_interruptions_total", "Times the user barged in")
