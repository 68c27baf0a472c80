"""Where a reply's set-up time goes inside the backend: a backend process whose reply
path is stamped (the STT step that starts the reply, the reply's tasks created, its LLM
task first running, httpcore starting to write the request headers and finishing the
body), with each TTS stream's opening, written as JSON when the backend stops.

    python -m benchmarks.orchestration_overhead --levels 4 --duration 45 \\
        --backend-command "env REPLY_SETUP_OUT=/tmp/setup.json \\
            .venv/bin/python benchmarks/reply_setup_trace.py" --out /tmp/setup-run
    python -m benchmarks.reply_setup_trace /tmp/setup.json

The stamps wrap the methods they time, so they cost a few microseconds per reply.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Any

OUT_VARIABLE = "REPLY_SETUP_OUT"
STEPS = (
    ("step", "tasks", "the step arrives → the reply's tasks exist"),
    ("step", "llm_task", "the step arrives → the LLM task first runs"),
    ("llm_task", "headers", "the LLM task runs → httpcore starts writing the request"),
    ("headers", "body", "headers → body written"),
    ("step", "body", "the step arrives → the request is written"),
)


def _stop(signum: int, frame: FrameType | None) -> None:
    del signum, frame
    raise SystemExit(0)


def serve_traced(argv: list[str], out: Path) -> None:
    """Run `unmute-ops` with `argv`, its reply path stamped; write the stamps to `out`."""
    import httpcore._async.http11 as http11

    from backend import speech_out
    from backend.conversation_runner import ConversationRunner
    from backend.reply import Reply
    from ops.cli import app

    replies: dict[int, dict[str, float]] = {}  # by the id of the reply's LLM task
    opens: list[tuple[float, float]] = []
    step_at: dict[int, float] = {}  # by the id of the runner

    def stamp(name: str) -> None:
        stamps = replies.get(id(asyncio.current_task()))
        if stamps is not None:
            stamps.setdefault(name, time.monotonic())

    runner: Any = ConversationRunner
    stt_step, start_reply = runner._stt_step, runner._start_reply

    def traced_step(self: Any, step_idx: int, pause_probability: float) -> None:
        step_at[id(self)] = time.monotonic()
        stt_step(self, step_idx, pause_probability)

    def traced_start(self: Any, action: Any, t: float) -> None:
        start_reply(self, action, t)
        llm_task = self._reply._tasks[0]
        replies[id(llm_task)] = {"step": step_at.get(id(self), t), "tasks": time.monotonic()}

    runner._stt_step, runner._start_reply = traced_step, traced_start

    reply: Any = Reply
    generate = reply._generate

    async def traced_generate(self: Any, *args: Any) -> None:
        stamp("llm_task")
        await generate(self, *args)

    reply._generate = traced_generate

    connection: Any = http11.AsyncHTTP11Connection
    send_headers, send_body = connection._send_request_headers, connection._send_request_body

    async def traced_headers(self: Any, request: Any) -> None:
        stamp("headers")
        await send_headers(self, request)

    async def traced_body(self: Any, request: Any) -> None:
        await send_body(self, request)
        stamp("body")

    connection._send_request_headers, connection._send_request_body = traced_headers, traced_body

    out_module: Any = speech_out.SpeechOut
    open_stream = out_module._open

    async def traced_open(self: Any) -> Any:
        started = time.monotonic()
        stream = await open_stream(self)
        opens.append((started, time.monotonic()))
        return stream

    out_module._open = traced_open

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    sys.argv = ["unmute-ops", *argv]
    try:
        app()
    except SystemExit:
        pass
    finally:
        out.write_text(json.dumps({"replies": list(replies.values()), "tts_opens": opens}))


def _p50_max_ms(values: list[float]) -> str:
    ordered = sorted(values)
    return f"{ordered[len(ordered) // 2] * 1e3:.2f} / {ordered[-1] * 1e3:.2f} ms"


def summarize(path: Path) -> str:
    trace = json.loads(path.read_text())
    replies = [r for r in trace["replies"] if "body" in r]
    lines = [f"{len(replies)} replies; p50 / max", "", "| step | time |", "|---|---:|"]
    for start, end, label in STEPS:
        lines.append(f"| {label} | {_p50_max_ms([r[end] - r[start] for r in replies])} |")
    opening = [end - start for start, end in trace["tts_opens"]]
    lines.append(f"| the TTS stream's opening | {_p50_max_ms(opening)} |")
    return "\n".join(lines)


def main() -> None:
    out = os.environ.get(OUT_VARIABLE)
    if out is not None:
        serve_traced(sys.argv[1:], Path(out))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("trace", type=Path, help="a file written by a traced backend")
    print(summarize(parser.parse_args().trace))


if __name__ == "__main__":
    main()
