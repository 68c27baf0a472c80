"""`unmute-ops serve …`: run one server in the foreground (used by images, compose, tests)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from fastapi import FastAPI

from embedded.llm.settings import (
    DEFAULT_CACHE_DIR,
    DEFAULT_CONTEXT_TOKENS,
    DEFAULT_MAX_REPLY_TOKENS,
    DEFAULT_PROMPT_CACHE_MB,
    DEFAULT_THREADS,
    EngineSettings,
)
from embedded.stt.engines import EngineName as SttEngineName
from ops.draining_server import DrainingServer

app = typer.Typer(
    help="Run one Unmute server in the foreground.", no_args_is_help=True, add_completion=False
)

Host = Annotated[str, typer.Option(help="Address to listen on.")]
Slots = Annotated[int, typer.Option(min=1, help="Concurrent streams before 'no free channels'.")]
ApiKey = Annotated[
    str | None,
    typer.Option(envvar="UNMUTE_SPEECH_API_KEY", help="Required `kyutai-api-key` value."),
]


# Past the backend's own 1 MB check, so a client sending more hears why instead of a 1009.
MAX_WS_MESSAGE_BYTES = 16 * 1024 * 1024
# Speech streams are short (one utterance or reply): let them finish before stopping.
SPEECH_DRAIN_GRACE_S = 20.0
SPEECH_PING_INTERVAL_S = 10.0  # moshi-server's housekeeping ping


def configure_logging(*, verbose: bool) -> None:
    """`unmute-ops`'s log lines, for its servers and its other verbs alike."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def _run(
    app_: FastAPI,
    host: str,
    port: int,
    drain: Callable[[], Awaitable[None]],
    ping_interval_s: float = 20.0,
    ws_protocol: type[asyncio.Protocol] | None = None,
) -> None:
    config = uvicorn.Config(
        app_,
        host=host,
        port=port,
        log_level="info",
        ws_max_size=MAX_WS_MESSAGE_BYTES,
        ws_ping_interval=ping_interval_s,
        # Base64 Opus and float PCM shrink little; deflating each message costs CPU.
        ws_per_message_deflate=False,
        ws=ws_protocol or "auto",
    )
    # uvicorn re-raises the signal it caught once it has shut down; Ctrl-C is a clean exit.
    with contextlib.suppress(KeyboardInterrupt):
        DrainingServer(config, drain).run()


def _run_speech_server(app_: FastAPI, host: str, port: int) -> None:
    """On SIGTERM a speech server takes no new stream and lets the current ones finish.
    Like moshi-server, it pings every 10 s."""
    _run(
        app_,
        host,
        port,
        lambda: app_.state.slots.drain(SPEECH_DRAIN_GRACE_S),
        ping_interval_s=SPEECH_PING_INTERVAL_S,
    )


async def _nothing_to_drain() -> None:
    return None


@app.command()
def backend(
    host: Host = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """The conversation backend (`/v1/realtime`), configured from UNMUTE_* variables.

    SIGTERM drains: no new sessions, live ones finish (UNMUTE_DRAIN_GRACE_S), then exit.
    """
    from backend.app import create_app
    from backend.drain import drain
    from backend.realtime.browser_websocket import BrowserWebSocketProtocol
    from backend.settings import Settings

    settings = Settings()
    app_ = create_app(settings)
    _run(
        app_,
        host,
        port,
        lambda: drain(app_.state.services, settings.drain_grace_s),
        # Writes coalesced per loop iteration; the browser's plain frames read directly.
        ws_protocol=BrowserWebSocketProtocol,
    )


@app.command()
def stt(
    host: Host = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8090,
    slots: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Concurrent streams before 'no free channels'. Default: 4 with pocketsphinx, "
            "2 with whisper (a Whisper process per stream, ~150 MB each).",
        ),
    ] = None,
    api_key: ApiKey = "public_token",
    engine: Annotated[
        SttEngineName,
        typer.Option(
            help="pocketsphinx: light, but poor on real voices; whisper: Whisper with "
            "Silero VAD (the 'neural' extra)."
        ),
    ] = SttEngineName.POCKETSPHINX,
    model: Annotated[
        Path | None,
        typer.Option(
            "--model",
            "--stt-model",
            help="With --engine whisper: a CTranslate2 Whisper model folder. "
            "Default: the packaged tiny.en.",
        ),
    ] = None,
    threads: Annotated[
        int,
        typer.Option(
            min=1,
            help="With --engine whisper: CTranslate2 threads per stream. 1 suits a small "
            "machine shared with the backend, TTS and LLM: every stream has a process of "
            "its own, and Whisper's decoder gains little from a second thread.",
        ),
    ] = 1,
) -> None:
    """CPU speech-to-text server speaking moshi-server's asr-streaming protocol."""
    from embedded.model_packages import ModelNotFound
    from embedded.stt.engines import DEFAULT_SLOTS, SttEngine, whisper_engine
    from embedded.stt.server import create_app
    from embedded.stt.whisper_transcriber import InvalidWhisperModel

    if model is not None and engine is not SttEngineName.WHISPER:
        raise typer.BadParameter("goes with --engine whisper", param_hint="--model")
    chosen = SttEngine()
    if engine is SttEngineName.WHISPER:
        try:
            chosen = whisper_engine(model, threads)
        except (ModelNotFound, InvalidWhisperModel) as error:
            typer.echo(f"error: {error}", err=True)  # one line: launchers show the last
            raise typer.Exit(1) from None
    app_ = create_app(slots=slots or DEFAULT_SLOTS[engine], api_key=api_key, engine=chosen)
    _run_speech_server(app_, host, port)


