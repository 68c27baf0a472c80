"""The images' entrypoints: Docker secrets (files) become variables, and moshi-server's
config template is filled in before the server starts."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

IMAGES = Path(__file__).resolve().parents[2] / "swarm" / "images"
SHOW = 'printf "%s|%s" "$UNMUTE_SPEECH_API_KEY" "${UNMUTE_SPEECH_API_KEY_FILE-gone}"'


def run(script: str, arguments: list[str], **environment: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["sh", str(IMAGES / script), *arguments],
        env={"PATH": os.environ["PATH"], **environment},
        capture_output=True,
        text=True,
        check=False,
    )


def test_a_secret_file_becomes_a_variable_and_its_path_is_dropped(tmp_path: Path) -> None:
    secret = tmp_path / "speech_api_key"
    secret.write_text("s3cret\n")
    result = run("entrypoint.sh", ["sh", "-c", SHOW], UNMUTE_SPEECH_API_KEY_FILE=str(secret))
    assert result.returncode == 0, result.stderr
    assert result.stdout == "s3cret|gone"


def test_a_lone_newline_secret_reads_as_empty(tmp_path: Path) -> None:
    secret = tmp_path / "llm_api_key"
    secret.write_bytes(b"\n")
    result = run("entrypoint.sh", ["sh", "-c", SHOW], UNMUTE_SPEECH_API_KEY_FILE=str(secret))
    assert result.stdout == "|gone"


def test_a_missing_secret_file_stops_the_start(tmp_path: Path) -> None:
    result = run(
        "entrypoint.sh",
        ["sh", "-c", "echo started"],
        UNMUTE_SPEECH_API_KEY_FILE=str(tmp_path / "x"),
    )
    assert result.returncode == 1
    assert "UNMUTE_SPEECH_API_KEY" in result.stderr and "started" not in result.stdout


def fake_moshi_server(tmp_path: Path) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    server = bin_dir / "moshi-server"
    server.write_text('#!/bin/sh\necho "args: $*"\ncat "$3"\n')
    server.chmod(0o755)
    return bin_dir


def test_moshi_entrypoint_fills_in_the_template(tmp_path: Path) -> None:
    (tmp_path / "key").write_text("abc-123_XYZ")
    (tmp_path / "hf").write_text("hf_token_value")
    template = tmp_path / "stt.toml"
    template.write_text('authorized_ids = ["@SPEECH_API_KEY@"]\nbatch_size = @BATCH_SIZE@\n')
    result = subprocess.run(
        ["sh", str(IMAGES / "moshi-entrypoint.sh"), str(template), "--port", "8080"],
        env={
            "PATH": f"{fake_moshi_server(tmp_path)}:{os.environ['PATH']}",
            "TMPDIR": str(tmp_path),
            "HOME": str(tmp_path),
            "UNMUTE_SPEECH_API_KEY_FILE": str(tmp_path / "key"),
            "HF_TOKEN_FILE": str(tmp_path / "hf"),
            "UNMUTE_SLOTS": "32",
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    rendered = tmp_path / "moshi-config.toml"
    assert result.stdout.splitlines()[0] == f"args: worker --config {rendered} --port 8080"
    assert 'authorized_ids = ["abc-123_XYZ"]' in result.stdout
    assert "batch_size = 32" in result.stdout
    token = tmp_path / ".cache" / "huggingface" / "token"
    assert token.read_text() == "hf_token_value"


def test_moshi_entrypoint_refuses_a_key_it_cannot_substitute_safely(tmp_path: Path) -> None:
    (tmp_path / "key").write_text("a/b&c")
    result = subprocess.run(
        ["sh", str(IMAGES / "moshi-entrypoint.sh"), str(tmp_path / "t.toml")],
        env={
            "PATH": f"{fake_moshi_server(tmp_path)}:{os.environ['PATH']}",
            "TMPDIR": str(tmp_path),
            "UNMUTE_SPEECH_API_KEY_FILE": str(tmp_path / "key"),
            "UNMUTE_SLOTS": "8",
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "args:" not in result.stdout
