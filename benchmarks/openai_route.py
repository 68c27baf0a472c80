"""The OpenAI Realtime route next to the Unmute route: reply latency and audio codec cost.

1. `latency`: one backend process, one set of scripted STT/TTS/LLM servers (the test
   doubles, on loopback, answering at once), and turns taken alternately by an Unmute
   client (Ogg Opus) and by an OpenAI Realtime client (PCM16). For each turn: from the
   `input_audio_buffer.speech_stopped` event the client receives to its first audio
   delta (`response.audio.delta` / `response.output_audio.delta`). Both routes share the
   conversation core and the speech adapters, so they should agree within a few ms.
2. `codec`: the CPU the backend spends per minute of audio on each route's audio path:
   Opus in Ogg (decode the browser's pages, encode the bot's voice) against PCM16 (and
   G.711 u-law), base64 and the JSON event included, best of several repeats.
3. `memory`: the backend process's resident memory idle, after Unmute turns, after
   OpenAI turns (each configuring its session with instructions and a tool first), and
   after Unmute turns again: what serving the OpenAI route costs a backend that also
   serves the Unmute route.

    python -m benchmarks.openai_route latency [--turns 10]
    python -m benchmarks.openai_route codec
    python -m benchmarks.openai_route memory [--turns 3]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import statistics
import time
from collections.abc import Callable

import numpy as np
import numpy.typing as npt
from openai.types.realtime import ResponseAudioDeltaEvent
from websockets.asyncio.client import connect

from backend.audio.ogg import OpusInputDecoder, OpusOutputEncoder
from backend.openai_realtime.audio_format import FormatName, InputAudio, OutputAudio
from backend.openai_realtime.wire import serialize
from backend.realtime import events as ev
from tests.doubles.llm_double import LlmDouble
from tests.doubles.stt_double import SttDouble
from tests.doubles.tts_double import TtsDouble
from tests.integration.backend_server import backend_subprocess
from tests.integration.realtime_client import RealtimeClient, tone

SAMPLE_RATE = 24_000
REPEATS = 5
BROWSER_CHUNK = 960  # 40 ms: what a browser's Ogg muxer sends per append
BOT_CHUNK = 1920  # 80 ms: a TTS frame


# --- 1. latency ---------------------------------------------------------------------------


async def _unmute_turn(address: str) -> float:
    async with RealtimeClient(f"ws://{address}/v1/realtime") as client:
        await client.start_session(
            instructions={"type": "constant", "text": "Be brief."}, voice="voice-a"
        )
        await client.wait_count("response.audio.done", 1, timeout=20)  # the greeting
        await client.wait_for(lambda c: c.samples_sent > 3.2 * SAMPLE_RATE, 10)
        client.say(tone(0.8))
        await client.wait_count("input_audio_buffer.speech_stopped", 1, timeout=10)
        stopped = next(
            r.at for r in client.received if r.event.type == "input_audio_buffer.speech_stopped"
        )

        def first_audio(c: RealtimeClient) -> float | None:
            return next(
                (
                    r.at
                    for r in c.received
                    if r.event.type == "response.audio.delta" and r.at > stopped
                ),
                None,
            )

        await client.wait_for(lambda c: first_audio(c) is not None, 10, "the answer's audio")
        answered = first_audio(client)
        assert answered is not None
        return answered - stopped


SESSION_UPDATE = {
    "type": "session.update",
    "session": {
        "type": "realtime",
        "instructions": "Be brief.",
        "audio": {"output": {"voice": "voice-a"}},
        "tools": [
            {
                "type": "function",
                "name": "get_time",
                "description": "The time now.",
                "parameters": {"type": "object", "properties": {}},
            }
        ],
    },
}


async def _openai_turn(address: str, *, configure: bool = False) -> float:
    """A PCM16 client as light as the Unmute one (plain websockets and JSON): the SDK's
    own client, validating every event in this process, would add its cost to the figure
    and to the scripted servers sharing this process's event loop. With `configure`, a
    `session.update` (instructions, a voice, a tool) comes first."""
    url = f"ws://{address}/openai/v1/realtime?model=benchmark"
    async with connect(url, max_size=None) as ws:
        if configure:
            await ws.send(json.dumps(SESSION_UPDATE))
        received: list[tuple[float, str]] = []

        async def receive() -> None:
            async for message in ws:
                received.append((time.monotonic(), json.loads(message)["type"]))

        def first(kind: str) -> float | None:
            return next((at for at, k in received if k == kind), None)

        receiving = asyncio.create_task(receive())
        audio = np.concatenate([tone(0.8), np.zeros(3 * SAMPLE_RATE, dtype=np.float32)])
        started, sent = time.monotonic(), 0
        try:
            while sent < audio.size and first("response.output_audio.delta") is None:
                chunk = audio[sent : sent + BROWSER_CHUNK]
                sent += chunk.size
                data = base64.b64encode(OutputAudio("audio/pcm").encode(chunk)).decode()
                await ws.send(json.dumps({"type": "input_audio_buffer.append", "audio": data}))
                await asyncio.sleep(max(0.0, started + sent / SAMPLE_RATE - time.monotonic()))
        finally:
            receiving.cancel()
        stopped = first("input_audio_buffer.speech_stopped")
        answered = first("response.output_audio.delta")
        assert stopped is not None and answered is not None, "the turn was not answered"
        return answered - stopped


async def measure_latency(turns: int) -> dict[str, list[float]]:
    utterances = [["what", "time", "is", "it"]] * (2 * turns)
    stt = SttDouble(utterances, slots=8)
    tts = TtsDouble(word_duration_s=0.15, slots=8)
    llm = LlmDouble(lambda _: "It is nine o'clock.")
    results: dict[str, list[float]] = {"unmute": [], "openai": []}
    async with stt, tts, llm:
        env = {"UNMUTE_STT_URL": stt.url, "UNMUTE_TTS_URL": tts.url, "UNMUTE_LLM_URL": llm.url}
        async with backend_subprocess(env) as (address, _):
            for _ in range(turns):  # alternate, so host noise falls on both alike
                results["unmute"].append(await _unmute_turn(address))
                results["openai"].append(await _openai_turn(address))
    return results


# --- 3. memory ----------------------------------------------------------------------------


def _rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        line = next(line for line in status if line.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


async def measure_memory(turns: int) -> list[tuple[str, float]]:
    """The backend's RSS at each stage, a couple of seconds after it (so that ended
    sessions have been collected)."""
    stt = SttDouble([["what", "time", "is", "it"]] * (3 * turns), slots=8)
    tts = TtsDouble(word_duration_s=0.15, slots=8)
    llm = LlmDouble(lambda _: "It is nine o'clock.")
    stages: list[tuple[str, float]] = []
    async with stt, tts, llm:
        env = {"UNMUTE_STT_URL": stt.url, "UNMUTE_TTS_URL": tts.url, "UNMUTE_LLM_URL": llm.url}
        async with backend_subprocess(env) as (address, process):

            async def stage(name: str) -> None:
                await asyncio.sleep(2.0)
                stages.append((name, _rss_mib(process.pid)))

            await stage("idle")
            for _ in range(turns):
                await _unmute_turn(address)
            await stage(f"after {turns} Unmute turns")
            for _ in range(turns):
                await _openai_turn(address, configure=True)
            await stage(f"after {turns} OpenAI turns")
            for _ in range(turns):
                await _unmute_turn(address)
            await stage(f"after {turns} more Unmute turns")
    return stages


# --- 2. codec cost ------------------------------------------------------------------------


def _speech_like(seconds: float) -> npt.NDArray[np.float32]:
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    wave = 0.3 * np.sin(2 * np.pi * 180 * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 3 * t))
    noise = 0.02 * np.random.default_rng(0).standard_normal(t.size)
    return (wave + noise).astype(np.float32)


def _best_cpu_s(run: Callable[[], None]) -> float:
    best = float("inf")
    for _ in range(REPEATS):
        started = time.process_time()
        run()
        best = min(best, time.process_time() - started)
    return best


def _browser_pages(pcm: npt.NDArray[np.float32]) -> list[str]:
    """What a browser sends: Ogg Opus pages of 40 ms, each as an append event's JSON."""
    encoder = OpusOutputEncoder()
    messages = []
    for start in range(0, pcm.size, BROWSER_CHUNK):
        pages = encoder.encode(pcm[start : start + BROWSER_CHUNK])
        if pages:
            body = {"type": "input_audio_buffer.append", "audio": base64.b64encode(pages).decode()}
            messages.append(json.dumps(body))
    return messages


