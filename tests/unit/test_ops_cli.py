"""The operator's commands as a user types them: registered, documented, and refusing bad
input before touching any Docker engine."""

from __future__ import annotations

import subprocess
import sys

from typer.testing import CliRunner

from ops.cli import app

SWARM_COMMANDS = ("images", "deploy", "scale", "status", "health", "logs", "rollback", "drain",
                  "autoscale")  # fmt: skip
runner = CliRunner()


def test_every_swarm_command_is_registered_with_help() -> None:
    for command in SWARM_COMMANDS:
        result = runner.invoke(app, [command, "--help"])
        assert result.exit_code == 0, (command, result.output)
        assert "--help" in result.output


def test_starting_the_cli_does_not_load_the_docker_sdk() -> None:
    # `unmute-ops serve` runs in images that have no Docker SDK.
    probe = "import sys, ops.cli; print(sorted({'docker', 'requests'} & set(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_deploy_needs_a_domain_for_lets_encrypt() -> None:
    result = runner.invoke(app, ["deploy"], env={"UNMUTE_DOMAIN": ""})
    assert result.exit_code == 1
    assert "--domain" in result.output


def test_deploy_with_an_external_llm_needs_its_url() -> None:
    result = runner.invoke(
        app, ["deploy", "--no-letsencrypt", "--llm", "external"], env={"UNMUTE_LLM_URL": ""}
    )
    assert result.exit_code == 1
    assert "--llm-url" in result.output


def test_deploy_refuses_a_malformed_variable() -> None:
    result = runner.invoke(app, ["deploy", "--no-letsencrypt", "--set", "NOT AN ASSIGNMENT"])
    assert result.exit_code == 1
    assert "KEY=VALUE" in result.output


def test_autoscale_refuses_inverted_thresholds() -> None:
    result = runner.invoke(
        app, ["autoscale", "--once", "--scale-up-at", "0.3", "--scale-down-at", "0.5"]
    )
    assert result.exit_code == 1


def test_the_images_start_servers_without_the_rest_of_the_cli() -> None:
    help_text = subprocess.run(
        [sys.executable, "-m", "ops.swarm.serve", "--help"], capture_output=True, text=True
    )
    assert help_text.returncode == 0, help_text.stderr
    for server in ("backend", "stt", "tts", "llm", "voice-cloning"):
        assert server in help_text.stdout
    probe = (
        "import sys, ops.swarm.serve; "
        "print(sorted({'docker', 'matplotlib', 'loadtest', 'ops.cli'} & set(sys.modules)))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.stdout.strip() == "[]", result.stderr
