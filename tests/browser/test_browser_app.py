"""The browser app end to end, in real headless Chromium against the real local stack.

Runs the frontend's end-to-end suite (`frontend/tests/e2e`: vitest driving Debian's
Chromium through playwright-core, with a fake microphone playing spoken WAV clips) and
fails when it fails. `./scripts/setup` installs Chromium and the Node packages and builds
the app; this test rebuilds it first if a source changed since.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

FRONTEND = Path(__file__).resolve().parents[2] / "frontend"
UNMUTE_OPS = Path(sys.executable).with_name("unmute-ops")
BUILD_TIMEOUT_S = 300
# The stack's start (~20 s), about a minute of conversations, and one resumed after its
# backend was killed (~1 min).
E2E_TIMEOUT_S = 540
SCREENSHOTS = (
    "conversation-desktop.png",
    "conversation-phone.png",
    "barge-in.png",
    "waiting-for-seat.png",
    "services-down.png",
    "resumed.png",
)


def _npm() -> str:
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail("npm is not installed: run ./scripts/setup")
    if not (FRONTEND / "node_modules").is_dir():
        pytest.fail("frontend/node_modules is missing: run ./scripts/setup")
    return npm


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.timeout(BUILD_TIMEOUT_S + E2E_TIMEOUT_S + 60)
def test_browser_app_end_to_end() -> None:
    npm = _npm()
    subprocess.run(
        [npm, "run", "--silent", "build:if-stale"],
        cwd=FRONTEND,
        check=True,
        timeout=BUILD_TIMEOUT_S,
    )
    started = time.time()
    result = subprocess.run(
        [npm, "run", "test:e2e"],
        cwd=FRONTEND,
        env={**os.environ, "UNMUTE_OPS": str(UNMUTE_OPS), "NO_COLOR": "1"},
        capture_output=True,
        text=True,
        timeout=E2E_TIMEOUT_S,
    )
    report = f"{result.stdout[-12_000:]}\n{result.stderr[-4_000:]}"
    assert result.returncode == 0, f"the browser suite failed:\n{report}"
    for name in SCREENSHOTS:
        shot = FRONTEND / "test-results" / name
        assert shot.is_file() and shot.stat().st_mtime >= started, f"no fresh screenshot {shot}"
