"""Prometheus metrics of the TTS server (slot gauges come from speech_common)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

_LATENCY_BUCKETS = (0.025, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1.0, 2.0, 5.0)
_RTF_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0)


class TtsMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.streams = Counter("unmute_tts_streams", "Streams that got a slot", registry=registry)
        self.refused = Counter(
            "unmute_tts_refused_streams",
            "Streams refused with 'no free channels'",
            registry=registry,
        )
        self.malformed_frames = Counter(
            "unmute_tts_malformed_frames",
            "Client frames answered with an Error",
            registry=registry,
        )
        self.time_to_first_audio = Histogram(
            "unmute_tts_time_to_first_audio_seconds",
            "From the first word received to the first Audio frame sent",
            buckets=_LATENCY_BUCKETS,
            registry=registry,
        )
        self.real_time_factor = Histogram(
            "unmute_tts_real_time_factor",
            "Synthesis time per second of audio produced, per phrase",
            buckets=_RTF_BUCKETS,
            registry=registry,
        )
