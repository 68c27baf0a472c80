"""Measurements of the CPU LLM server (`unmute-ops serve llm`) over real sockets.

    .venv/bin/python -m benchmarks.llm_bench [--model-file PATH] [--threads 1]
        [--prompt-threads N]
        [--no-requantize] [--conversations 3] [--quality-out answers.json]
        [--replies-fed-back as-heard|as-spoken] [--seed N] [--follow-ups-only]

The server runs as its own process, as in production, and is spoken to the way the
backend speaks to it: streamed chat completions with the backend's own system prompt
(small talk), its greeting turn and the replies fed back as the assistant's turns, as
the backend's history keeps them: the spoken words laid out with the LLM's own separators,
or (`--replies-fed-back as-spoken`, the backend's way before) joined by single spaces, for
before/after runs. `--seed` makes the server's sampling repeat, so
runs of both ways can be paired; `--follow-ups-only` stops after part 1.
1. One conversation at a time: time to first token (TTFT) of the greeting and of three
   follow-up turns, generation speed (tokens/s after the first), prompt reading speed
   (uncached prompt tokens / TTFT), how many prompt tokens were reused and how many
   computed again (the rest: a reply fed back unlike it was written costs some). The first
   conversation after start computes everything; later ones share the rules at the top
   of the system prompt with it.
2. Two conversations taking turns (A1 B1 A2 B2 A3 B3), with the prompt cache, then with
   `--prompt-cache-mb 0` (a second server): each turn's TTFT and reused tokens.
3. Memory: the server's resident set after all of it (the model file's pages apart), and
   its peak (VmHWM).
4. With --quality-out: answers to 20 everyday questions (greedy, so repeatable), each in
   a fresh conversation, with a lenient keyword check where the question has one right
   answer. Read them: the check only says whether the expected word appears.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from backend.characters.prompts import system_prompt
from backend.conversation.rules import GREETING_USER_TURN
from backend.realtime.events import QuizShowInstructions, SmalltalkInstructions
from backend.text.spoken_words import SpokenWords

START_TIMEOUT_S = 120.0
NOW = datetime(2025, 6, 2, 9, 30)  # a fixed date: the same prompt in every run
FOLLOW_UPS = ("How was your weekend?", "What should I cook tonight?", "Thanks, bye for now!")
QUIZ_ANSWERS = ("Paris!", "I think it's seven.", "Jupiter?")
Messages = list[dict[str, str]]
FED_BACK = ("as-heard", "as-spoken")

# (question, words of which one must appear in a right answer; none for open questions)
QUESTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("What is the capital of France?", ("paris",)),
    ("How many days are there in a week?", ("seven", "7")),
    ("What color is the sky on a clear day?", ("blue",)),
    ("What do bees make?", ("honey",)),
    ("How many legs does a spider have?", ("eight", "8")),
    ("At what temperature does water boil, in Celsius?", ("100", "hundred")),
    ("Who wrote Romeo and Juliet?", ("shakespeare",)),
    ("What is the largest planet in our solar system?", ("jupiter",)),
    ("What gas do plants take in from the air?", ("carbon dioxide", "co2")),
    ("How many minutes are there in an hour?", ("sixty", "60")),
    ("What is the opposite of hot?", ("cold",)),
    ("What do we call frozen water?", ("ice",)),
    ("Which is the largest ocean on Earth?", ("pacific",)),
    ("What is two plus two?", ("four", "4")),
    ("What can I cook quickly for dinner tonight?", ()),
    ("How can I fall asleep more easily?", ()),
    ("What should I bring to a picnic?", ()),
    ("How do I make a cup of tea?", ()),
    ("What is a good way to stay fit without a gym?", ()),
    ("Any tip to remember people's names?", ()),
)


@dataclass
class Turn:
    ttft_s: float
    tokens_per_s: float | None  # after the first token
    prompt_tokens: int
    cached_tokens: int
    completion_tokens: int
    text: str  # as streamed (the LLM client drops leading whitespace)
    # The reply before this turn reads otherwise as its spoken words joined by spaces.
    after_rejoined_reply: bool = False

    @property
    def computed_tokens(self) -> int:
        return self.prompt_tokens - self.cached_tokens

    @property
    def prompt_read_per_s(self) -> float:
        return self.computed_tokens / self.ttft_s


class Server:
    def __init__(self, extra: list[str]) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        command = [str(Path(sys.executable).parent / "unmute-ops"), "serve", "llm"]
        self.process = subprocess.Popen(
            [*command, "--port", str(self.port), *extra],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"serve llm exited with code {self.process.returncode}")
            try:
                if httpx.get(f"{self.url}/v1/models").status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("serve llm did not start")

    def memory_mib(self) -> dict[str, float]:
        """Resident set now (of which the model file's pages, shared and reclaimable, and
        the rest), and its peak."""
        fields = ("VmRSS", "RssFile", "RssAnon", "VmHWM")
        status = Path(f"/proc/{self.process.pid}/status").read_text().splitlines()
        rows = (row.split() for row in status if row.split(":")[0] in fields)
        return {row[0].rstrip(":"): int(row[1]) / 1024 for row in rows}

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)


async def ask(
    http: httpx.AsyncClient,
    url: str,
    messages: Messages,
    temperature: float,
    seed: int | None = None,
) -> Turn:
    body = {
        "messages": messages,
        "temperature": temperature,
        "stream": True,
        "stream_options": {"include_usage": True},
        "seed": seed,
    }
    started = time.perf_counter()
    stamps: list[float] = []
    pieces: list[str] = []
    usage: dict[str, Any] = {}
    async with http.stream("POST", f"{url}/v1/chat/completions", json=body) as response:
        async for line in response.aiter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            chunk = json.loads(line.removeprefix("data: "))
            if chunk.get("usage"):
                usage = chunk["usage"]
            for choice in chunk["choices"]:
                if text := choice["delta"].get("content"):
                    stamps.append(time.perf_counter())
                    pieces.append(text)
    generated = usage["completion_tokens"]
    speed = (generated - 1) / (stamps[-1] - stamps[0]) if generated > 2 else None
    return Turn(
        ttft_s=stamps[0] - started if stamps else float("nan"),
        tokens_per_s=speed,
        prompt_tokens=usage["prompt_tokens"],
        cached_tokens=usage["prompt_tokens_details"]["cached_tokens"],
        completion_tokens=generated,
        text="".join(pieces).lstrip(),
    )


def fed_back(text: str, how: str) -> str:
    """The reply as the backend's history holds it once heard to its end."""
    words = SpokenWords()
    spoken = [*words.push(text), *words.flush()]
    if how == "as-heard":
        return "".join(word.laid_out for word in spoken)
    return " ".join(word.text for word in spoken)


