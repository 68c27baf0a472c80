"""The product decisions behind turn-taking, each with the reason for its value."""

from __future__ import annotations

from backend.speech_protocol.constants import FRAME_SAMPLES as STT_FRAME_SAMPLES
from backend.speech_protocol.constants import SAMPLE_RATE as SAMPLE_RATE  # for the core

# End of turn: the STT's probability that there is no voice over the next 2 s, above the
# protocol's threshold (smoothed): what the probabilities mean is the speech protocol's.
from backend.speech_protocol.pauses import (
    BARGE_IN_PAUSE_PROBABILITY as BARGE_IN_PAUSE_PROBABILITY,
)
from backend.speech_protocol.pauses import (
    END_OF_TURN_PAUSE_PROBABILITY as END_OF_TURN_PAUSE_PROBABILITY,
)

PAUSE_SMOOTHING = (
    0.5  # EMA weight of the newest step: light smoothing, one noisy step can't end a turn
)
NOISY_STEPS_AT_STREAM_START = 12  # the first ~1 s of an STT stream gives unreliable probabilities

# Flush trick: zeros make the STT's delayed last words come out faster than real time.
# At least 0.5 s (the model's delay) and one frame; the flush is then rounded up to end
# on a frame boundary, so the STT can answer it without waiting for more of the user's
# audio to complete its last frame.
FLUSH_SAMPLES = SAMPLE_RATE // 2 + STT_FRAME_SAMPLES
FLUSH_TIMEOUT_S = 1.0  # a stalled STT must not leave the user waiting: answer anyway

# Barge-in while the bot speaks: below the protocol's barge-in threshold (smoothed).
UNINTERRUPTIBLE_AUDIO_S = 3.0  # browser echo cancellation converges during the first seconds

# Silence: after this long without the user speaking, the bot checks on them.
SILENCE_PROMPT_AFTER_S = 7.0
MAX_SILENCE_PROMPTS = 3  # then stop talking to an empty room
SILENCE_MARKER = "..."  # the user turn the LLM sees for a silence

# Sampling: some variety for the greeting, steadier answers after.
FIRST_REPLY_TEMPERATURE = 0.7
LATER_REPLY_TEMPERATURE = 0.3

# Bounded history: a long call would overflow the LLM's context, and every reply after
# that would be the failure line. Each request carries the system prompt (always) and the
# newest turns that fit in a budget of characters (UNMUTE_LLM_HISTORY_CHARS); the oldest
# turns are dropped, not summarised: a summary costs an LLM call (latency, and a small
# model summarises poorly), while the next reply mostly needs the last few turns.
# Characters, not tokens: the backend talks to any OpenAI-compatible server and has no
# tokenizer for its model. 8000 characters (~2000 English tokens) leave room in a 4096-token
# context, the local LLM's, for the longest bundled system prompt (~2300) and a reply.
DEFAULT_LLM_HISTORY_CHARS = 8000

INTERRUPTION_MARK = "—"  # appended to a reply the user cut off, so the LLM knows
GREETING_USER_TURN = "Hello!"  # chat templates that need a user turn before the first reply
IDLE_UPDATE_INTERVAL_S = 1.0  # additional_outputs at most this often while idle

# What the bot says when the LLM fails or returns nothing, so a turn is never silent.
LLM_FAILURE_REPLY = "Sorry, I lost my train of thought. Could you say that again?"
EMPTY_REPLY = "Hmm, I'm not sure what to say to that."
