"""Loading a Piper voice: a file that cannot be used is a clear error that says what to do."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from embedded.model_packages import PIPER_JOE_MEDIUM, ModelNotFound
from embedded.tts.piper_voice import InvalidVoice, PiperVoice, read_config


def packaged_config() -> dict[str, object]:
    config: dict[str, object] = json.loads(
        PIPER_JOE_MEDIUM.path().with_suffix(".onnx.json").read_text()
    )
    return config


def voice_files(folder: Path, model: bytes, config: str | None) -> Path:
    path = folder / "voice.onnx"
    path.write_bytes(model)
    if config is not None:
        (folder / "voice.onnx.json").write_text(config)
    return path


def test_the_packaged_voice_reads_as_an_english_espeak_voice() -> None:
    config = read_config(PIPER_JOE_MEDIUM.path())
    assert config.audio.sample_rate == 22_050
    assert config.espeak.voice == "en-us"
    assert config.num_speakers == 1


def test_a_missing_voice_names_the_option_to_pass(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFound, match=r"no Piper voice at .*nope\.onnx.*--voice PATH"):
        PiperVoice(tmp_path / "nope.onnx")


def test_a_voice_without_its_config_says_so(tmp_path: Path) -> None:
    path = voice_files(tmp_path, b"whatever", config=None)
    with pytest.raises(ModelNotFound, match=r"voice\.onnx\.json is missing"):
        PiperVoice(path)


@pytest.mark.parametrize(
    ("config", "complaint"),
    [
        ("{", "not a Piper voice config: Expecting"),
        ("{}", r"audio: Field required; espeak: Field required; phoneme_id_map"),
        (json.dumps({**packaged_config(), "phoneme_type": "text"}), "only espeak voices"),
        (json.dumps({**packaged_config(), "phoneme_id_map": {"a": [1]}}), r"lacks \^ \$ _"),
    ],
)
def test_a_broken_config_is_refused_with_the_reason(
    tmp_path: Path, config: str, complaint: str
) -> None:
    path = voice_files(tmp_path, b"whatever", config)
    with pytest.raises(InvalidVoice, match=complaint):
        PiperVoice(path)


def test_a_file_that_is_not_onnx_is_refused(tmp_path: Path) -> None:
    path = voice_files(tmp_path, b"this is not a model", json.dumps(packaged_config()))
    with pytest.raises(InvalidVoice, match="is not an ONNX model"):
        PiperVoice(path)


def test_a_voice_elsewhere_loads_from_its_path(tmp_path: Path) -> None:
    packaged = PIPER_JOE_MEDIUM.path()
    copy = tmp_path / "my-voice.onnx"
    shutil.copyfile(packaged, copy)
    shutil.copyfile(packaged.with_suffix(".onnx.json"), tmp_path / "my-voice.onnx.json")
    voice = PiperVoice(copy)
    assert voice.times_words_from_durations
    synthesis = voice.synthesize([1, 0, 20, 0, 14, 0, 10, 0, 2])
    assert synthesis.id_samples is not None and len(synthesis.id_samples) == 9
    assert synthesis.id_samples.sum() == pytest.approx(len(synthesis.audio))
