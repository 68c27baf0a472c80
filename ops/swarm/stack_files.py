"""Which stack files make up a deployment, the variables they are rendered with, and the
`docker stack` calls that render and deploy them (the SDK has no notion of stacks)."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

import yaml

from ops.swarm.engine import SwarmError, retry_stale_updates

SWARM_DIR = Path(__file__).resolve().parents[2] / "swarm"
STACK_DEPLOY_TIMEOUT_S = 300  # creating a few dozen objects on a busy manager


class Speech(StrEnum):
    gpu = "gpu"  # Kyutai's moshi-server on GPU nodes
    cpu = "cpu"  # our CPU servers: clusters without GPUs, CI


class Llm(StrEnum):
    vllm = "vllm"  # vLLM on a GPU node
    cpu = "cpu"  # llama.cpp with a tiny packaged model, on CPU
    external = "external"  # any OpenAI-compatible URL (UNMUTE_LLM_URL)


class ResolveImage(StrEnum):
    always = "always"  # pin each image to its registry digest: every node runs the same
    changed = "changed"
    never = "never"  # local images (air-gapped builds): there is no registry to ask


@dataclass(frozen=True)
class StackPlan:
    """The files to deploy together and the variables to render them with."""

    stack: str
    files: tuple[Path, ...]
    variables: dict[str, str] = field(default_factory=dict)

    def environment(self) -> dict[str, str]:
        """The process environment for `docker stack …`: ours on top of the caller's."""
        return {**os.environ, **self.variables, "UNMUTE_STACK": self.stack}

    def compose_arguments(self) -> list[str]:
        return [argument for path in self.files for argument in ("-c", str(path))]


def stack_files(
    speech: Speech, llm: Llm, monitoring: bool, swarm_dir: Path = SWARM_DIR
) -> tuple[Path, ...]:
    files = [swarm_dir / "stack.yml", swarm_dir / f"speech-{speech.value}.yml"]
    if llm is not Llm.external:
        files.append(swarm_dir / f"llm-{llm.value}.yml")
    if monitoring:
        files.append(swarm_dir / "monitoring.yml")
    return tuple(files)


_VERSIONED_NAME = re.compile(r"\$\{(UNMUTE_[A-Z0-9_]+_VERSION)(?::?-[^}]*)?\}")


def config_versions(files: tuple[Path, ...]) -> dict[str, str]:
    """A content hash for every Docker config whose name carries a `…_VERSION` variable.

    Swarm configs cannot change in place; naming each by its content makes an edited file
    a new config, which rolls exactly the services that use it."""
    versions: dict[str, str] = {}
    for stack_file in files:
        document = yaml.safe_load(stack_file.read_text()) or {}
        for config in (document.get("configs") or {}).values():
            if not isinstance(config, dict) or "file" not in config:
                continue
            match = _VERSIONED_NAME.search(str(config.get("name", "")))
            if match:
                content = (stack_file.parent / config["file"]).read_bytes()
                versions[match.group(1)] = hashlib.sha256(content).hexdigest()[:12]
    return versions


def plan_stack(
    stack: str,
    speech: Speech,
    llm: Llm,
    monitoring: bool,
    variables: dict[str, str],
    swarm_dir: Path = SWARM_DIR,
) -> StackPlan:
    files = stack_files(speech, llm, monitoring, swarm_dir)
    missing = [str(path) for path in files if not path.is_file()]
    if missing:
        raise SwarmError(f"stack files not found: {', '.join(missing)}")
    return StackPlan(stack, files, {**config_versions(files), **variables})


def render(plan: StackPlan) -> str:
    """The merged, interpolated stack (`docker stack config`): what Swarm would get."""
    result = _docker(["stack", "config", *plan.compose_arguments()], plan)
    return result.stdout


def deploy(plan: StackPlan, resolve_image: ResolveImage = ResolveImage.always) -> str:
    """`docker stack deploy`; returns its output. Services are updated, never removed."""
    arguments = ["stack", "deploy", "--resolve-image", resolve_image.value]
    outputs: list[str] = []

    def deploy_once() -> None:
        result = _docker([*arguments, *plan.compose_arguments(), plan.stack], plan)
        outputs.append(result.stdout + result.stderr)

    # A service in a rolling update may refuse the write as stale; deploying is idempotent.
    retry_stale_updates(deploy_once, "refused the deploy")
    return outputs[-1]


def remove(stack: str) -> None:
    subprocess.run(
        ["docker", "stack", "rm", stack],
        capture_output=True,
        text=True,
        check=False,
        timeout=STACK_DEPLOY_TIMEOUT_S,
    )


def _docker(arguments: list[str], plan: StackPlan) -> subprocess.CompletedProcess[str]:
    try:
        result = subprocess.run(
            ["docker", *arguments],
            env=plan.environment(),
            capture_output=True,
            text=True,
            check=False,
            timeout=STACK_DEPLOY_TIMEOUT_S,
        )
    except FileNotFoundError as error:
        raise SwarmError("the docker command-line client is not installed") from error
    except subprocess.TimeoutExpired as error:
        raise SwarmError(f"docker {arguments[0]} {arguments[1]} timed out") from error
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip()[-3000:]
        raise SwarmError(f"docker {' '.join(arguments[:2])} failed: {detail}")
    return result
