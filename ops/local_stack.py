"""The whole of Unmute on one machine: the CPU speech servers, the local LLM and the
backend as child processes, started in order, health-checked, and stopped together.

Two sets of engines: `neural` (Whisper STT, Piper TTS, a llama.cpp LLM; the default) and
`light` (pocketsphinx and espeak-ng, for old machines and many concurrent test calls; the
LLM is llama.cpp in both). Any role can instead point at a server of the user's own.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

import httpx

UNMUTE_OPS = str(Path(sys.executable).with_name("unmute-ops"))
BUILD_INFO = "/api/build_info"  # the speech servers' readiness probe
STOP_GRACE_S = 10.0  # the backend drains conversations on SIGTERM; then we insist
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """Children get SIGTERM if `unmute-ops up` itself dies, even by SIGKILL: no orphans."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass  # not Linux: the normal shutdown path still stops everything


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


def port_in_use(host: str, port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return True
    return False


def last_line(log: Path) -> str:
    """The last non-empty line of a log: usually the error that stopped the server."""
    try:
        lines = log.read_text(errors="replace").splitlines()
    except OSError:
        return "no log"
    return next((line.strip() for line in reversed(lines) if line.strip()), "no output")


@dataclass
class Service:
    name: str
    args: list[str]
    ready_url: str
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None

    def start(self, log_dir: Path) -> None:
        log = (log_dir / f"{self.name}.log").open("ab")
        self.process = subprocess.Popen(
            [UNMUTE_OPS, *self.args],
            env={**os.environ, **self.env},
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            preexec_fn=_die_with_parent,
            # Out of the terminal's process group: Ctrl-C reaches `unmute-ops up` alone,
            # which stops the servers in order (the backend drains first) and does not
            # mistake their exit for a failure to start.
            process_group=0,
        )
        log.close()

    def ready(self) -> bool:
        try:
            return httpx.get(self.ready_url, timeout=1.0, trust_env=False).status_code == 200
        except httpx.HTTPError:
            return False

    def exited(self) -> int | None:
        return None if self.process is None else self.process.poll()


class Engines(StrEnum):
    NEURAL = "neural"
    LIGHT = "light"


# Each engine's streams at once, when not given: the neural STT runs one Whisper process
# per stream, so fewer of them keep the whole stack within ~1.5 GiB on a small machine.
DEFAULT_SLOTS = {Engines.NEURAL: 2, Engines.LIGHT: 4}
EXTERNAL_STT_SESSIONS = 4  # the backend's own default, for an STT server of the user's


@dataclass
class StackOptions:
    host: str = "127.0.0.1"
    port: int = 8000
    llm_url: str | None = None
    llm_model: str | None = None
    llm_api_key: str | None = None
    stt_url: str | None = None
    tts_url: str | None = None
    engines: Engines = Engines.NEURAL
    stt_model: Path | None = None  # a CTranslate2 Whisper folder (neural engines)
    tts_voice: Path | None = None  # a Piper voice's .onnx, its .onnx.json beside it
    llm_model_file: Path | None = None  # a GGUF file for the local LLM
    slots: int | None = None
    max_sessions: int | None = None  # None: as many as the local STT has streams
    speech_api_key: str = "public_token"
    log_dir: Path = field(default_factory=lambda: Path(".unmute/logs"))
    frontend_dir: Path | None = field(default_factory=lambda: Path("frontend/out"))


class StartupFailed(RuntimeError):
    pass


class StartupInterrupted(Exception):
    """A stop was asked for before every service was ready."""


class LocalStack:
    def __init__(self, options: StackOptions) -> None:
        self.options = options
        self.services = self._plan()

    @property
    def url(self) -> str:
        shown = "localhost" if self.options.host in ("127.0.0.1", "0.0.0.0") else self.options.host
        return f"http://{shown}:{self.options.port}"

    def _plan(self) -> list[Service]:
        o = self.options
        key = ["--api-key", o.speech_api_key]
        services: list[Service] = []

        def add(name: str, args: list[str], port: int, probe: str) -> str:
            services.append(
                Service(
                    name,
                    [*args, "--host", "127.0.0.1", "--port", str(port)],
                    f"http://127.0.0.1:{port}{probe}",
                )
            )
            return f"127.0.0.1:{port}"

        slots = ["--slots", str(o.slots or DEFAULT_SLOTS[o.engines])]
        stt = o.stt_url or "ws://" + add(
            "stt", ["serve", "stt", *self._stt_engine(), *slots, *key], free_port(), BUILD_INFO
        )
        tts = o.tts_url or "ws://" + add(
            "tts", ["serve", "tts", *self._tts_engine(), *slots, *key], free_port(), BUILD_INFO
        )
        cloning = "http://" + add(
            "voice-cloning", ["serve", "voice-cloning", *key], free_port(), BUILD_INFO
        )
        llm = o.llm_url or "http://" + add(
            "llm", ["serve", "llm", *self._llm_model()], free_port(), "/v1/models"
        )
        backend_env = {
            "UNMUTE_STT_URL": stt,
            "UNMUTE_TTS_URL": tts,
            "UNMUTE_LLM_URL": llm,
            "UNMUTE_VOICE_CLONING_URL": cloning,
            "UNMUTE_SPEECH_API_KEY": o.speech_api_key,
            "UNMUTE_MAX_SESSIONS": str(self._max_sessions()),
            # Ctrl-C should not wait long for live conversations on a local machine.
            "UNMUTE_DRAIN_GRACE_S": "3",
        }
        if o.frontend_dir is not None and (o.frontend_dir / "index.html").is_file():
            backend_env["UNMUTE_FRONTEND_DIR"] = str(o.frontend_dir.resolve())
        if o.llm_model and o.llm_url:
            backend_env["UNMUTE_LLM_MODEL"] = o.llm_model
        if o.llm_api_key:
            backend_env["UNMUTE_LLM_API_KEY"] = o.llm_api_key
        services.append(
            Service(
                "backend",
                ["serve", "backend", "--host", o.host, "--port", str(o.port)],
                f"http://127.0.0.1:{o.port}/v1/health",
                env=backend_env,
            )
        )
        return services

    def _max_sessions(self) -> int:
        """A conversation beyond the local STT's streams would fail; one beyond the seats
        waits for a seat, or is told that the service is busy."""
        o = self.options
        if o.max_sessions is not None:
            return o.max_sessions
        if o.stt_url is not None:
            return EXTERNAL_STT_SESSIONS
        return o.slots or DEFAULT_SLOTS[o.engines]

    def _stt_engine(self) -> list[str]:
        if self.options.engines is Engines.LIGHT:
            return ["--engine", "pocketsphinx"]
        model = self.options.stt_model
        return ["--engine", "whisper", *(["--model", str(model)] if model else [])]

    def _tts_engine(self) -> list[str]:
        if self.options.engines is Engines.LIGHT:
            return ["--engine", "espeak"]
        voice = self.options.tts_voice
        return ["--engine", "piper", *(["--voice", str(voice)] if voice else [])]

    def _llm_model(self) -> list[str]:
        if self.options.llm_model_file is not None:
            return ["--model-file", str(self.options.llm_model_file)]
        if self.options.llm_model:  # no --llm-url: a GGUF to download once and serve here
            return ["--model", self.options.llm_model]
        return []

    def missing_browser_app(self) -> bool:
        """True when there is no built browser app to serve (only the API will answer)."""
        folder = self.options.frontend_dir
        return folder is None or not (folder / "index.html").is_file()

    def start(
        self,
        on_progress: Callable[[str, str], None],
        stopping: Callable[[], bool] = lambda: False,
        timeout_s: float = 180.0,
    ) -> None:
        """Start every service and wait until each answers; the backend's health last.
        Raises StartupInterrupted as soon as `stopping()` is true."""
        if port_in_use(self.options.host, self.options.port):
            raise StartupFailed(
                f"port {self.options.port} is already in use (is Unmute already running? "
                f"then open {self.url}); pass --port to use another"
            )
        self.options.log_dir.mkdir(parents=True, exist_ok=True)
        for service in self.services:
            service.start(self.options.log_dir)
            on_progress(service.name, "starting")
        deadline = time.monotonic() + timeout_s
        waiting = list(self.services)
        while waiting:
            if stopping():
                raise StartupInterrupted
            for service in list(waiting):
                if (code := service.exited()) is not None:
                    log = self.options.log_dir / f"{service.name}.log"
                    raise StartupFailed(
                        f"{service.name} exited with code {code}: {last_line(log)}\n"
                        f"(its whole log: {log})"
                    )
                if service.ready() and (service.name != "backend" or self._healthy()):
                    waiting.remove(service)
                    on_progress(service.name, "ready")
            if time.monotonic() > deadline:
                names = ", ".join(s.name for s in waiting)
                raise StartupFailed(f"not ready after {timeout_s:g} s: {names}")
            time.sleep(0.2)

    def _healthy(self) -> bool:
        try:
            answer = httpx.get(self.services[-1].ready_url, timeout=5.0, trust_env=False)
            return answer.status_code == 200 and bool(answer.json().get("ok"))
        except (httpx.HTTPError, ValueError):
            return False

    def first_exited(self) -> Service | None:
        return next((s for s in self.services if s.exited() is not None), None)

    def stop(self) -> None:
        """SIGTERM everything (backend first, so it drains), then SIGKILL what lingers."""
        for service in reversed(self.services):
            if service.process is not None and service.process.poll() is None:
                service.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_S
        for service in reversed(self.services):
            if service.process is None:
                continue
            try:
                service.process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                service.process.kill()
                service.process.wait()
