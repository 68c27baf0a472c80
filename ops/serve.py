"""`unmute-ops serve …`: run one server in the foreground (used by images, compose, tests)."""

from __future__ import annotations

from typing import Annotated

import typer
import uvicorn

app = typer.Typer(help="Run one Unmute server in the foreground.", no_args_is_help=True)

Host = Annotated[str, typer.Option(help="Address to listen on.")]
Slots = Annotated[int, typer.Option(min=1, help="Concurrent streams before 'no free channels'.")]
ApiKey = Annotated[
    str | None,
    typer.Option(envvar="UNMUTE_SPEECH_API_KEY", help="Required `kyutai-api-key` value."),
]


def _run(app_: object, host: str, port: int) -> None:
    uvicorn.run(app_, host=host, port=port, log_level="info", ws_max_size=16 * 1024 * 1024)


@app.command()
def backend(
    host: Host = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """The conversation backend (`/v1/realtime`), configured from UNMUTE_* variables.

    SIGTERM drains: no new sessions, live ones finish (UNMUTE_DRAIN_GRACE_S), then exit.
    """
    from backend.server import run_backend

    run_backend(host, port)


@app.command()
def stt(
    host: Host = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8090,
    slots: Slots = 4,
    api_key: ApiKey = "public_token",
) -> None:
    """CPU speech-to-text server speaking moshi-server's asr-streaming protocol."""
    from embedded.stt.server import create_app

    _run(create_app(slots=slots, api_key=api_key), host, port)


@app.command()
def tts(
    host: Host = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8089,
    slots: Slots = 4,
    api_key: ApiKey = "public_token",
) -> None:
    """CPU text-to-speech server speaking moshi-server's tts_streaming protocol."""
    from embedded.tts.server import create_app

    _run(create_app(slots=slots, api_key=api_key), host, port)


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

    _run(create_app(api_key=api_key), host, port)


@app.command("voice-cloning")
def voice_cloning(
    host: Host = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8092,
    api_key: ApiKey = "public_token",
) -> None:
    """CPU voice cloning: derives pitch, pitch range and rate from a clip."""
    from embedded.voice_cloning.server import create_app

    _run(create_app(api_key=api_key), host, port)
