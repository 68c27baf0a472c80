"""The neural engines check each other: what the Piper voice says, the Whisper STT hears.

The sentences are synthesised by the TTS engine in a process of its own (libespeak-ng,
which Piper's phonemes come from, allows one user per process), then streamed to a
Whisper STT server over a real socket like any client's audio.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.integration.embedded_stt_client import in_process_server, session
from tests.recognition_clips import normalise
from tests.speech_clips import SAMPLE_RATE, silence, word_error_rate

pytestmark = pytest.mark.integration

SENTENCES = (
    "The weather is lovely today, so let us go for a walk in the park.",
    "Could you remind me to call my sister at seven tonight?",
    "I would like a cup of tea with milk and no sugar, please.",
)
# Measured on these sentences: 0-5 % (Piper joe medium heard by Whisper tiny.en; the
# window boundaries depend on timing, so one word in twenty may differ between runs).
MAX_WORD_ERROR_RATE = 0.12

_SYNTHESISE = """
import sys
import numpy as np
from embedded.tts.piper_engine import synthesize
np.save(sys.argv[2], synthesize(sys.argv[1]))
"""


def piper_says(text: str, folder: Path) -> np.ndarray:
    out = folder / f"{abs(hash(text))}.npy"
    subprocess.run([sys.executable, "-c", _SYNTHESISE, text, str(out)], check=True, timeout=120)
    pcm: np.ndarray = np.load(out)
    return pcm


async def test_what_piper_says_whisper_hears(tmp_path: Path) -> None:
    spoken = [piper_says(sentence, tmp_path) for sentence in SENTENCES]
    assert all(pcm.dtype == np.float32 and len(pcm) > SAMPLE_RATE for pcm in spoken)
    pcm = np.concatenate([np.concatenate([clip, silence(0.6)]) for clip in spoken])
    async with in_process_server(idle_timeout_s=20.0, engine="whisper") as address:
        async with session(address, key=None) as stream:
            await stream.wait_for("Ready")
            await stream.send_audio(pcm, chunk=4800)
            await stream.send({"type": "Marker", "id": 1})
            await stream.wait_for("Marker", timeout_s=60.0, id=1)
    heard = " ".join(stream.words())
    expected = normalise(" ".join(SENTENCES))
    error_rate = word_error_rate([expected], [heard])
    assert error_rate <= MAX_WORD_ERROR_RATE, (error_rate, heard)
