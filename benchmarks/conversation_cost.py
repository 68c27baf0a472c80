"""What whole conversations cost one backend process, on a load not shaped by our own
load tester: moshi-paced servers (`benchmarks.moshi_paced`) and simulated browsers that
encode their microphone as they go.

Each simulated browser connects, configures the session, hears the greeting, says three
things (hearing a reply to each), and closes: four bot turns, three user turns, about
30 s. Its microphone is 80 ms chunks of real speech or silence, in real time, through
sphn's `OpusStreamWriter`: one `input_audio_buffer.append` per chunk with whatever Ogg
pages the writer produced. The backend's whole CPU time from before the first
connection to after the last close is divided by the conversations (and by their
minutes), so set-up and tear-down count as they do for real users. Set-up and tear-down
alone are measured by conversations that close as soon as the session is configured.

    python -m benchmarks.conversation_cost --levels 1,4,16 --out benchmarks/results/cost
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import itertools
import json
import shlex
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import sphn
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from benchmarks.benchmark_stack import Stack, benchmark_stack
from benchmarks.process_stats import sample_process
from loadtest.clips import load_clips

SAMPLE_RATE = 24_000
CHUNK = 1920  # the microphone's 80 ms chunks
CHUNK_S = CHUNK / SAMPLE_RATE
USER_TURNS = 3
PAUSE_BEFORE_SPEAKING_S = 0.5
TURN_TIMEOUT_S = 30.0
SETTLE_S = 2.0  # after the last close, so tear-down is inside the measured window
WARM_UP_CONVERSATIONS = 2
# What Kyutai's browser app sends for a character (Kyutai's backend greets only once it
# has instructions, and requires `allow_recording`); ours takes the same.
SESSION = {
    "instructions": {"type": "constant", "text": "You are a helpful voice assistant."},
    "allow_recording": False,
}

Pcm = npt.NDArray[np.float32]


@dataclass
class ConversationRecord:
    seconds: float
    bot_turns: int
    failure: str | None = None


class SimulatedBrowser:
    """One browser tab: a real-time microphone and a counter of the bot's finished turns."""

    def __init__(self, ws: ClientConnection) -> None:
        self._ws = ws
        self._writer = sphn.OpusStreamWriter(SAMPLE_RATE)
        self._speech: list[Pcm] = []
        self._spoken = asyncio.Event()
        self.bot_turns = 0
        self.errors: list[str] = []
        self._turn_done = asyncio.Event()

    async def microphone(self) -> None:
        """Send an 80 ms chunk every 80 ms on an absolute schedule: speech when there is
        some to say, else silence."""
        started = time.monotonic()
        for chunk_index in itertools.count():
            delay = started + chunk_index * CHUNK_S - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            chunk = self._next_chunk()
            pages = self._writer.append_pcm(chunk)
            if pages:
                audio = base64.b64encode(pages).decode()
                await self._ws.send(
                    json.dumps({"type": "input_audio_buffer.append", "audio": audio})
                )

    def _next_chunk(self) -> Pcm:
        if not self._speech:
            return np.zeros(CHUNK, np.float32)
        chunk, rest = self._speech[0][:CHUNK], self._speech[0][CHUNK:]
        self._speech = [rest] if rest.size else []
        if not self._speech:
            self._spoken.set()
        return np.pad(chunk, (0, CHUNK - chunk.size))

    async def say(self, pcm: Pcm) -> None:
        self._spoken.clear()
        self._speech = [pcm]
        await self._spoken.wait()

    async def listen(self) -> None:
        async for message in self._ws:
            event = json.loads(message)
            kind = event.get("type")
            if kind == "response.audio.done":
                self.bot_turns += 1
                self._turn_done.set()
            elif kind == "error":
                self.errors.append(str(event.get("error", {}).get("message")))

    async def until_bot_turns(self, count: int) -> None:
        while self.bot_turns < count:
            self._turn_done.clear()
            await self._turn_done.wait()


async def converse(url: str, clips: list[Pcm], *, talk: bool) -> ConversationRecord:
    started = time.monotonic()
    browser: SimulatedBrowser | None = None
    try:
        async with connect(
            url, compression=None, max_size=None, subprotocols=[Subprotocol("realtime")]
        ) as ws:
            browser = SimulatedBrowser(ws)
            listening = asyncio.create_task(browser.listen())
            microphone = asyncio.create_task(browser.microphone())
            try:
                await ws.send(json.dumps({"type": "session.update", "session": SESSION}))
                if talk:
                    async with asyncio.timeout(TURN_TIMEOUT_S * (USER_TURNS + 1)):
                        await browser.until_bot_turns(1)
                        for turn in range(USER_TURNS):
                            await asyncio.sleep(PAUSE_BEFORE_SPEAKING_S)
                            await browser.say(clips[turn % len(clips)])
                            await browser.until_bot_turns(turn + 2)
                else:
                    async with asyncio.timeout(TURN_TIMEOUT_S):
                        while True:  # closes as soon as the session is configured
                            event = json.loads(await ws.recv())
                            if event.get("type") == "session.updated":
                                break
            finally:
                microphone.cancel()
                listening.cancel()
        failure = "; ".join(browser.errors) or None
        return ConversationRecord(time.monotonic() - started, browser.bot_turns, failure)
    except (TimeoutError, OSError) as error:
        turns = browser.bot_turns if browser else 0
        return ConversationRecord(time.monotonic() - started, turns, repr(error))


