"""CPU voice cloning: `POST /api/voice` with a clip answers a msgpack `Voice` message.

The "embedding" is the speaker's measured pitch, pitch range and speaking rate (see
`profile.py`); the embedded TTS speaks with them when it receives that message first.
"""

from __future__ import annotations

import asyncio

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CollectorRegistry, Counter

from backend.speech_protocol.codec import pack
from embedded.speech_common import SlotPool, add_common_routes, api_key_ok
from embedded.voice_cloning.analysis import measure_voice
from embedded.voice_cloning.decoding import UnreadableAudio, decode_clip
from embedded.voice_cloning.profile import VoiceProfile, profile_to_voice_message

# A minute of 48 kHz 16-bit stereo WAV is 11 MB; a voice needs far less than a minute.
MAX_UPLOAD_BYTES = 12 * 1024 * 1024
# Below this a pitch median and a syllable count are mostly noise.
MIN_CLIP_S = 1.0
MIN_VOICED_S = 0.4
# Analysis cost grows with length; the first 30 s say all there is to say about a voice.
MAX_ANALYSED_S = 30.0
# Analyses run on worker threads; two keep a small machine responsive.
ANALYSES_AT_ONCE = 2
MSGPACK_MEDIA_TYPE = "application/msgpack"


class _Rejected(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def create_app(api_key: str | None) -> FastAPI:
    """The voice cloning app; `api_key=None` accepts any client."""
    app = FastAPI(title="Unmute embedded voice cloning")
    registry = CollectorRegistry()
    analyses = SlotPool(ANALYSES_AT_ONCE)
    add_common_routes(app, service="voice_cloning", slots=analyses, registry=registry)
    clones = Counter(
        "unmute_voice_cloning_requests",
        "Voice uploads by outcome",
        ["outcome"],
        registry=registry,
    )

    @app.post("/api/voice")
    async def clone_voice(request: Request) -> Response:
        if not api_key_ok(api_key, request.headers, request.query_params):
            clones.labels("unauthorized").inc()
            return JSONResponse({"detail": "invalid api key"}, status_code=401)
        if not analyses.try_acquire():
            clones.labels("busy").inc()
            return JSONResponse({"detail": "busy, retry shortly"}, status_code=503)
        try:
            data = await _read_body(request)
            profile = await asyncio.to_thread(_profile_of_clip, data)
        except _Rejected as rejection:
            clones.labels("rejected").inc()
            return JSONResponse({"detail": rejection.detail}, status_code=rejection.status)
        finally:
            analyses.release()
        clones.labels("cloned").inc()
        return Response(pack(profile_to_voice_message(profile)), media_type=MSGPACK_MEDIA_TYPE)

    return app


async def _read_body(request: Request) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_UPLOAD_BYTES:
        raise _Rejected(413, f"clip larger than {MAX_UPLOAD_BYTES} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_UPLOAD_BYTES:
            raise _Rejected(413, f"clip larger than {MAX_UPLOAD_BYTES} bytes")
        chunks.append(chunk)
    if size == 0:
        raise _Rejected(400, "empty body: send the clip's bytes as application/octet-stream")
    return b"".join(chunks)


def _profile_of_clip(data: bytes) -> VoiceProfile:
    try:
        audio, sample_rate = decode_clip(data)
    except UnreadableAudio as error:
        raise _Rejected(415, str(error)) from None
    if sample_rate <= 0 or len(audio) < MIN_CLIP_S * sample_rate:
        raise _Rejected(422, f"clip shorter than {MIN_CLIP_S:g} s")
    measured = measure_voice(audio[: int(MAX_ANALYSED_S * sample_rate)], sample_rate)
    if measured.voiced_s < MIN_VOICED_S:
        raise _Rejected(422, "no voice found in the clip")
    return VoiceProfile(
        pitch_hz=measured.pitch_hz,
        pitch_range_semitones=measured.pitch_range_semitones,
        syllables_per_s=measured.syllables_per_s,
    )
