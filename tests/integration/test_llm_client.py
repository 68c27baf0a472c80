"""The LLM client against a scripted OpenAI-compatible server over real loopback sockets."""

from __future__ import annotations

import asyncio
import itertools
import socket

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from backend.clients.llm import (
    LlmClient,
    LlmConnectionError,
    LlmError,
    LlmHttpError,
    LlmTimeoutError,
    LlmTimeouts,
    ToolCall,
    ToolCallDelta,
)
from backend.clients.reasoning import ThinkTagFilter, spoken_fallback_from_reasoning
from tests.doubles.llm_double import LlmDouble, ScriptedReply, ToolCallScript

pytestmark = pytest.mark.integration

HELLO = [{"role": "user", "content": "Hello?"}]
# Short enough to test quickly, yet several times what a double on loopback takes between
# two chunks on a busy host: only a double told to stall reaches them.
SHORT = LlmTimeouts(connect=1.0, first_chunk=1.0, between_chunks=0.8, reply=10.0, probe=1.0)


async def collect(client: LlmClient, messages: list[dict[str, str]] = HELLO) -> list[str]:
    return [delta async for delta in client.stream_reply(messages, temperature=0.7)]


async def test_deltas_arrive_in_order_and_keep_alives_are_skipped() -> None:
    async with (
        LlmDouble(replies=["Hi there, how are you today?"]) as llm,
        LlmClient(llm.url) as client,
    ):
        deltas = await collect(client)
    # The double sends an empty first delta and keep-alives without `choices`.
    assert deltas == ["Hi", " there,", " how", " are", " you", " today?"]


async def test_request_carries_messages_temperature_and_model() -> None:
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "What time is it?"},
    ]
    async with LlmDouble(replies=["Noon."]) as llm, LlmClient(llm.url) as client:
        await collect(client, messages)
        [request] = llm.requests
    assert request.messages == messages
    assert request.temperature == 0.7
    assert request.model == "double-model"
    assert request.stream is True
    assert request.authorization is None


async def test_callable_script_sees_the_conversation() -> None:
    def echo(messages: list[dict[str, str]]) -> str:
        return "You said: " + messages[-1]["content"]

    async with LlmDouble(replies=echo) as llm, LlmClient(llm.url) as client:
        text = "".join(await collect(client, [{"role": "user", "content": "bonjour"}]))
    assert text == "You said: bonjour"


@pytest.mark.parametrize("suffix", ["", "/", "/v1", "/v1/"])
async def test_base_url_with_or_without_v1(suffix: str) -> None:
    async with LlmDouble(replies=["Yes."]) as llm, LlmClient(llm.url + suffix) as client:
        assert await client.is_up()
        assert await client.list_models() == ["double-model"]
        assert "".join(await collect(client)) == "Yes."


async def test_bearer_key_is_sent() -> None:
    async with (
        LlmDouble(replies=["Welcome."], required_api_key="sk-test") as llm,
        LlmClient(llm.url, api_key="sk-test") as client,
    ):
        assert "".join(await collect(client)) == "Welcome."
        assert llm.requests[0].authorization == "Bearer sk-test"


async def test_wrong_key_is_an_http_error_with_the_status() -> None:
    async with (
        LlmDouble(replies=["Welcome."], required_api_key="sk-test") as llm,
        LlmClient(llm.url, api_key="sk-wrong", model="double-model") as client,
    ):
        assert not await client.is_up()
        with pytest.raises(LlmHttpError) as caught:
            await collect(client)
    assert caught.value.status == 401
    assert "invalid api key" in str(caught.value)


@pytest.mark.parametrize("chunk_chars", [None, 1, 3, 7])
async def test_inline_think_block_is_removed_however_it_is_split(chunk_chars: int | None) -> None:
    reply = "<think>The user greets me. I greet back.</think>\n\nHello, nice to meet you!"
    async with (
        LlmDouble(replies=[reply], chunk_chars=chunk_chars) as llm,
        LlmClient(llm.url) as client,
    ):
        text = "".join(await collect(client))
    assert text == "Hello, nice to meet you!"