class TtsEngine(StrEnum):
    ESPEAK = "espeak"
    PIPER = "piper"


@app.command()
def tts(
    host: Host = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8089,
    slots: Slots = 4,
    api_key: ApiKey = "public_token",
    engine: Annotated[
        TtsEngine,
        typer.Option(help="espeak: espeak-ng (robotic, tiny); piper: a Piper neural voice."),
    ] = TtsEngine.ESPEAK,
    voice: Annotated[
        Path | None,
        typer.Option(
            "--voice",
            "--tts-voice",
            help="With --engine piper: a Piper voice (.onnx, its .onnx.json beside it). "
            "Default: the packaged en_US joe medium.",
        ),
    ] = None,
    threads: Annotated[
        int,
        typer.Option(
            min=1,
            help="With --engine piper: onnxruntime threads per phrase. 1 suits a small "
            "machine shared with STT and the LLM (more threads wait on each other there).",
        ),
    ] = 1,
    parallel: Annotated[
        int,
        typer.Option(
            min=1, help="With --engine piper: phrases synthesised at once, across streams."
        ),
    ] = 1,
) -> None:
    """CPU text-to-speech server speaking moshi-server's tts_streaming protocol."""
    from embedded.tts.server import create_app

    speaker = None
    if engine is TtsEngine.PIPER:
        from embedded.model_packages import ModelNotFound
        from embedded.tts.piper_engine import load_piper_engine
        from embedded.tts.piper_voice import InvalidVoice

        try:
            speaker = load_piper_engine(voice, threads=threads, parallel=parallel)
        except (ModelNotFound, InvalidVoice) as error:
            typer.echo(f"error: {error}", err=True)  # one line: launchers show the last
            raise typer.Exit(1) from None
    app_ = create_app(slots=slots, api_key=api_key, engine=speaker)
    _run_speech_server(app_, host, port)


@app.command()
def llm(
    host: Host = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8091,
    api_key: Annotated[
        str | None, typer.Option(help="Bearer token clients must send (none by default).")
    ] = None,
    model_file: Annotated[
        Path | None,
        typer.Option(
            "--model-file",
            "--llm-model-file",
            help="A GGUF model file to serve. Default: the packaged SmolLM2-135M-Instruct, "
            "a tiny model: quick on any CPU, but simple-minded and often wrong.",
        ),
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(
            help="REPO/FILE: a GGUF file of a Hugging Face repository, downloaded once "
            "(with progress) into the Hugging Face cache, e.g. bartowski/"
            "Llama-3.2-1B-Instruct-GGUF/Llama-3.2-1B-Instruct-Q4_K_M.gguf."
        ),
    ] = None,
    threads: Annotated[
        int,
        typer.Option(
            min=1,
            help="llama.cpp threads. 1 suits a small machine shared with STT, TTS and the "
            "backend: llama.cpp's threads wait for each other, so a busy core slows them all.",
        ),
    ] = DEFAULT_THREADS,
    prompt_threads: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="At most this many threads read a prompt, one per core that sat idle "
            "while the model waited (never fewer than --threads) [default: the CPUs this "
            "process may use].",
        ),
    ] = None,
    context_tokens: Annotated[
        int, typer.Option(min=256, help="The longest conversation, in tokens.")
    ] = DEFAULT_CONTEXT_TOKENS,
    max_reply_tokens: Annotated[
        int,
        typer.Option(
            min=1,
            help="When a request sets no max_tokens, a reply ends with its sentence past "
            "this many tokens, and at twice as many wherever it is.",
        ),
    ] = DEFAULT_MAX_REPLY_TOKENS,
    prompt_cache_mb: Annotated[
        int,
        typer.Option(
            min=0,
            help="Memory for saved prompt states, so that conversations taking turns do "
            "not compute their earlier turns again (0: none).",
        ),
    ] = DEFAULT_PROMPT_CACHE_MB,
    requantize: Annotated[
        bool,
        typer.Option(
            help="Convert a Q4_1, Q5_0 or Q5_1 model once to Q8_0, which llama.cpp reads "
            "prompts of about 1.6 times faster on CPU, at the same quality.",
        ),
    ] = True,
    cache_dir: Annotated[
        Path, typer.Option(help="Where converted model files are kept.")
    ] = DEFAULT_CACHE_DIR,
) -> None:
    """A GGUF language model on the CPU (llama.cpp), served over the OpenAI API."""
    from embedded.llm.model_files import InvalidModel, model_path
    from embedded.llm.model_loading import load_engine
    from embedded.llm.server import create_app
    from embedded.model_packages import ModelNotFound

    # One line per reply (prompt tokens reused, tokens written), also where the rest of the
    # command line tool did not set logging up (the images).
    configure_logging(verbose=False)
    settings = EngineSettings(
        threads, context_tokens, max_reply_tokens, prompt_cache_mb, prompt_threads
    )
    try:
        path = model_path(model_file, model)
        name = model or path.name.removesuffix(".gguf")
        engine = load_engine(path, settings, name=name, cache_dir=cache_dir if requantize else None)
    except (ModelNotFound, InvalidModel, ValueError) as error:
        typer.echo(f"error: {error}", err=True)  # one line: launchers show the last
        raise typer.Exit(1) from None
    try:
        _run(create_app(engine, api_key=api_key), host, port, _nothing_to_drain)
    finally:
        engine.close()


@app.command("voice-cloning")
def voice_cloning(
    host: Host = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8092,
    api_key: ApiKey = "public_token",
) -> None:
    """CPU voice cloning: derives pitch, pitch range and rate from a clip."""
    from embedded.voice_cloning.server import create_app

    _run(create_app(api_key=api_key), host, port, _nothing_to_drain)
