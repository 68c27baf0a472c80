"""Server CPU per browser message, through each WebSocket protocol the backend can use.

A uvicorn app that only counts messages runs in a child process under each protocol; a
websockets client sends it `--messages` `input_audio_buffer.append` events of 1.3 kB
(four per 0.5 ms pause, so reads hold few frames, as a browser's do); the server's CPU
time comes from /proc. Hot caches: this is the protocols' own cost, not what a message
costs in a backend that sleeps between messages.

    python -m benchmarks.browser_frames [--messages 20000] [--rounds 2]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import subprocess
import sys
import time

from websockets.sync.client import connect

from benchmarks.benchmark_stack import free_port
from benchmarks.process_stats import sample_process

PROTOCOLS = {
    "uvicorn's (coalesced writes)": "backend.realtime.coalescing_websocket:"
    "CoalescingWebSocketProtocol",
    "the backend's (frames read directly)": "backend.realtime.browser_websocket:"
    "BrowserWebSocketProtocol",
}
_SERVER = """
import importlib, sys, uvicorn
from fastapi import FastAPI, WebSocket
module, name = sys.argv[1].split(":")
app = FastAPI()

@app.websocket("/count")
async def count(websocket: WebSocket) -> None:
    await websocket.accept()
    received = 0
    while (message := await websocket.receive())["type"] != "websocket.disconnect":
        received += 1
        if message.get("text") == "end":
            await websocket.send_text(str(received))

uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning",
            ws=getattr(importlib.import_module(module), name), ws_per_message_deflate=False)
"""


def server_us_per_message(protocol: str, messages: int) -> float:
    port = free_port()
    server = subprocess.Popen([sys.executable, "-c", _SERVER, protocol, str(port)])
    try:
        audio = base64.b64encode(os.urandom(1000)).decode()
        message = json.dumps({"type": "input_audio_buffer.append", "audio": audio})
        for _ in range(100):
            try:
                ws = connect(f"ws://127.0.0.1:{port}/count", compression=None)
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError("the server did not start")
        with ws:
            before = sample_process(server.pid).cpu_s
            for index in range(messages):
                ws.send(message)
                if index % 4 == 0:
                    time.sleep(0.0005)
            ws.send("end")
            if int(ws.recv()) != messages + 1:
                raise RuntimeError("the server lost messages")
            cpu_s = sample_process(server.pid).cpu_s - before
        return 1e6 * cpu_s / messages
    finally:
        server.terminate()
        server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    print("| protocol | server CPU per message (µs), by round |\n|---|---|")
    results: dict[str, list[float]] = {name: [] for name in PROTOCOLS}
    for _ in range(args.rounds):
        for name, protocol in PROTOCOLS.items():
            results[name].append(server_us_per_message(protocol, args.messages))
    for name, figures in results.items():
        print(f"| {name} | {' / '.join(f'{us:.1f}' for us in figures)} |")


if __name__ == "__main__":
    main()