@pytest.mark.parametrize("field", ["reasoning_content", "reasoning"])
async def test_reasoning_fields_are_never_spoken(field: str) -> None:
    reply = ScriptedReply(
        content="Paris is the capital.",
        reasoning="The user asks about France. Its capital is Paris.",
        reasoning_field=field,  # type: ignore[arg-type]
    )
    async with LlmDouble(replies=[reply]) as llm, LlmClient(llm.url) as client:
        assert "".join(await collect(client)) == "Paris is the capital."


@pytest.mark.parametrize(
    "reply",
    [
        ScriptedReply(
            content="",
            reasoning="The user said hello. I will say hello back. Hello, good to hear you!",
        ),
        ScriptedReply(
            content="<think>The user said hello. I will say hello back. Hello, good to hear you!",
        ),
    ],
    ids=["reasoning-field", "unclosed-think-tag"],
)
async def test_reasoning_only_reply_still_says_something(reply: ScriptedReply) -> None:
    async with LlmDouble(replies=[reply]) as llm, LlmClient(llm.url) as client:
        text = "".join(await collect(client))
    assert text == "I will say hello back. Hello, good to hear you!"


async def test_tool_calls_stream_in_pieces_then_come_whole() -> None:
    tool = {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}
    call = ToolCallScript("f", '{"query": "the weather"}', call_id="call_7")
    async with LlmDouble([ScriptedReply("Let me look.", tool_calls=(call,))]) as llm:
        async with LlmClient(llm.url) as client:
            pieces = [
                p
                async for p in client.stream_turn(
                    HELLO, temperature=0.3, tools=[tool], tool_choice="auto"
                )
            ]
    text = "".join(p for p in pieces if isinstance(p, str))
    deltas = [p for p in pieces if isinstance(p, ToolCallDelta)]
    assert text == "Let me look."
    assert len(deltas) > 1 and {(d.call_id, d.name) for d in deltas} == {("call_7", "f")}
    assert "".join(d.arguments for d in deltas) == call.arguments
    assert pieces[-1] == ToolCall("call_7", "f", call.arguments)
    assert llm.requests[0].body["tools"] == [tool]
    assert llm.requests[0].body["tool_choice"] == "auto"


async def test_the_request_is_reported_sent_before_the_server_answers() -> None:
    """`on_request_sent` marks the request written, not answered: a server that never
    sends its headers still has the whole request, and the client says so."""
    sent = asyncio.Event()
    async with (
        LlmDouble(["never answered"], hang="before_headers") as llm,
        LlmClient(llm.url, model="m") as client,
    ):
        turn = client.stream_turn(HELLO, temperature=0.3, on_request_sent=sent.set)
        reading = asyncio.ensure_future(anext(turn))
        await asyncio.wait_for(sent.wait(), 10)
        async with asyncio.timeout(10):
            while not llm.requests:  # the server may not have read it yet
                await asyncio.sleep(0.01)
        assert llm.requests[0].body["messages"] == HELLO
        assert not reading.done(), "the server holds its answer back"
        reading.cancel()
        await asyncio.gather(reading, return_exceptions=True)
        await turn.aclose()


async def test_without_tools_the_request_offers_none() -> None:
    async with LlmDouble(["Hi."]) as llm:
        async with LlmClient(llm.url) as client:
            await collect(client)
    assert "tools" not in llm.requests[0].body and "tool_choice" not in llm.requests[0].body


async def test_the_only_model_is_selected() -> None:
    async with (
        LlmDouble(replies=["Ok."], models=["llama-3.1-8b"]) as llm,
        LlmClient(llm.url) as client,
    ):
        assert await client.resolve_model() == "llama-3.1-8b"
        await collect(client)
        assert llm.requests[0].model == "llama-3.1-8b"


async def test_configured_model_wins_over_the_served_list() -> None:
    async with (
        LlmDouble(replies=["Ok."], models=["a", "b"]) as llm,
        LlmClient(llm.url, model="b") as client,
    ):
        assert await client.resolve_model() == "b"
        await collect(client)
        assert llm.requests[0].model == "b"


async def test_two_models_is_a_clear_error_naming_them() -> None:
    async with (
        LlmDouble(replies=["Ok."], models=["qwen3-8b", "llama-3.1-8b"]) as llm,
        LlmClient(llm.url) as client,
    ):
        with pytest.raises(LlmError, match=r"2 models \(qwen3-8b, llama-3.1-8b\)"):
            await client.resolve_model()
        assert llm.requests == []


