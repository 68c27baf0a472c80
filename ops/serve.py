"""`unmute-ops serve …`: run one server in the foreground (used by images, compose, tests)."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from typing import Annotated

import typer
import uvicorn
from fastapi import FastAPI

from ops.draining_server import DrainingServer

app = typer.Typer(help="Run one Unmute server in the foreground.", no_args_is_help=True)

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


def _run(
    app_: FastAPI,
    host: str,
    port: int,
    drain: Callable[[], Awaitable[None]],
    ping_interval_s: float = 20.0,
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
    from backend.settings import Settings

    settings = Settings()
    app_ = create_app(settings)
    _run(app_, host, port, lambda: drain(app_.state.services, settings.drain_grace_s))


@app.command()
def stt(
    host: Host = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8090,
    slots: Slots = 4,
    api_key: ApiKey = "public_token",
) -> None:
    """CPU speech-to-text server speaking moshi-server's asr-streaming protocol."""
    from embedded.stt.server import create_app

    _run_speech_server(create_app(slots=slots, api_key=api_key), host, port)


@app.command()
def tts(
    host: Host = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8089,
    slots: Slots = 4,
    api_key: ApiKey = "public_token",
) -> None:
    """CPU text-to-speech server speaking moshi-server's tts_streaming protocol."""
    from embedded.tts.server import create_app

    _run_speech_server(create_app(slots=slots, api_key=api_key), host, port)


@app.command()
def llm(
    host: Host = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8091,
    api_key: Annotated[
        str | None, typer.Option(help="Bearer token clients must send (none by default).")
    ] = None,
) -> None:
    """A small rule-based OpenAI-compatible LLM stand-in."""
    from embedded.llm.server import create_app

    _run(create_app(api_key=api_key), host, port, _nothing_to_drain)


@app.command("voice-cloning")
def voice_cloning(
    host: Host = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8092,
    api_key: ApiKey = "public_token",
) -> None:
    """CPU voice cloning: derives pitch, pitch range and rate from a clip."""
    from embedded.voice_cloning.server import create_app

    _run(create_app(api_key=api_key), host, port, _nothing_to_drain)
