"""The numbers and names moshi-server's STT and TTS protocols fix (protocols.md §2, §3).

These are facts of the wire, not choices: a client or server that someone else wrote
depends on each of them. Rates and sizes internal to an engine (Whisper hears 16 kHz,
Piper voices speak 22.05 kHz) are the engine's own and live with it.
"""

from __future__ import annotations

# Audio on the wire, in and out of both servers: mono float32 PCM at 24 kHz.
SAMPLE_RATE = 24_000
# moshi's models work in 80 ms frames: one STT `Step` per frame, one TTS `Audio` per frame.
FRAME_SAMPLES = 1920
FRAME_S = FRAME_SAMPLES / SAMPLE_RATE

# Auth: the header, or the query key moshi-server also accepts.
API_KEY_HEADER = "kyutai-api-key"
API_KEY_QUERY = "auth_id"
# The `Error.message` of a server whose slots are all busy; it closes the stream next.
NO_FREE_CHANNELS = "no free channels"

STT_STREAM_PATH = "/api/asr-streaming"
TTS_STREAM_PATH = "/api/tts_streaming"
# The TTS query's `format`: raw float32 PCM in msgpack, no codec work on either side.
TTS_AUDIO_FORMAT = "PcmMessagePack"
BUILD_INFO_PATH = "/api/build_info"