def _openai_appends(pcm: npt.NDArray[np.float32], name: FormatName) -> list[str]:
    out = OutputAudio(name)  # the client's encoder: its cost is the client's, not ours
    messages = []
    for start in range(0, pcm.size, BROWSER_CHUNK):
        data = out.encode(pcm[start : start + BROWSER_CHUNK])
        body = {"type": "input_audio_buffer.append", "audio": base64.b64encode(data).decode()}
        messages.append(json.dumps(body))
    return messages


def measure_codecs(seconds: float = 60.0) -> dict[str, dict[str, float]]:
    pcm = _speech_like(seconds)
    results: dict[str, dict[str, float]] = {}

    pages = _browser_pages(pcm)

    def opus_in() -> None:
        decoder = OpusInputDecoder()
        for message in pages:
            event = ev.client_event_adapter.validate_json(message)
            assert isinstance(event, ev.InputAudioBufferAppend)
            decoder.feed(base64.b64decode(event.audio))

    sent: list[int] = []

    def opus_out() -> None:
        encoder = OpusOutputEncoder()
        sent.clear()
        for start in range(0, pcm.size, BOT_CHUNK):
            data = encoder.encode(pcm[start : start + BOT_CHUNK])
            if data:
                delta = ev.ResponseAudioDelta(delta=base64.b64encode(data).decode())
                sent.append(len(delta.model_dump_json()))

    results["unmute (Ogg Opus)"] = {
        "in_cpu_s": _best_cpu_s(opus_in),
        "out_cpu_s": _best_cpu_s(opus_out),
        "in_kb": sum(len(m) for m in pages) / 1000,
        "out_kb": sum(sent) / 1000,
    }

    formats: list[tuple[FormatName, str]] = [
        ("audio/pcm", "openai (PCM16)"),
        ("audio/pcmu", "openai (G.711 u-law)"),
    ]
    for name, label in formats:
        appends = _openai_appends(pcm, name)

        def openai_in(appends: list[str] = appends, name: FormatName = name) -> None:
            audio = InputAudio(name)
            for message in appends:
                body = json.loads(message)
                audio.decode(base64.b64decode(body["audio"], validate=True))

        def openai_out(name: FormatName = name) -> None:
            audio = OutputAudio(name)
            sent.clear()
            for start in range(0, pcm.size, BOT_CHUNK):
                data = audio.encode(pcm[start : start + BOT_CHUNK])
                delta = ResponseAudioDeltaEvent(
                    type="response.output_audio.delta",
                    event_id="event_0123456789012345678901",
                    response_id="resp_0123456789012345678901",
                    item_id="item_0123456789012345678901",
                    output_index=0,
                    content_index=0,
                    delta=base64.b64encode(data).decode(),
                )
                sent.append(len(serialize(delta)))

        results[label] = {
            "in_cpu_s": _best_cpu_s(openai_in),
            "out_cpu_s": _best_cpu_s(openai_out),
            "in_kb": sum(len(m) for m in appends) / 1000,
            "out_kb": sum(sent) / 1000,
        }
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    latency = sub.add_parser("latency")
    latency.add_argument("--turns", type=int, default=10)
    sub.add_parser("codec")
    memory = sub.add_parser("memory")
    memory.add_argument("--turns", type=int, default=3)
    args = parser.parse_args()
    if args.what == "latency":
        results = asyncio.run(measure_latency(args.turns))
        print("| route | turns | median ms | min ms | max ms |")
        print("|---|---:|---:|---:|---:|")
        for route, values in results.items():
            ms = [v * 1000 for v in values]
            print(
                f"| {route} | {len(ms)} | {statistics.median(ms):.0f} | {min(ms):.0f} "
                f"| {max(ms):.0f} |"
            )
    elif args.what == "memory":
        print("| backend | RSS (MiB) |")
        print("|---|---:|")
        for name, mib in asyncio.run(measure_memory(args.turns)):
            print(f"| {name} | {mib:.1f} |")
    else:
        print("| route | CPU in, ms per audio minute | CPU out | kB in | kB out |")
        print("|---|---:|---:|---:|---:|")
        for route, figures in measure_codecs().items():
            print(
                f"| {route} | {figures['in_cpu_s'] * 1000:.0f} | {figures['out_cpu_s'] * 1000:.0f}"
                f" | {figures['in_kb']:.0f} | {figures['out_kb']:.0f} |"
            )


if __name__ == "__main__":
    main()
