"""Run Kyutai's Unmute backend where the benchmarks run ours, to compare their CPU on the
same load: `benchmark_stack` appends `serve backend --host H --port P` to a backend
command and passes the servers in `UNMUTE_*_URL`; this maps both onto Kyutai's uvicorn
command line and `KYUTAI_*_URL`, then becomes that process (same PID, so /proc and perf
see Kyutai's backend itself).

A checkout of github.com/kyutai-labs/unmute with its locked dependencies in `.venv`
(Python 3.12; `uv export --frozen --no-dev` for the versions: unpinned, its gradio import
breaks), as `docs/benchmarks.md` shows:

    python -m benchmarks.conversation_cost --levels 4 \\
        --backend-command "python -m benchmarks.kyutai_backend /path/to/kyutai-unmute"
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

SERVERS = ("STT", "TTS", "LLM")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkout", type=Path, help="kyutai-labs/unmute, with .venv inside")
    parser.add_argument("serve", choices=["serve"])
    parser.add_argument("role", choices=["backend"])
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", required=True)
    args = parser.parse_args()
    checkout: Path = args.checkout.resolve()
    python = checkout / ".venv" / "bin" / "python"
    if not python.exists():
        sys.exit(f"{python} not found: install Kyutai's backend there (docs/benchmarks.md)")
    env = dict(os.environ)
    for server in SERVERS:
        url = env.pop(f"UNMUTE_{server}_URL", None)
        if url is None:
            sys.exit(f"UNMUTE_{server}_URL is not set")
        env[f"KYUTAI_{server}_URL"] = url
    os.chdir(checkout)
    # Kyutai's production command (its Dockerfile), uvloop and httptools included.
    command = [
        str(python),
        *("-m", "uvicorn", "unmute.main_websocket:app"),
        *("--host", args.host, "--port", args.port, "--ws-per-message-deflate=false"),
    ]
    os.execve(command[0], command, env)


if __name__ == "__main__":
    main()
