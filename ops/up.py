"""`unmute-ops up`: run all of Unmute on this machine until Ctrl-C or SIGTERM."""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer
from rich.console import Console
from rich.status import Status

from ops.local_stack import (
    Engines,
    LocalStack,
    StackOptions,
    StartupFailed,
    StartupInterrupted,
)

console = Console()


def up(
    host: Annotated[str, typer.Option(help="Address the backend listens on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port of the backend (and browser app).")] = 8000,
    engines: Annotated[
        Engines,
        typer.Option(
            help="neural: Whisper, Piper and llama.cpp (natural, ~1 GiB); "
            "light: pocketsphinx and espeak-ng (robotic, for old machines and load tests)."
        ),
    ] = Engines.NEURAL,
    stt_model: Annotated[
        Path | None,
        typer.Option(help="A CTranslate2 Whisper model folder (base.en, small.en…) for STT."),
    ] = None,
    tts_voice: Annotated[
        Path | None,
        typer.Option(help="A Piper voice (.onnx, with its .onnx.json beside it) for TTS."),
    ] = None,
    llm_model_file: Annotated[
        Path | None, typer.Option(help="A GGUF model file for the local LLM.")
    ] = None,
    llm_url: Annotated[
        str | None,
        typer.Option(help="An OpenAI-compatible LLM server to use instead of the local one."),
    ] = None,
    llm_model: Annotated[
        str | None,
        typer.Option(
            help="With --llm-url, the model's name there. Without it, a Hugging Face GGUF "
            "(owner/repo/file.gguf) downloaded once and served locally."
        ),
    ] = None,
    llm_api_key: Annotated[
        str | None, typer.Option(envvar="UNMUTE_LLM_API_KEY", help="Bearer key for --llm-url.")
    ] = None,
    stt_url: Annotated[
        str | None, typer.Option(help="Use these STT servers instead of the CPU one.")
    ] = None,
    tts_url: Annotated[
        str | None, typer.Option(help="Use these TTS servers instead of the CPU one.")
    ] = None,
    slots: Annotated[
        int | None,
        typer.Option(min=1, help="Streams per CPU speech server [default: 2 neural, 4 light]."),
    ] = None,
    max_sessions: Annotated[
        int | None,
        typer.Option(
            min=1, help="Conversations at once [default: as many as the STT has streams]."
        ),
    ] = None,
    log_dir: Annotated[Path, typer.Option(help="Where each server's log goes.")] = Path(
        ".unmute/logs"
    ),
) -> None:
    """Start the backend, CPU speech servers and local LLM; stop them all on Ctrl-C."""
    # The console shows progress; each server's own requests go to its log file.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    if llm_url and llm_model_file:
        console.print(
            "[red]--llm-model-file serves a model here; --llm-url uses another server.[/]"
        )
        raise typer.Exit(2)
    stack = LocalStack(
        StackOptions(
            host=host,
            port=port,
            engines=engines,
            stt_model=stt_model,
            tts_voice=tts_voice,
            llm_model_file=llm_model_file,
            llm_url=llm_url,
            llm_model=llm_model,
            llm_api_key=llm_api_key,
            stt_url=stt_url,
            tts_url=tts_url,
            slots=slots,
            max_sessions=max_sessions,
            log_dir=log_dir,
        )
    )
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    for stop_signal in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(stop_signal, request_stop)
    try:
        with Status("Starting Unmute…", console=console) as status:
            ready: list[str] = []

            def progress(name: str, state: str) -> None:
                if state == "ready":
                    ready.append(name)
                    console.print(f"  [green]✓[/] {name}")
                status.update(f"Starting Unmute… ({len(ready)}/{len(stack.services)} ready)")

            stack.start(progress, stopping=stop.is_set)
        if stack.missing_browser_app():
            console.print(
                "[yellow]The browser app is not built, so only the API answers at "
                f"{stack.url}[/]: run ./scripts/setup (or `npm run build` in frontend/)."
            )
        console.print(f"\n[bold]Unmute is running:[/] {stack.url}   (Ctrl-C to stop)")
        console.print(f"Logs: {log_dir}/")
        while not stop.wait(0.5):
            if (dead := stack.first_exited()) is not None:
                console.print(
                    f"[red]{dead.name} stopped unexpectedly; see {log_dir}/{dead.name}.log"
                )
                raise typer.Exit(1)
    except StartupFailed as failure:
        console.print(f"[red]Unmute could not start:[/] {failure}")
        raise typer.Exit(1) from failure
    except (StartupInterrupted, KeyboardInterrupt):
        pass
    finally:
        with Status("Stopping…", console=console):
            stack.stop()
        console.print("Unmute stopped.")