class Conversation:
    """The backend's way: system prompt, "Hello!" for the greeting, replies fed back."""

    def __init__(self, system: str, fed_back: str = "as-heard", seed: int | None = None) -> None:
        self.messages: Messages = [
            {"role": "system", "content": system},
            {"role": "user", "content": GREETING_USER_TURN},
        ]
        self._fed_back = fed_back
        self._seed = seed
        self._last_rejoins_otherwise = False

    async def turn(self, http: httpx.AsyncClient, url: str, user: str | None) -> Turn:
        if user is not None:
            self.messages.append({"role": "user", "content": user})
        # The backend's temperatures: livelier for the greeting, steadier afterwards.
        temperature = 0.7 if user is None else 0.3
        seed = None if self._seed is None else self._seed + len(self.messages)
        turn = await ask(http, url, self.messages, temperature, seed)
        turn.after_rejoined_reply = self._last_rejoins_otherwise
        self._last_rejoins_otherwise = fed_back(turn.text, "as-spoken") != turn.text
        self.messages.append({"role": "assistant", "content": fed_back(turn.text, self._fed_back)})
        return turn


def show(label: str, turn: Turn) -> None:
    speed = f"{turn.tokens_per_s:5.0f}" if turn.tokens_per_s else "    -"
    print(
        f"  {label:<26} TTFT {turn.ttft_s * 1000:6.0f} ms   {speed} tok/s   prompt "
        f"{turn.prompt_tokens:4d} ({turn.cached_tokens:4d} reused, {turn.computed_tokens:3d} "
        f"computed at {turn.prompt_read_per_s:4.0f} tok/s)   {turn.completion_tokens:3d} written"
        + ("   (after a reply that rejoins otherwise)" if turn.after_rejoined_reply else "")
    )


async def one_at_a_time(
    url: str, conversations: int, fed_back: str = "as-heard", seed: int | None = None
) -> list[list[Turn]]:
    runs: list[list[Turn]] = []
    async with httpx.AsyncClient(timeout=120) as http:
        for index in range(conversations):
            print(f"conversation {index + 1} (small talk)")
            # A minute apart: the date line of the prompt differs, as between real calls.
            now = NOW + timedelta(minutes=index)
            system = system_prompt(SmalltalkInstructions(), now=now)
            chat = Conversation(system, fed_back, None if seed is None else seed + 100 * index)
            turns = [await chat.turn(http, url, None)]
            show("greeting", turns[0])
            for question in FOLLOW_UPS:
                turns.append(await chat.turn(http, url, question))
                show(question, turns[-1])
            runs.append(turns)
    return runs


async def taking_turns(url: str) -> list[Turn]:
    smalltalk = Conversation(system_prompt(SmalltalkInstructions(), now=NOW))
    quiz = Conversation(system_prompt(QuizShowInstructions(), now=NOW, secret_seed=1))
    turns: list[Turn] = []
    async with httpx.AsyncClient(timeout=120) as http:
        pairs = zip((None, *FOLLOW_UPS[:2]), (None, *QUIZ_ANSWERS[:2]), strict=True)
        for index, (a, b) in enumerate(pairs):
            for name, chat, user in (("A", smalltalk, a), ("B", quiz, b)):
                turns.append(await chat.turn(http, url, user))
                show(f"{name}{index + 1}", turns[-1])
    return turns


