"""Choosing the STT engine: what it runs, and a bad model refused before anything is served."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from embedded.model_packages import WHISPER_TINY_EN
from embedded.stt.engines import EngineName, SttEngine, whisper_engine
from embedded.stt.silero_vad import SileroVoiceActivityDetector
from embedded.stt.voice_activity import VoiceActivityDetector
from ops.serve import app

runner = CliRunner()


def test_pocketsphinx_is_the_default_engine() -> None:
    engine = SttEngine()
    assert engine.name is EngineName.POCKETSPHINX
    assert engine.worker_command()[-2:] == ("--engine", "pocketsphinx")
    assert isinstance(engine.voice_activity()(), VoiceActivityDetector)


def test_the_whisper_engine_defaults_to_the_packaged_model() -> None:
    engine = whisper_engine()
    assert engine.model == WHISPER_TINY_EN.path().resolve()
    command = engine.worker_command()
    assert command[command.index("--engine") + 1] == "whisper"
    assert command[command.index("--model") + 1] == str(engine.model)
    assert command[command.index("--threads") + 1] == "1"
    assert isinstance(engine.voice_activity()(), SileroVoiceActivityDetector)


def test_a_bad_model_folder_stops_serve_stt_with_a_one_line_reason(tmp_path: Path) -> None:
    result = runner.invoke(app, ["stt", "--engine", "whisper", "--model", str(tmp_path)])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"error: {tmp_path} is not a CTranslate2 Whisper model: model.bin, config.json, "
        "tokenizer.json missing (convert one with ct2-transformers-converter, keeping "
        "tokenizer.json)"
    ]


def test_a_missing_model_folder_stops_serve_stt(tmp_path: Path) -> None:
    result = runner.invoke(app, ["stt", "--engine", "whisper", "--stt-model", str(tmp_path / "x")])
    assert result.exit_code == 1
    assert "is not a folder holding a CTranslate2 Whisper model" in result.output


def test_a_model_needs_the_whisper_engine(tmp_path: Path) -> None:
    result = runner.invoke(app, ["stt", "--model", str(tmp_path)])
    assert result.exit_code == 2
    assert "goes with --engine whisper" in result.output