async def test_no_model_served_is_a_clear_error() -> None:
    async with LlmDouble(replies=["Ok."], models=[]) as llm, LlmClient(llm.url) as client:
        with pytest.raises(LlmError, match="serves no models"):
            await collect(client)


async def test_http_500_is_an_llm_error_with_status_and_body() -> None:
    async with (
        LlmDouble(replies=["Ok."], fail_status=500) as llm,
        LlmClient(llm.url) as client,
    ):
        with pytest.raises(LlmHttpError) as caught:
            await collect(client)
    assert caught.value.status == 500
    assert "HTTP 500" in str(caught.value)
    assert "scripted failure" in str(caught.value)


@pytest.mark.parametrize("hang", ["before_headers", "after_headers"])
async def test_no_first_chunk_is_a_timeout(hang: str) -> None:
    async with (
        LlmDouble(replies=["Never said."], hang=hang) as llm,  # type: ignore[arg-type]
        LlmClient(llm.url, timeouts=SHORT) as client,
    ):
        with pytest.raises(LlmTimeoutError, match=r"no first chunk within 1 s"):
            await collect(client)


async def test_a_stall_mid_reply_is_a_timeout_after_what_was_said() -> None:
    received: list[str] = []
    async with (
        LlmDouble(replies=["One two three."], hang="mid_reply") as llm,
        LlmClient(llm.url, timeouts=SHORT) as client,
    ):
        with pytest.raises(LlmTimeoutError, match=r"no chunk for 0\.8 s"):
            async for delta in client.stream_reply(HELLO, temperature=0.5):
                received.append(delta)
    assert received == ["One"]


async def test_slow_but_steady_chunks_are_not_a_timeout() -> None:
    async with (
        LlmDouble(replies=["a b c d e f"], chunk_delay_s=0.2) as llm,
        LlmClient(llm.url, timeouts=SHORT) as client,
    ):
        # 1.2 s in all, longer than either wait: each gap is timed, not the whole reply.
        assert "".join(await collect(client)) == "a b c d e f"


async def test_connection_refused_is_reported() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    async with LlmClient(f"http://127.0.0.1:{port}", model="m") as client:
        assert not await client.is_up()
        with pytest.raises(LlmConnectionError, match="cannot connect"):
            await collect(client)


async def test_a_runaway_reply_is_cut_by_the_reply_budget() -> None:
    budget = LlmTimeouts(connect=1.0, first_chunk=1.0, between_chunks=0.8, reply=0.4, probe=1.0)
    async with (
        LlmDouble(replies=["one two three four five six seven eight"], chunk_delay_s=0.1) as llm,
        LlmClient(llm.url, timeouts=budget) as client,
    ):
        with pytest.raises(LlmTimeoutError, match=r"reply took over 0\.4 s"):
            await collect(client)


@given(
    before=st.text(alphabet="ab <>/.", max_size=20),
    thought=st.text(alphabet="xy <>/.", max_size=20),
    after=st.text(alphabet="ab <>/.", max_size=20),
    cuts=st.lists(st.integers(min_value=0, max_value=80), max_size=8),
)
def test_think_filter_is_independent_of_chunking(
    before: str, thought: str, after: str, cuts: list[int]
) -> None:
    assume(all("think>" not in part for part in (before, thought, after)))
    text = f"{before}<think>{thought}</think>{after}"
    bounds = sorted({min(cut, len(text)) for cut in cuts} | {0, len(text)})
    think = ThinkTagFilter()
    spoken, reasoning = "", ""
    for start, end in itertools.pairwise(bounds):
        said, thought_part = think.feed(text[start:end])
        spoken, reasoning = spoken + said, reasoning + thought_part
    said, thought_part = think.finish()
    assert (spoken + said, reasoning + thought_part) == (before + after, thought)


def test_fallback_is_the_end_of_the_reasoning() -> None:
    reasoning = "First idea. Second idea!\nThird and last idea?"
    assert spoken_fallback_from_reasoning(reasoning) == "Second idea! Third and last idea?"
    assert spoken_fallback_from_reasoning("   ") == ""
    long = "word " * 200
    fallback = spoken_fallback_from_reasoning(long)
    assert 0 < len(fallback) <= 300
    assert set(fallback.split()) == {"word"}
