"""Fuzzing what fails behind the backend: the browser hears a stable code and a generic
sentence, never a URL, a host, a port, a status line or what an upstream server said."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.realtime import public_errors
from backend.realtime.public_errors import PublicError
from tests.fuzz.background_stack import BackgroundStack
from tests.integration.realtime_client import RealtimeClient

EXAMPLES = 24  # ~1 s each: every kind of failure, several times, with varied bodies
MARKER = "upstream-secret-7f3a"
PUBLIC = {(e.code, e.message) for e in vars(public_errors).values() if isinstance(e, PublicError)}
KINDS = [
    "llm_status",  # an HTTP error with a JSON body
    "llm_text",  # an HTTP error with a plain-text body
    "llm_mid_reply",  # an `error` chunk in the middle of the stream
    "llm_hang",  # no first word within UNMUTE_LLM_TIMEOUT_S
    "tts_error",  # the TTS answers `Error` after `Ready`
    "tts_full",  # every TTS slot taken
    "stt_error",  # the STT answers `Error` after `Ready`
    "stt_full",  # every STT slot taken: fatal
]


@dataclass(frozen=True)
class Failure:
    kind: str
    status: int
    body: str

    @property
    def upstream_text(self) -> str:
        return f"{MARKER} {self.body}"


failures = st.builds(
    Failure,
    kind=st.sampled_from(KINDS),
    status=st.sampled_from([400, 401, 403, 404, 418, 429, 500, 502, 503]),
    body=st.text(max_size=80),
)


@pytest.fixture(scope="module")
def stack() -> Iterator[BackgroundStack]:
    with BackgroundStack(llm_timeout_s=0.5) as background:
        yield background


def _inflict(stack: BackgroundStack, failure: Failure) -> None:
    """Set the scripted servers up for `failure` (and nothing else)."""
    stt, tts, llm = stack.stt, stack.tts, stack.llm
    assert stt is not None and tts is not None and llm is not None
    stt.slots, stt.after_ready = 64, []
    tts.slots, tts.after_ready = 64, []
    llm.fail_status, llm.fail_body, llm.fail_mid_reply, llm.hang = None, None, None, None
    text = failure.upstream_text
    match failure.kind:
        case "llm_status":
            llm.fail_status, llm.fail_body = failure.status, {"error": {"message": text}}
        case "llm_text":
            llm.fail_status, llm.fail_body = failure.status, text
        case "llm_mid_reply":
            llm.fail_mid_reply = {"message": text, "code": failure.status}
        case "llm_hang":
            llm.hang = "after_headers"
        case "tts_error":
            tts.after_ready = [{"type": "Error", "message": text}]
        case "tts_full":
            tts.slots = 0
        case "stt_error":
            stt.after_ready = [{"type": "Error", "message": text}]
        case "stt_full":
            stt.slots = 0


async def _errors_heard(address: str) -> list[Any]:
    async with RealtimeClient(f"ws://{address}/v1/realtime") as client:
        await client.start_session(voice="v")
        await client.wait_for(lambda c: bool(c.of_type("error")), 10, "an error event")
        await asyncio.sleep(0.3)  # and whatever else follows it
    return client.of_type("error")


def _secrets(stack: BackgroundStack, failure: Failure) -> list[str]:
    assert stack.stt is not None and stack.tts is not None and stack.llm is not None
    ports = [str(double.port) for double in (stack.stt, stack.tts)]
    ports.append(stack.llm.url.rsplit(":", 1)[1])
    secrets = ["127.0.0.1", "localhost", "://", MARKER, f"HTTP {failure.status}", *ports]
    if len(failure.body.strip()) >= 6:
        secrets.append(failure.body.strip())
    return secrets


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(failure=failures)
def test_no_error_event_tells_what_failed_behind_the_backend(
    stack: BackgroundStack, failure: Failure
) -> None:
    _inflict(stack, failure)
    errors = asyncio.run(_errors_heard(stack.address))
    for event in errors:
        error = event.error
        assert error.type in ("warning", "fatal")
        assert (error.code, error.message) in PUBLIC, error
        # Type, code and message are pinned to public values just above; a fuzzed body may
        # happen to be part of one of them ("warnin"), so the rest is what could leak.
        pinned = ("type", "code", "message")
        rest = {key: value for key, value in error.model_dump().items() if key not in pinned}
        shown = json.dumps(rest, ensure_ascii=False)
        leaks = [secret for secret in _secrets(stack, failure) if secret in shown]
        assert leaks == [], (failure.kind, shown)
    assert stack.sessions_left() == 0, (failure.kind, "the session let its seat go")
