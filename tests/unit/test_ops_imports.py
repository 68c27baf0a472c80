"""What each entry point imports, so that each image needs only its component's extra:
`unmute-ops` loads a verb's dependencies when the verb runs, and the backend loads no
speech engine, plotting library or Docker SDK."""

from __future__ import annotations

import json
import subprocess
import sys

ENGINES = {"pocketsphinx", "espeakng_loader", "webrtcvad", "llama_cpp", "onnxruntime"}
ENGINES |= {"faster_whisper", "ctranslate2"}


def imported_modules_after(code: str) -> set[str]:
    """The modules loaded by `code` in a fresh interpreter."""
    report = "import sys, json; print(json.dumps(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", f"{code}\n{report}"], capture_output=True, text=True, check=True
    )
    return set(json.loads(result.stdout.splitlines()[-1]))


def imported_after(code: str) -> set[str]:
    """The top-level modules loaded by `code` in a fresh interpreter."""
    return {module.split(".")[0] for module in imported_modules_after(code)}


def test_the_command_line_tool_loads_no_verb_s_heavy_dependencies() -> None:
    # With the images' entry point, `python -m ops.swarm.serve`.
    loaded = imported_after("import ops.cli\nimport ops.swarm.serve")
    assert not loaded & (ENGINES | {"matplotlib", "docker", "loadtest", "backend"})


def test_the_backend_loads_no_engine_plotting_library_or_docker_sdk() -> None:
    loaded = imported_after("from backend.app import create_app")
    assert "fastapi" in loaded
    assert not loaded & (ENGINES | {"matplotlib", "docker", "loadtest", "embedded"})


def test_the_backend_loads_no_console_library() -> None:
    # httpx brings its command-line client's (click's, rich's, pygments') when it can.
    loaded = imported_after("from backend.app import create_app")
    assert "httpx" in loaded
    assert not loaded & {"rich", "pygments"}


def test_unmute_ops_serve_loads_the_servers_alone() -> None:
    # Every server of the one-machine stack starts as `unmute-ops serve …`.
    start = (
        "import sys\n"
        "from ops.launch import main\n"
        "sys.argv = ['unmute-ops', 'serve', 'backend', '--help']\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as exit:\n"
        "    assert exit.code == 0, exit.code\n"
    )
    loaded = imported_modules_after(start)
    assert "ops.serve" in loaded
    assert not loaded & {"ops.cli", "ops.loadtest_command", "ops.swarm.deploy", "ops.up"}
