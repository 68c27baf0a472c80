"""A GGUF file into a ready `LlamaEngine`, in the CPU's fastest layout, or a clear error.

With a cache folder, a model whose weights lack a fast CPU path is converted once
(`requantize`) and the conversion is loaded from then on; without one, the file is
served as it is.
"""

from __future__ import annotations

import logging
from pathlib import Path

from llama_cpp import Llama

from embedded.llm import llama_log
from embedded.llm.engine import LlamaEngine
from embedded.llm.model_files import MODEL_HINT, InvalidModel, check_gguf
from embedded.llm.requantize import convert, converted_path, needs_conversion
from embedded.llm.settings import EngineSettings

logger = logging.getLogger(__name__)


def load_engine(
    path: Path, settings: EngineSettings, *, name: str, cache_dir: Path | None
) -> LlamaEngine:
    """Raises `ModelNotFound` or `InvalidModel`, whose messages say what to do."""
    return LlamaEngine(_load_fastest(path, settings, cache_dir), name, settings)


def load_llama(path: Path, settings: EngineSettings) -> Llama:
    check_gguf(path)
    llama_log.route_to_logging()
    llama_log.forget_errors()
    try:
        return Llama(
            model_path=str(path),
            n_ctx=settings.context_tokens,
            n_threads=settings.threads,
            n_threads_batch=settings.threads,
            verbose=False,
        )
    except ValueError as error:
        reason = llama_log.last_error() or str(error)
        raise InvalidModel(
            f"llama.cpp cannot load {path}: {reason}. If the file is damaged or incomplete, "
            f"download it again; or {MODEL_HINT}"
        ) from None


def _load_fastest(path: Path, settings: EngineSettings, cache_dir: Path | None) -> Llama:
    if cache_dir is None:
        return load_llama(path, settings)
    check_gguf(path)
    converted = converted_path(path, cache_dir)
    if converted.is_file():
        try:
            return load_llama(converted, settings)
        except InvalidModel:
            logger.warning("%s is damaged: converting %s again", converted, path.name)
    llama = load_llama(path, settings)
    if not needs_conversion(llama.metadata):
        return llama
    logger.info("converting %s once to a faster layout for the CPU", path.name)
    try:
        convert(path, converted, settings.threads)
    except OSError as error:
        logger.warning("serving %s as it is: %s", path.name, error)
        return llama
    llama.close()
    return load_llama(converted, settings)
