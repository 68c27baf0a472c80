"""The load tester's simulated browser resumes a conversation whose backend died: a real
backend process is killed mid-conversation and another started on the same port, and the
new backend takes every earlier turn, as its history update and its LLM request show."""

from __future__ import annotations

import asyncio

import pytest

from loadtest.results import LoadTestReport
from loadtest.runner import LevelProgress, LoadTestOptions, run_load_test
from tests.doubles.llm_double import LlmDouble
from tests.doubles.stt_double import SttDouble
from tests.doubles.tts_double import TtsDouble
from tests.integration.backend_server import backend_subprocess, free_port

pytestmark = pytest.mark.integration

REPLY = "Sure, here is a short answer."
START_TIMEOUT_S = 30.0
# Long enough that the kill lands between a reply and the next question.
PAUSE_S = 2.0


async def test_a_conversation_whose_backend_died_resumes_with_its_whole_history() -> None:
    port = free_port()
    replied = asyncio.Event()

    def watch(progress: LevelProgress) -> None:
        if progress.replies >= 1:
            replied.set()

    async with (
        SttDouble([["hello", "there"]] * 200) as stt,
        TtsDouble(word_duration_s=0.15) as tts,
        LlmDouble(lambda messages: REPLY) as llm,
    ):
        env = {"UNMUTE_STT_URL": stt.url, "UNMUTE_TTS_URL": tts.url, "UNMUTE_LLM_URL": llm.url}
        async with backend_subprocess(env, port) as (_, first):
            options = LoadTestOptions(
                url=f"http://127.0.0.1:{port}",
                # Room for a restart and the next question before the test's time is up.
                duration_s=20.0,
                turns=2,
                pause_s=PAUSE_S,
                turn_timeout_s=10.0,
                resume=True,
            )
            talk = asyncio.create_task(run_load_test(options, on_progress=watch))
            async with asyncio.timeout(options.duration_s):
                await replied.wait()  # the greeting and one reply were heard
            first.kill()  # no close frame, no goodbye: the process is gone
            first.wait()
            before_kill = list(llm.requests)
        async with backend_subprocess(env, port):
            report: LoadTestReport = await talk

    (level,) = report.levels
    resume = next(r for r in level.resumes if r.conversation == 1)
    assert resume.resumed_after_s is not None and resume.resumed_after_s > 0
    assert resume.close_code == 1006
    # The greeting, the question and its reply were offered, and all came back.
    assert resume.turns_offered == 3
    assert resume.turns_echoed == 3 and resume.history_accepted is True
    assert level.summary is not None and level.summary.resumes is not None
    assert level.summary.resumes.resumed == level.summary.resumes.history_accepted >= 1
    kinds = {issue.kind for issue in level.issues if issue.conversation == 1}
    assert kinds == {"resumed"}, level.issues
    assert level.summary.protocol_errors == 0 and level.summary.failures == 0

    # The new backend's first reply is asked with every earlier turn.
    heard = [*before_kill[-1].messages[1:], {"role": "assistant", "content": REPLY}]
    after_kill = llm.requests[len(before_kill)].messages[1:]
    assert after_kill[: len(heard)] == heard, after_kill
    assert after_kill[-1]["role"] == "user" and after_kill[-1]["content"].startswith("hello")

    first_conversation = [t for t in level.turns if t.conversation == 1]
    assert [t.index for t in first_conversation] == [0, 1, 2]
    assert [t.kind for t in first_conversation] == ["greeting", "reply", "reply"]
    assert all(t.outcome == "completed" for t in first_conversation)
