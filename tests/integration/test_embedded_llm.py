"""The LLM stand-in over real HTTP on loopback: OpenAI wire format, auth, bad requests.

Most tests serve the app with uvicorn inside the test's event loop; one runs the
operator command `unmute-ops serve llm` as a real process.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from backend.clients.llm import LlmClient, LlmHttpError
from embedded.llm.server import create_app

pytestmark = pytest.mark.integration

UNMUTE_OPS = Path(sys.executable).with_name("unmute-ops")
SYSTEM = "Make small talk with the user."
CONVERSATION = [
    {"role": "system", "content": SYSTEM},
    {"role": "user", "content": "Hello!"},
    {"role": "assistant", "content": "Hi! How is your day going?"},
    {"role": "user", "content": "Great, thanks. Tell me a joke!"},
]


@asynccontextmanager
async def serving(api_key: str | None = None, word_delay_s: float = 0.0) -> AsyncIterator[str]:
    """Yields the base URL of the stand-in served inside this event loop."""
    app = create_app(api_key, word_delay_s=word_delay_s)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()  # surfaces a start-up error
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


def body(**fields: Any) -> dict[str, Any]:
    return {"model": "unmute-standin", "messages": CONVERSATION, "temperature": 0} | fields


async def sse_payloads(http: httpx.AsyncClient, url: str, **fields: Any) -> list[str]:
    """The `data:` payloads of one streamed completion, checking the SSE framing."""
    async with http.stream(
        "POST", f"{url}/v1/chat/completions", json=body(stream=True, **fields)
    ) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        lines = [line async for line in r.aiter_lines()]
    events = [line for line in lines if line]
    assert all(line.startswith("data: ") for line in events)
    assert len(lines) == 2 * len(events)  # each event is followed by a blank line
    return [line.removeprefix("data: ") for line in events]


# --- Wire format ----------------------------------------------------------------------


async def test_serves_exactly_one_model() -> None:
    async with serving() as url, httpx.AsyncClient() as http:
        response = await http.get(f"{url}/v1/models")
    assert response.status_code == 200
    listing = response.json()
    assert listing["object"] == "list"
    assert [(m["id"], m["object"]) for m in listing["data"]] == [("unmute-standin", "model")]


async def test_a_plain_completion_answers_the_conversation() -> None:
    async with serving() as url, httpx.AsyncClient() as http:
        response = await http.post(f"{url}/v1/chat/completions", json=body())
    assert response.status_code == 200
    completion = response.json()
    assert completion["object"] == "chat.completion"
    assert completion["model"] == "unmute-standin"
    (choice,) = completion["choices"]
    assert choice["message"]["role"] == "assistant"
    assert "skeletons" in choice["message"]["content"]
    assert choice["finish_reason"] == "stop"
    assert completion["usage"]["completion_tokens"] == len(choice["message"]["content"].split())


async def test_a_stream_sends_the_role_then_words_then_done() -> None:
    async with serving() as url, httpx.AsyncClient() as http:
        payloads = await sse_payloads(http, url)
        plain = (await http.post(f"{url}/v1/chat/completions", json=body())).json()
    assert payloads[-1] == "[DONE]"
    chunks = [json.loads(p) for p in payloads[:-1]]
    assert {c["object"] for c in chunks} == {"chat.completion.chunk"}
    assert len({c["id"] for c in chunks}) == 1
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert chunks[-1]["choices"][0]["delta"] == {}
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    deltas = [c["choices"][0]["delta"]["content"] for c in chunks[1:-1]]
    assert all(len(d.split()) == 1 for d in deltas)  # word by word
    assert "".join(deltas) == plain["choices"][0]["message"]["content"]


async def test_a_stream_reports_usage_last_when_asked() -> None:
    async with serving() as url, httpx.AsyncClient() as http:
        payloads = await sse_payloads(http, url, stream_options={"include_usage": True})
    usage_chunk = json.loads(payloads[-2])
    assert usage_chunk["choices"] == []
    assert usage_chunk["usage"]["total_tokens"] > usage_chunk["usage"]["completion_tokens"] > 0


async def test_max_tokens_cuts_the_stream_with_finish_reason_length() -> None:
    async with serving() as url, httpx.AsyncClient() as http:
        payloads = await sse_payloads(http, url, max_tokens=2)
    chunks = [json.loads(p) for p in payloads[:-1]]
    assert len(chunks) == 4  # role, two words, finish
    assert chunks[-1]["choices"][0]["finish_reason"] == "length"


async def test_with_a_word_delay_the_words_arrive_one_by_one() -> None:
    async with serving(word_delay_s=0.02) as url, httpx.AsyncClient() as http:
        request = body(stream=True)
        async with http.stream("POST", f"{url}/v1/chat/completions", json=request) as response:
            reads = [part async for part in response.aiter_raw()]
    assert len(reads) > 2
    assert b"[DONE]" in reads[-1] and b"[DONE]" not in b"".join(reads[:-1])


async def test_the_backends_llm_client_speaks_with_the_stand_in() -> None:
    async with serving(api_key="sk-local") as url, LlmClient(url, api_key="sk-local") as llm:
        assert await llm.is_up()
        assert await llm.resolve_model() == "unmute-standin"
        deltas = [d async for d in llm.stream_reply(CONVERSATION, temperature=0.3)]
    assert len(deltas) > 2
    assert "skeletons" in "".join(deltas)


# --- Authentication -------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "sk-local"}, {"Authorization": ""}],
)
async def test_a_missing_or_wrong_key_is_refused(headers: dict[str, str]) -> None:
    async with serving(api_key="sk-local") as url, httpx.AsyncClient(headers=headers) as http:
        models = await http.get(f"{url}/v1/models")
        chat = await http.post(f"{url}/v1/chat/completions", json=body())
        # A bad key is reported before anything is read from a malformed body.
        garbled = await http.post(f"{url}/v1/chat/completions", content=b"{nope")
    for response in (models, chat, garbled):
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "invalid_api_key"


async def test_the_right_key_is_accepted() -> None:
    headers = {"Authorization": "Bearer sk-local"}
    async with serving(api_key="sk-local") as url, httpx.AsyncClient(headers=headers) as http:
        assert (await http.get(f"{url}/v1/models")).status_code == 200
        assert (await http.post(f"{url}/v1/chat/completions", json=body())).status_code == 200


async def test_the_backends_client_reports_a_refused_key() -> None:
    async with serving(api_key="sk-local") as url, LlmClient(url, api_key="nope") as llm:
        assert not await llm.is_up()
        with pytest.raises(LlmHttpError) as refused:
            _ = [d async for d in llm.stream_reply(CONVERSATION, temperature=0.3)]
    assert refused.value.status == 401


# --- Bad requests ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "param"),
    [
        (b"{not json", None),
        (json.dumps({"model": "unmute-standin"}).encode(), "messages"),
        (json.dumps(body(messages=[])).encode(), "messages"),
        (json.dumps(body(temperature=9)).encode(), "temperature"),
        (json.dumps(body(messages=[{"role": "wizard", "content": "hi"}])).encode(), "messages"),
    ],
)
async def test_a_bad_request_gets_an_openai_style_400(content: bytes, param: str | None) -> None:
    headers = {"Content-Type": "application/json"}
    async with serving() as url, httpx.AsyncClient() as http:
        response = await http.post(f"{url}/v1/chat/completions", content=content, headers=headers)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error" and error["message"]
    if param is not None:
        assert error["param"].startswith(param)


async def test_an_unknown_route_gets_an_openai_style_404() -> None:
    async with serving() as url, httpx.AsyncClient() as http:
        response = await http.post(f"{url}/v1/completions", json={"prompt": "hi"})
    assert response.status_code == 404
    assert response.json()["error"]["message"]


# --- The operator command -------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def test_unmute_ops_serve_llm_runs_the_stand_in() -> None:
    port = free_port()
    command = [str(UNMUTE_OPS), "serve", "llm", "--port", str(port), "--api-key", "sk-ops"]
    process = subprocess.Popen(command, env=os.environ.copy())
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(headers={"Authorization": "Bearer sk-ops"}) as http:
            deadline = time.monotonic() + 30
            while True:
                assert process.poll() is None, "unmute-ops serve llm exited during start-up"
                try:
                    if (await http.get(f"{url}/v1/models")).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline, "unmute-ops serve llm did not start"
                await asyncio.sleep(0.1)
            payloads = await sse_payloads(http, url)
            refused = await http.get(f"{url}/v1/models", headers={"Authorization": "Bearer x"})
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    assert payloads[-1] == "[DONE]" and len(payloads) > 3
    assert refused.status_code == 401
