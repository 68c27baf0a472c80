"""Which GGUF file the LLM server loads: the packaged default, a local file, or a file of a
Hugging Face repository, downloaded once into the Hugging Face cache.

A download is looked up in the cache first, without the network, so a server that has
it starts offline and at once; `HF_HOME`, `HF_HUB_CACHE` and `HF_HUB_OFFLINE` apply.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from pathlib import Path

from embedded.model_packages import SMOLLM2_135M_INSTRUCT, ModelNotFound

logger = logging.getLogger(__name__)

# The hint of a missing package names this server's option.
PACKAGED_MODEL = dataclasses.replace(SMOLLM2_135M_INSTRUCT, option="--model-file")
GGUF_MAGIC = b"GGUF"
MODEL_HINT = "pass --model-file PATH to a GGUF file, or --model REPO/FILE to download one"


class InvalidModel(ValueError):
    """A model file is there but cannot be served; the message says what to do."""


@dataclass(frozen=True)
class HubFile:
    """`owner/repository/file.gguf`: a GGUF file in a Hugging Face model repository."""

    repo_id: str
    filename: str

    @classmethod
    def parse(cls, spec: str) -> HubFile:
        parts = spec.strip().strip("/").split("/")
        if len(parts) < 3 or not all(parts) or not parts[-1].endswith(".gguf"):
            raise ValueError(
                f"--model {spec!r} is not REPO/FILE: give a Hugging Face repository and a "
                "GGUF file in it, e.g. bartowski/Llama-3.2-1B-Instruct-GGUF/"
                "Llama-3.2-1B-Instruct-Q4_K_M.gguf"
            )
        return cls("/".join(parts[:2]), "/".join(parts[2:]))

    def __str__(self) -> str:
        return f"{self.repo_id}/{self.filename}"


def model_path(
    model_file: Path | None = None, model: str | None = None, hub_cache: Path | None = None
) -> Path:
    """The GGUF file to serve, checked to be one; raises `ModelNotFound` or `InvalidModel`."""
    if model_file is not None and model is not None:
        raise ValueError("give --model-file or --model, not both")
    if model_file is not None:
        path = model_file.expanduser()
    elif model is not None:
        path = download(HubFile.parse(model), hub_cache)
    else:
        path = PACKAGED_MODEL.path()
    check_gguf(path)
    return path


def check_gguf(path: Path) -> None:
    if not path.exists():
        raise ModelNotFound(f"no model file at {path}: {MODEL_HINT}")
    if path.is_dir():
        raise InvalidModel(f"{path} is a folder: pass the .gguf file in it with --model-file")
    with path.open("rb") as file:
        magic = file.read(len(GGUF_MAGIC))
    if magic != GGUF_MAGIC:
        raise InvalidModel(f"{path} is not a GGUF file (llama.cpp serves only GGUF): {MODEL_HINT}")


def download(file: HubFile, cache_dir: Path | None = None) -> Path:
    """The file's path in the Hugging Face cache, downloaded (with progress) if missing."""
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

    try:
        return Path(
            hf_hub_download(file.repo_id, file.filename, cache_dir=cache_dir, local_files_only=True)
        )
    except LocalEntryNotFoundError:
        pass
    logger.info("downloading %s from Hugging Face (once: it is kept in its cache)", file)
    try:
        return Path(hf_hub_download(file.repo_id, file.filename, cache_dir=cache_dir))
    except (HfHubHTTPError, OSError, ValueError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise ModelNotFound(
            f"cannot download {file} from Hugging Face ({reason}): check the name and the "
            "network (HF_HUB_OFFLINE must be unset), or download the file yourself and pass "
            "--model-file PATH"
        ) from None
