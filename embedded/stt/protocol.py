"""What this server takes from a client of moshi-server's `asr-streaming` protocol.

The messages themselves, both ways, are `backend.speech_protocol.stt_messages`; this
module adds the server's own limits on `Audio`: finite samples, clipped into [-1, 1], at
most a minute per message. A frame that fails is a `ProtocolError` naming the field,
answered with `Error` by the stream; it never reaches the audio path.
"""

from __future__ import annotations

import numpy as np

from backend.speech_protocol.codec import Audio, MalformedMessage
from backend.speech_protocol.constants import SAMPLE_RATE
from backend.speech_protocol.stt_messages import ClientMessage, client_messages

MAX_AUDIO_MESSAGE_S = 60  # longer is a client bug, and would tie up the event loop
MAX_AUDIO_MESSAGE_SAMPLES = SAMPLE_RATE * MAX_AUDIO_MESSAGE_S


def parse_client_frame(frame: bytes | str) -> ClientMessage:
    """The typed message in one WebSocket frame; raises `ProtocolError` with the reason."""
    message = client_messages.decode(frame)
    if not isinstance(message, Audio):
        return message
    pcm = message.pcm
    if pcm.size > MAX_AUDIO_MESSAGE_SAMPLES:
        raise MalformedMessage(
            f"malformed Audio message: more than {MAX_AUDIO_MESSAGE_S} s of samples - at `$.pcm`"
        )
    if not np.isfinite(pcm).all():
        raise MalformedMessage("malformed Audio message: NaN or infinite samples - at `$.pcm`")
    # Out-of-range samples are clipped, not refused: a hot microphone is not a protocol error.
    return Audio(np.clip(pcm, -1.0, 1.0))