async def quality(url: str) -> list[dict[str, object]]:
    answers: list[dict[str, object]] = []
    system = system_prompt(SmalltalkInstructions(), now=NOW)
    async with httpx.AsyncClient(timeout=120) as http:
        for question, expected in QUESTIONS:
            messages = [
                {"role": "system", "content": system},
                {"role": "user", "content": question},
            ]
            turn = await ask(http, url, messages, temperature=0.0)
            answer = turn.text.strip()
            found = any(word in answer.lower() for word in expected) if expected else None
            answers.append({"question": question, "answer": answer, "keyword_found": found})
            mark = {True: "✓", False: "✗", None: "?"}[found]
            print(f"  {mark} {question}\n      {answer}")
    return answers


def spread(values: list[float]) -> str:
    if not values:
        return "-"
    if len(values) == 1:
        return f"{values[0]:.0f}"
    return f"{min(values):.0f}–{max(values):.0f} (median {statistics.median(values):.0f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model-file", type=Path)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--prompt-threads", type=int, help="the server's cap (default: one per idle core)"
    )
    parser.add_argument("--no-requantize", action="store_true")
    parser.add_argument("--conversations", type=int, default=3)
    parser.add_argument(
        "--quality-out", type=Path, help="ask the 20 questions too; their answers go here (JSON)"
    )
    parser.add_argument("--replies-fed-back", choices=FED_BACK, default=FED_BACK[0])
    parser.add_argument("--seed", type=int, help="the server's sampling seed (default: random)")
    parser.add_argument("--follow-ups-only", action="store_true", help="part 1 only")
    args = parser.parse_args()
    extra = ["--threads", str(args.threads)]
    extra += ["--prompt-threads", str(args.prompt_threads)] if args.prompt_threads else []
    extra += ["--model-file", str(args.model_file)] if args.model_file else []
    extra += ["--no-requantize"] if args.no_requantize else []

    server = Server(extra)
    cached: list[Turn] = []
    answers: list[dict[str, object]] = []
    try:
        print(f"1. one conversation at a time, replies fed back {args.replies_fed_back}")
        runs = asyncio.run(
            one_at_a_time(server.url, args.conversations, args.replies_fed_back, args.seed)
        )
        if not args.follow_ups_only:
            print("2. two conversations taking turns, prompt cache on")
            cached = asyncio.run(taking_turns(server.url))
        if args.quality_out:
            print("4. twenty everyday questions")
            answers = asyncio.run(quality(server.url))
        memory = server.memory_mib()
    finally:
        server.stop()
    uncached: list[Turn] = []
    if not args.follow_ups_only:
        uncached_server = Server([*extra, "--prompt-cache-mb", "0"])
        try:
            print("2. two conversations taking turns, prompt cache off")
            uncached = asyncio.run(taking_turns(uncached_server.url))
        finally:
            uncached_server.stop()

    follow_ups = [turn for run in runs for turn in run[1:]]
    print("\nsummary (ms; ranges over turns)")
    print(f"  cold greeting TTFT           {spread([runs[0][0].ttft_s * 1000])}")
    print(f"  later greetings TTFT         {spread([r[0].ttft_s * 1000 for r in runs[1:]])}")
    print(f"  follow-up TTFT               {spread([t.ttft_s * 1000 for t in follow_ups])}")
    for index in range(1, len(FOLLOW_UPS) + 1):
        turns = [run[index] for run in runs]
        print(
            f"  turn {index + 1}: TTFT {spread([t.ttft_s * 1000 for t in turns])}, prompt "
            f"tokens computed {spread([t.computed_tokens for t in turns])}"
        )
    rejoined = [t for t in follow_ups if t.after_rejoined_reply]
    print(
        f"  after a reply whose spoken words rejoin otherwise ({len(rejoined)} of "
        f"{len(follow_ups)}): TTFT {spread([t.ttft_s * 1000 for t in rejoined])}, prompt "
        f"tokens computed {spread([t.computed_tokens for t in rejoined])}"
    )
    computed = [t.computed_tokens for t in follow_ups]
    print(f"  prompt tokens computed per follow-up: mean {statistics.mean(computed):.1f}")
    print(f"  generation tok/s             {spread([t.tokens_per_s or 0 for t in follow_ups])}")
    print(f"  prompt reading tok/s (cold)  {spread([runs[0][0].prompt_read_per_s])}")
    for label, turns in (("on", cached[2:]), ("off", uncached[2:])):
        if turns:
            ttfts = [t.ttft_s * 1000 for t in turns]
            print(f"  turns 2-3 taking turns, cache {label:<4} {spread(ttfts)}")
    print(
        "  resident memory {VmRSS:.0f} MiB (file {RssFile:.0f}, anonymous {RssAnon:.0f}), "
        "peak {VmHWM:.0f} MiB".format(**memory)
    )
    if args.quality_out:
        found = [a["keyword_found"] for a in answers if a["keyword_found"] is not None]
        print(f"  factual answers with the expected word: {sum(map(bool, found))}/{len(found)}")
        args.quality_out.write_text(
            json.dumps(
                {"answers": answers, "runs": [[asdict(t) for t in r] for r in runs]}, indent=2
            )
        )


if __name__ == "__main__":
    main()
