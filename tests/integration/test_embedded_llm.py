"""The llama.cpp server with the packaged model, over real HTTP on loopback: replies
streamed the OpenAI way, prompts reused across turns and conversations, clients that
leave mid-reply, auth and bad requests; and `unmute-ops serve llm` as a real process.

The model is loaded once for the module; its replies are never checked for content
(a 135M-parameter model is often wrong), only for their shape and accounting.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import llama_cpp
import pytest

from backend.clients.llm import LlmClient, LlmHttpError
from embedded.llm.cpu_headroom import CpuHeadroom, CpuIdle
from embedded.llm.engine import LlamaEngine
from embedded.llm.generation import Sampling
from embedded.llm.model_files import model_path
from embedded.llm.model_loading import load_engine, load_llama
from embedded.llm.prefix_cache import shared_prefix
from embedded.llm.reply_length import ends_a_sentence
from embedded.llm.server import create_app
from embedded.llm.settings import EngineSettings
from embedded.llm.wire import RequestMessage
from tests.integration.backend_server import free_port, serving

pytestmark = pytest.mark.integration

UNMUTE_OPS = Path(sys.executable).with_name("unmute-ops")
MODEL_NAME = "smollm2-under-test"
QUESTION = [
    {"role": "system", "content": "You are a helpful assistant. Answer in one sentence."},
    {"role": "user", "content": "What is the capital of France?"},
]
# Greedy, this prompt makes the model write some 700 tokens: far more than a test waits for.
LONG_STORY = [{"role": "user", "content": "Write a long story about a dragon who learns to bake."}]


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaEngine]:
    settings = EngineSettings(max_reply_tokens=32)
    cache = tmp_path_factory.mktemp("llm-cache")
    loaded = load_engine(model_path(), settings, name=MODEL_NAME, cache_dir=cache)
    yield loaded
    loaded.close()


@asynccontextmanager
async def served(engine: LlamaEngine, api_key: str | None = None) -> AsyncIterator[str]:
    async with serving(create_app(engine, api_key)) as address:
        yield f"http://{address}"


def body(messages: list[dict[str, str]] = QUESTION, **fields: Any) -> dict[str, Any]:
    return {"messages": messages, "temperature": 0, "max_tokens": 24} | fields


async def sse_payloads(http: httpx.AsyncClient, url: str, **fields: Any) -> list[Any]:
    """The decoded `data:` payloads of one streamed completion, checking the SSE framing."""
    request = body(stream=True, **fields)
    async with http.stream("POST", f"{url}/v1/chat/completions", json=request) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = [line async for line in response.aiter_lines()]
    events = [line for line in lines if line]
    assert all(line.startswith("data: ") for line in events)
    assert len(lines) == 2 * len(events)  # each event is followed by a blank line
    assert events[-1] == "data: [DONE]"
    return [json.loads(line.removeprefix("data: ")) for line in events[:-1]]


async def usage_of(http: httpx.AsyncClient, url: str, messages: list[dict[str, str]]) -> Any:
    chunks = await sse_payloads(
        http, url, messages=messages, stream_options={"include_usage": True}
    )
    reply = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
    return reply, chunks[-1]["usage"]


# --- Replies -----------------------------------------------------------------------------


async def test_the_one_model_is_listed_by_its_name(engine: LlamaEngine) -> None:
    async with served(engine) as url, httpx.AsyncClient() as http:
        listing = (await http.get(f"{url}/v1/models")).json()
    assert listing["object"] == "list"
    assert [(m["id"], m["object"]) for m in listing["data"]] == [(MODEL_NAME, "model")]


async def test_a_question_gets_a_streamed_reply_in_openai_chunks(engine: LlamaEngine) -> None:
    async with served(engine) as url, httpx.AsyncClient() as http:
        chunks = await sse_payloads(http, url, stream_options={"include_usage": True})
    assert {c["object"] for c in chunks} == {"chat.completion.chunk"}
    assert len({c["id"] for c in chunks}) == 1
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    texts = [c["choices"][0]["delta"]["content"] for c in chunks[1:-2]]
    assert len(texts) >= 2 and "".join(texts).strip()  # token by token
    ending, usage = chunks[-2], chunks[-1]
    assert ending["choices"][0]["delta"] == {}
    assert ending["choices"][0]["finish_reason"] in ("stop", "length")
    assert usage["choices"] == [] and 0 < usage["usage"]["completion_tokens"] <= 24
    assert usage["usage"]["prompt_tokens"] > 20


async def test_the_backends_client_hears_a_reply(engine: LlamaEngine) -> None:
    async with served(engine, api_key="sk-local") as url:
        async with LlmClient(url, api_key="sk-local") as llm:
            assert await llm.is_up()
            assert await llm.resolve_model() == MODEL_NAME
            deltas = [d async for d in llm.stream_reply(QUESTION, temperature=0.3)]
    assert "".join(deltas).strip()


async def test_a_plain_completion_stops_at_max_tokens(engine: LlamaEngine) -> None:
    async with served(engine) as url, httpx.AsyncClient() as http:
        response = await http.post(
            f"{url}/v1/chat/completions", json=body(LONG_STORY, max_tokens=6, model="any")
        )
    completion = response.json()
    assert completion["object"] == "chat.completion" and completion["model"] == "any"
    (choice,) = completion["choices"]
    assert choice["message"]["role"] == "assistant" and choice["message"]["content"]
    assert choice["finish_reason"] == "length"
    assert 0 < completion["usage"]["completion_tokens"] <= 6


async def test_without_max_tokens_a_long_reply_ends_with_a_sentence(engine: LlamaEngine) -> None:
    soft = engine.settings.max_reply_tokens
    request = body(LONG_STORY)
    del request["max_tokens"]
    async with served(engine) as url, httpx.AsyncClient() as http:
        completion = (await http.post(f"{url}/v1/chat/completions", json=request)).json()
    (choice,) = completion["choices"]
    written = completion["usage"]["completion_tokens"]
    assert choice["finish_reason"] == "length"
    assert soft - 2 <= written <= 2 * soft + 2  # counted again from the text: ± a token
    assert ends_a_sentence(choice["message"]["content"]) or written >= 2 * soft - 2


async def test_the_next_turn_reuses_the_computed_prompt_even_after_another_conversation(
    engine: LlamaEngine,
) -> None:
    first_turn = [
        {"role": "system", "content": "You are Captain Flint, a pirate. Answer in one line."},
        {"role": "user", "content": "Where is the treasure?"},
    ]
    other = [
        {"role": "system", "content": "You are a quiz host. Ask one short question."},
        {"role": "user", "content": "I'm ready!"},
    ]
    async with served(engine) as url, httpx.AsyncClient() as http:
        reply, first = await usage_of(http, url, first_turn)
        _, unrelated = await usage_of(http, url, other)
        second_turn = [
            *first_turn,
            {"role": "assistant", "content": reply},
            {"role": "user", "content": "And who guards it?"},
        ]
        _, second = await usage_of(http, url, second_turn)
    # A new conversation shares little with those before it (the template's opening).
    for new in (first, unrelated):
        assert new["prompt_tokens_details"]["cached_tokens"] < new["prompt_tokens"] // 2
    # The pirate's first turn, computed before the quiz, was restored, not computed again.
    assert second["prompt_tokens_details"]["cached_tokens"] >= first["prompt_tokens"]
    assert second["prompt_tokens"] > second["prompt_tokens_details"]["cached_tokens"]


async def test_the_next_user_turns_opening_is_computed_before_the_user_speaks(
    engine: LlamaEngine,
) -> None:
    first_turn = [
        {"role": "system", "content": "You are a friendly gardener. Answer in one line."},
        {"role": "user", "content": "When should I plant tulips?"},
    ]
    async with served(engine) as url, httpx.AsyncClient() as http:
        read_aheads = engine.stats.read_aheads
        reply, _ = await usage_of(http, url, first_turn)
        # The model reads ahead once the reply is sent, while no other request waits: a user
        # who answers at once may come first, and then the opening is computed with it.
        deadline = time.monotonic() + 30
        while engine.stats.read_aheads == read_aheads:
            assert time.monotonic() < deadline, "the model never read the next turn's opening"
            await asyncio.sleep(0.01)
        answered = [*first_turn, {"role": "assistant", "content": reply}]
        second_turn = [*answered, {"role": "user", "content": "And roses?"}]
        _, second = await usage_of(http, url, second_turn)

    def tokens(messages: list[dict[str, str]]) -> tuple[int, ...]:
        return engine.prepare([RequestMessage.model_validate(m) for m in messages]).tokens

    # Two prompts that differ only in the user's words share the turn marks before them.
    prompt = tokens(second_turn)
    opening = shared_prefix(prompt, tokens([*answered, {"role": "user", "content": "Hm."}]))
    computed = second["prompt_tokens"] - second["prompt_tokens_details"]["cached_tokens"]
    assert computed == len(prompt) - opening, "the user turn's opening was computed again"


class IdleThenBusyCpu:
    """Kernel counters, scripted: each read is a second later, with `idle_cores` idle."""

    def __init__(self) -> None:
        self.at, self.idle_s, self.idle_cores = 0.0, 0.0, 2.0

    def read(self) -> CpuIdle:
        self.at += 1.0
        self.idle_s += self.idle_cores
        return CpuIdle(self.idle_s, self.at)


async def test_a_prompt_after_an_idle_wait_is_read_on_the_idle_cores() -> None:
    settings = EngineSettings(max_reply_tokens=8)
    cpu = IdleThenBusyCpu()
    engine = LlamaEngine(
        load_llama(model_path(), settings),
        MODEL_NAME,
        settings,
        headroom=CpuHeadroom(threads=1, most=2, read=cpu.read),
    )
    ctx = engine._llama.ctx  # what llama.cpp itself was told
    try:
        messages = [RequestMessage.model_validate(m) for m in QUESTION]

        async def reply() -> None:
            generation = engine.start(engine.prepare(messages), Sampling(0.0, 1.0, 8))
            assert [text async for text in generation.texts()]

        await reply()
        assert engine.stats.widened_prompts == 1, "both cores sat idle: two threads read it"
        assert llama_cpp.llama_n_threads_batch(ctx) == 1, "the reply's batches are back on one"
        cpu.idle_cores = 1.0  # the other core is busy now
        await reply()
        assert engine.stats.widened_prompts == 1
        assert llama_cpp.llama_n_threads(ctx) == llama_cpp.llama_n_threads_batch(ctx) == 1
    finally:
        engine.close()


async def test_conversations_at_once_each_get_their_reply(engine: LlamaEngine) -> None:
    questions = [
        [{"role": "user", "content": f"Say something nice about the number {n}."}] for n in range(3)
    ]
    async with served(engine) as url, httpx.AsyncClient(timeout=60) as http:
        replies = await asyncio.gather(*(sse_payloads(http, url, messages=q) for q in questions))
    for chunks in replies:
        assert chunks[-1]["choices"][0]["finish_reason"] in ("stop", "length")
        assert "".join(c["choices"][0]["delta"].get("content", "") for c in chunks).strip()
    assert len({chunks[0]["id"] for chunks in replies}) == 3


async def test_a_client_leaving_mid_reply_frees_the_model(engine: LlamaEngine) -> None:
    before = engine.stats.cancelled
    async with served(engine) as url, httpx.AsyncClient() as http:
        long_reply = body(LONG_STORY, stream=True, max_tokens=2000)
        async with http.stream("POST", f"{url}/v1/chat/completions", json=long_reply) as stream:
            received = 0
            async for line in stream.aiter_lines():
                received += line.startswith("data: ")
                if received == 4:
                    break  # leaving closes the connection mid-reply
        # One reply at a time: this one is served only once the abandoned one has stopped.
        after = await http.post(f"{url}/v1/chat/completions", json=body(max_tokens=4))
    assert after.status_code == 200 and after.json()["choices"][0]["message"]["content"]
    assert engine.stats.cancelled == before + 1


# --- Authentication and bad requests -------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "sk-local"}, {"Authorization": ""}],
)
async def test_a_missing_or_wrong_key_is_refused(
    engine: LlamaEngine, headers: dict[str, str]
) -> None:
    async with served(engine, api_key="sk-local") as url:
        async with httpx.AsyncClient(headers=headers) as http:
            models = await http.get(f"{url}/v1/models")
            chat = await http.post(f"{url}/v1/chat/completions", json=body())
            # A bad key is reported before anything is read from a malformed body.
            garbled = await http.post(f"{url}/v1/chat/completions", content=b"{nope")
    for response in (models, chat, garbled):
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "invalid_api_key"


async def test_the_backends_client_reports_a_refused_key(engine: LlamaEngine) -> None:
    async with served(engine, api_key="sk-local") as url, LlmClient(url, api_key="no") as llm:
        assert not await llm.is_up()
        with pytest.raises(LlmHttpError) as refused:
            _ = [d async for d in llm.stream_reply(QUESTION, temperature=0.3)]
    assert refused.value.status == 401


@pytest.mark.parametrize(
    ("content", "param"),
    [
        (b"{not json", None),
        (json.dumps({"model": "x"}).encode(), "messages"),
        (json.dumps(body(messages=[])).encode(), "messages"),
        (json.dumps(body(temperature=9)).encode(), "temperature"),
        (json.dumps(body(messages=[{"role": "wizard", "content": "hi"}])).encode(), "messages"),
        (json.dumps(body(messages=[{"role": "tool", "content": "42"}])).encode(), "messages"),
    ],
)
async def test_a_bad_request_gets_an_openai_style_400(
    engine: LlamaEngine, content: bytes, param: str | None
) -> None:
    headers = {"Content-Type": "application/json"}
    async with served(engine) as url, httpx.AsyncClient() as http:
        response = await http.post(f"{url}/v1/chat/completions", content=content, headers=headers)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error" and error["message"]
    if param is not None:
        assert error["param"].startswith(param)


async def test_a_conversation_longer_than_the_context_is_refused(engine: LlamaEngine) -> None:
    too_long = [{"role": "user", "content": "word " * engine.context_tokens}]
    async with served(engine) as url, httpx.AsyncClient() as http:
        response = await http.post(f"{url}/v1/chat/completions", json=body(too_long))
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "context_length_exceeded"
    assert "--context-tokens" in error["message"]


async def test_an_unknown_route_gets_an_openai_style_404(engine: LlamaEngine) -> None:
    async with served(engine) as url, httpx.AsyncClient() as http:
        response = await http.post(f"{url}/v1/completions", json={"prompt": "hi"})
    assert response.status_code == 404
    assert response.json()["error"]["message"]


# --- The operator command ----------------------------------------------------------------


def start_serve_llm(*arguments: str) -> tuple[subprocess.Popen[str], int]:
    port = free_port()
    command = [str(UNMUTE_OPS), "serve", "llm", "--port", str(port), *arguments]
    process = subprocess.Popen(
        command, env=os.environ.copy(), stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True
    )
    return process, port


def stop(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


async def test_serve_llm_serves_a_gguf_file_given_by_path(tmp_path: Path) -> None:
    model = tmp_path / "tiny-chat.gguf"
    model.symlink_to(model_path())
    process, port = start_serve_llm(
        "--model-file", str(model), "--no-requantize", "--api-key", "sk-ops"
    )
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(headers={"Authorization": "Bearer sk-ops"}) as http:
            deadline = time.monotonic() + 60
            while True:
                assert process.poll() is None, "unmute-ops serve llm exited during start-up"
                try:
                    listing = await http.get(f"{url}/v1/models")
                    if listing.status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline, "unmute-ops serve llm did not start"
                await asyncio.sleep(0.1)
            chunks = await sse_payloads(http, url)
    finally:
        stop(process)
    assert [m["id"] for m in listing.json()["data"]] == ["tiny-chat"]
    assert "".join(c["choices"][0]["delta"].get("content", "") for c in chunks).strip()


def test_serve_llm_with_a_broken_model_exits_naming_the_problem(tmp_path: Path) -> None:
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(model_path().read_bytes()[: 1 << 20])
    for model, problem in ((broken, "cannot load"), (tmp_path / "none.gguf", "no model file")):
        process, _ = start_serve_llm("--model-file", str(model), "--no-requantize")
        _, errors = process.communicate(timeout=60)
        last_line = errors.strip().splitlines()[-1]
        assert process.returncode == 1
        assert last_line.startswith("error: ") and problem in last_line, errors
        assert str(model) in last_line
