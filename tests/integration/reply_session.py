"""A conversation runner's side of a `Reply`, for tests that drive replies directly.

A small scripted core stands in for the conversation core: it forwards the LLM's words
to the reply (as `SpeakWord` would), ends its text on `LlmDone`, speaks a failure line
on `LlmFailed`, and keeps what the reply reported.
"""

from __future__ import annotations

import asyncio

import numpy as np

from backend.clients.instances import TryInTurn
from backend.clients.llm import LlmClient
from backend.conversation import signals as sig
from backend.metrics import BackendMetrics
from backend.reply import LLM_REQUEST_HEAD_START_S, Pcm, Reply, ReplyContext

FAILURE_LINE = "sorry"


class ReplySession:
    """The parts of a conversation runner a reply talks to, and the reply in flight."""

    def __init__(
        self,
        llm: LlmClient,
        tts_url: str,
        *,
        reply_deadline_s: float = 10.0,
        llm_head_start_s: float = LLM_REQUEST_HEAD_START_S,
    ) -> None:
        self.ctx = ReplyContext(
            llm=llm,
            tts_spec=tts_url,
            tts_nodes=TryInTurn(),
            speech_api_key="public_token",
            dispatch=self.dispatch,
            play_audio=self.play_audio,
            end_audio=lambda: None,
            metrics=BackendMetrics(),
            reply_deadline_s=reply_deadline_s,
            llm_head_start_s=llm_head_start_s,
        )
        self.reply: Reply | None = None
        self.audio_played = asyncio.Event()
        self.word_given = asyncio.Event()
        self.finished: list[int] = []
        self.failures: list[sig.Input] = []

    def start_reply(self, response_id: int) -> None:
        if self.reply is not None:
            self.reply.cancel()
        self.audio_played.clear()
        self.word_given.clear()
        messages = [{"role": "user", "content": "hi"}]
        self.reply = Reply(self.ctx, response_id, messages, 0.7, "v", None)

    def dispatch(self, signal: sig.Input) -> None:
        reply = self.reply
        if reply is None or getattr(signal, "response_id", None) != reply.response_id:
            return  # about a reply that was replaced
        match signal:
            case sig.LlmWord(text=text):
                reply.speak(text)
                self.word_given.set()
            case sig.LlmDone():
                reply.end_text()
            case sig.PlaybackFinished():
                self.finished.append(signal.response_id)
            case sig.LlmFailed():
                self.failures.append(signal)
                reply.speak(FAILURE_LINE)
                reply.end_text()
            case sig.TtsFailed():
                self.failures.append(signal)

    def play_audio(self, pcm: Pcm) -> None:
        assert pcm.dtype == np.float32
        self.audio_played.set()