@dataclass
class LevelCost:
    concurrency: int
    kind: str
    conversations: int
    failed: int
    conversation_s_mean: float
    backend_cpu_s: float
    cpu_s_per_conversation: float
    cpu_s_per_conversation_minute: float
    rss_mib_peak: float
    failures: list[str]


async def run_level(
    stack: Stack, clips: list[Pcm], concurrency: int, per_client: int, *, talk: bool
) -> LevelCost:
    pid = stack.backend.pid
    before = sample_process(pid)
    peak_rss = before.rss_mib
    records: list[ConversationRecord] = []
    stagger = (30.0 if talk else 1.0) / concurrency

    async def client(index: int) -> None:
        await asyncio.sleep(index * stagger)
        for _ in range(per_client):
            records.append(await converse(stack.realtime_url, clips, talk=talk))

    async def watch_memory() -> None:
        nonlocal peak_rss
        while True:
            peak_rss = max(peak_rss, sample_process(pid).rss_mib)
            await asyncio.sleep(1.0)

    watcher = asyncio.create_task(watch_memory())
    await asyncio.gather(*(client(i) for i in range(concurrency)))
    await asyncio.sleep(SETTLE_S)
    watcher.cancel()
    cpu = sample_process(pid).cpu_s - before.cpu_s
    minutes = sum(r.seconds for r in records) / 60
    return LevelCost(
        concurrency=concurrency,
        kind="whole" if talk else "connect, configure, close",
        conversations=len(records),
        failed=sum(1 for r in records if r.failure or (talk and r.bot_turns < USER_TURNS + 1)),
        conversation_s_mean=float(np.mean([r.seconds for r in records])),
        backend_cpu_s=cpu,
        cpu_s_per_conversation=cpu / len(records),
        cpu_s_per_conversation_minute=cpu / minutes if minutes else 0.0,
        rss_mib_peak=peak_rss,
        failures=[
            f"{r.failure or 'too few bot turns'} after {r.seconds:.1f} s, {r.bot_turns} bot turns"
            for r in records
            if r.failure or (talk and r.bot_turns < USER_TURNS + 1)
        ],
    )


def markdown(levels: list[LevelCost]) -> str:
    lines = [
        "| conversations at once | kind | conversations | failed | mean length (s) "
        "| backend CPU-s | CPU-s per conversation | CPU-s per conversation-minute "
        "| RSS peak (MiB) |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for level in levels:
        per_minute = f"{level.cpu_s_per_conversation_minute:.2f}" if level.kind == "whole" else "–"
        lines.append(
            f"| {level.concurrency} | {level.kind} | {level.conversations} | {level.failed} "
            f"| {level.conversation_s_mean:.2f} | {level.backend_cpu_s:.2f} "
            f"| {level.cpu_s_per_conversation:.3f} | {per_minute} "
            f"| {level.rss_mib_peak:.0f} |"
        )
    return "\n".join(lines) + "\n"


async def main_async(args: argparse.Namespace) -> list[LevelCost]:
    clips = [clip.pcm for clip in load_clips()]
    out: Path = args.out
    results: list[LevelCost] = []
    async with benchmark_stack(
        max(args.levels),
        out,
        servers_module="benchmarks.moshi_paced",
        backend_command=shlex.split(args.backend_command) if args.backend_command else None,
    ) as stack:
        for _ in range(WARM_UP_CONVERSATIONS):
            await converse(stack.realtime_url, clips, talk=True)
        for concurrency in args.levels:
            per_client = max(1, args.conversations // concurrency)
            results.append(await run_level(stack, clips, concurrency, per_client, talk=True))
            short = max(args.setups // concurrency, 1)
            results.append(await run_level(stack, clips, concurrency, short, talk=False))
            print(markdown(results[-2:]), flush=True)
    (out / "summary.md").write_text(markdown(results))
    figures: list[dict[str, Any]] = [asdict(level) for level in results]
    (out / "figures.json").write_text(json.dumps(figures, indent=2))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--levels", type=lambda s: [int(v) for v in s.split(",")], default=[1, 4, 16]
    )
    parser.add_argument(
        "--conversations",
        type=int,
        default=16,
        help="whole conversations per level (at least one per client)",
    )
    parser.add_argument(
        "--setups", type=int, default=32, help="set-up-only conversations per level"
    )
    parser.add_argument(
        "--backend-command",
        help="run the backend with this command instead of `unmute-ops` (then `serve backend "
        "--host --port` follow), e.g. another Python's `python -m ops.cli`",
    )
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/conversation-cost"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    print(markdown(asyncio.run(main_async(args))))


if __name__ == "__main__":
    main()
