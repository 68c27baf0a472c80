"""Prometheus metrics of the STT server (slot gauges come from speech_common)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

_WORD_LATENCY_BUCKETS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0)
_RTF_BUCKETS = (0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0)


class SttMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.streams_active = Gauge(
            "unmute_stt_streams_active", "Streams holding a slot now", registry=registry
        )
        self.streams = Counter("unmute_stt_streams", "Streams that got a slot", registry=registry)
        self.refused = Counter(
            "unmute_stt_refused_streams",
            "Streams refused with 'no free channels'",
            registry=registry,
        )
        self.malformed_frames = Counter(
            "unmute_stt_malformed_frames",
            "Client frames answered with an Error",
            registry=registry,
        )
        self.audio_seconds = Counter(
            "unmute_stt_audio_seconds",
            "Seconds of audio the recognisers have processed",
            registry=registry,
        )
        self.recognition_seconds = Counter(
            "unmute_stt_recognition_cpu_seconds",
            "CPU time the recognisers spent on that audio",
            registry=registry,
        )
        self.real_time_factor = Histogram(
            "unmute_stt_recognition_real_time_factor",
            "Recognition CPU time per second of audio, per stream",
            buckets=_RTF_BUCKETS,
            registry=registry,
        )
        self.word_latency = Histogram(
            "unmute_stt_word_latency_seconds",
            "From receiving the audio in which a word ends to sending that word",
            buckets=_WORD_LATENCY_BUCKETS,
            registry=registry,
        )
