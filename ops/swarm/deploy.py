"""`unmute-ops deploy`: images, secrets, `docker stack deploy`, wait for convergence,
verify through Traefik, and roll back what this deploy changed if any of it fails."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.live import Live

from ops.swarm import stack_files
from ops.swarm.cli_options import Json, Stack, console, errors, fail, print_json
from ops.swarm.convergence import (
    Outcome,
    ServiceProgress,
    parse_time,
    progress_table,
    wait_for_convergence,
)
from ops.swarm.engine import (
    DEFAULT_STACK,
    ServiceInfo,
    SwarmError,
    connect,
    name_of,
    stack_services,
)
from ops.swarm.images import DEFAULT_CACHE_DIR, build_images
from ops.swarm.nodes import ensure_roles
from ops.swarm.public_checks import Check, wait_until_healthy
from ops.swarm.rollback import roll_back_services
from ops.swarm.secrets import (
    GRAFANA_ADMIN_PASSWORD,
    HF_TOKEN,
    LLM_API_KEY,
    SPEECH_API_KEY,
    SecretRequest,
    ensure_secrets,
)
from ops.swarm.stack_files import Llm, ResolveImage, Speech
from ops.swarm.variables import parse_assignments, read_env_files

if TYPE_CHECKING:
    import docker

# Startup includes model downloads on a fresh GPU node; the CPU stack needs about a minute.
DEFAULT_TIMEOUT_S = 900.0
PUBLIC_CHECK_TIMEOUT_S = 120.0  # Traefik's discovery and health checks take seconds


def deploy(
    stack: Stack = DEFAULT_STACK,
    speech: Annotated[Speech, typer.Option(help="moshi-server on GPU nodes, or CPU servers.")] = (
        Speech.gpu
    ),
    llm: Annotated[Llm, typer.Option(help="vLLM on a GPU, a tiny model on CPU, or external.")] = (
        Llm.vllm
    ),
    llm_url: Annotated[
        str | None, typer.Option(envvar="UNMUTE_LLM_URL", help="OpenAI-compatible LLM URL.")
    ] = None,
    llm_model: Annotated[
        str | None, typer.Option(envvar="UNMUTE_LLM_MODEL", help="Model to serve or use.")
    ] = None,
    llm_api_key: Annotated[
        str | None,
        typer.Option(envvar="UNMUTE_LLM_API_KEY", help="LLM key (stored as a Docker secret)."),
    ] = None,
    hf_token: Annotated[
        str | None,
        typer.Option(envvar="HF_TOKEN", help="Hugging Face token for GPU model downloads."),
    ] = None,
    monitoring: Annotated[bool, typer.Option(help="Prometheus and Grafana.")] = True,
    domain: Annotated[
        str | None, typer.Option(envvar="UNMUTE_DOMAIN", help="Public host name.")
    ] = None,
    acme_email: Annotated[
        str | None, typer.Option(envvar="UNMUTE_ACME_EMAIL", help="Let's Encrypt contact.")
    ] = None,
    letsencrypt: Annotated[
        bool,
        typer.Option(help="Certificates from Let's Encrypt; without, Traefik's own certificate."),
    ] = True,
    http_port: Annotated[
        int | None, typer.Option(envvar="UNMUTE_HTTP_PORT", help="Published HTTP port [80].")
    ] = None,
    https_port: Annotated[
        int | None, typer.Option(envvar="UNMUTE_HTTPS_PORT", help="Published HTTPS port [443].")
    ] = None,
    env_file: Annotated[
        list[Path] | None, typer.Option(help="KEY=VALUE file of stack variables (example.env).")
    ] = None,
    set_variables: Annotated[
        list[str] | None, typer.Option("--set", help="One stack variable, KEY=VALUE.")
    ] = None,
    build: Annotated[
        bool, typer.Option(help="Build the images here first (air-gapped, no registry).")
    ] = False,
    cache_dir: Annotated[Path, typer.Option(help="Build cache for --build.")] = DEFAULT_CACHE_DIR,
    resolve_image: Annotated[
        ResolveImage | None,
        typer.Option(help="Ask the registry for image digests (default: never with --build)."),
    ] = None,
    public_url: Annotated[
        str | None, typer.Option(help="Where to verify the deployment (default: this machine).")
    ] = None,
    timeout: Annotated[float, typer.Option(min=1.0, help="Seconds to wait for it all.")] = (
        DEFAULT_TIMEOUT_S
    ),
    rollback: Annotated[
        bool, typer.Option(help="On failure, roll back the services this deploy changed.")
    ] = True,
    as_json: Json = False,
) -> None:
    """Deploy or update the stack, wait until it serves, roll back on failure."""
    variables = read_env_files(env_file or [])
    try:
        variables.update(parse_assignments(set_variables or []))
    except ValueError as error:
        fail(str(error))
    optional = {
        "UNMUTE_DOMAIN": domain,
        "UNMUTE_ACME_EMAIL": acme_email,
        "UNMUTE_LLM_URL": llm_url,
        "UNMUTE_LLM_MODEL": llm_model,
        "UNMUTE_HTTP_PORT": None if http_port is None else str(http_port),
        "UNMUTE_HTTPS_PORT": None if https_port is None else str(https_port),
    }
    variables.update({key: value for key, value in optional.items() if value})
    variables["UNMUTE_CERT_RESOLVER"] = "letsencrypt" if letsencrypt else ""
    domain = variables.get("UNMUTE_DOMAIN")
    if letsencrypt and not domain:
        fail("Let's Encrypt needs --domain (or --no-letsencrypt for Traefik's own certificate)")
    if llm is Llm.external and not variables.get("UNMUTE_LLM_URL"):
        fail("--llm external needs --llm-url")
    if domain and "UNMUTE_ALLOWED_ORIGINS" not in variables:
        variables["UNMUTE_ALLOWED_ORIGINS"] = f"https://{domain}"

    try:
        client = connect()
        # Placement follows node roles; a lone node runs everything, as it always has.
        if given := ensure_roles(client, llm_in_stack=llm is not Llm.external):
            (errors if as_json else console).print(f"this node's roles: {', '.join(given)}")
        if build:
            built = build_images(connect(swarm=False), cache_dir=cache_dir)
            variables.update(built.stack_environment())
        plan = stack_files.plan_stack(stack, speech, llm, monitoring, variables)
        gpu_models = speech is Speech.gpu or llm is Llm.vllm
        created = ensure_secrets(
            client,
            stack,
            [
                SecretRequest(SPEECH_API_KEY, generate=True),
                SecretRequest(LLM_API_KEY, value=llm_api_key),
                *([SecretRequest(HF_TOKEN, value=hf_token, required=True)] if gpu_models else []),
                *([SecretRequest(GRAFANA_ADMIN_PASSWORD, generate=True)] if monitoring else []),
            ],
        )
        for secret in created:
            if secret.generated and secret.name.endswith(GRAFANA_ADMIN_PASSWORD):
                # On stderr with --json, so that stdout stays one JSON document.
                shown = errors if as_json else console
                shown.print(f"Grafana's admin password (shown once): {secret.generated}")
        outcome, progress, changed = _deploy_and_wait(
            client,
            plan,
            resolve_image=(resolve_image or (ResolveImage.never if build else ResolveImage.always)),
            timeout_s=timeout,
            quiet=as_json,
        )
    except SwarmError as error:
        fail(str(error))

    url = public_url or f"https://127.0.0.1:{variables.get('UNMUTE_HTTPS_PORT', '443')}"
    healthy, checks = False, list[Check]()
    if outcome is Outcome.converged:
        # Without Let's Encrypt, Traefik presents its own certificate: nothing can verify it.
        verify = None if letsencrypt else False
        healthy, checks = wait_until_healthy(url, PUBLIC_CHECK_TIMEOUT_S, verify)
    rolled_back: list[str] = []
    if not healthy and rollback and changed:
        try:
            rolled_back = roll_back_services(client, stack, changed, timeout_s=timeout)
        except SwarmError as error:
            fail(f"the deploy failed, and so did its rollback: {error}")
    verdict = outcome.value if outcome is not Outcome.converged or healthy else "unhealthy"
    report = {
        "stack": stack,
        "outcome": verdict,
        "ok": healthy,
        "services": [p.__dict__ for p in progress],
        "checks": [c.__dict__ for c in checks],
        "rolled_back": rolled_back,
    }
    if as_json:
        print_json(report)
    else:
        for check in checks:
            mark = "[green]✓[/]" if check.ok else "[red]✗[/]"
            console.print(f"{mark} {check.component}: {check.detail}")
        if rolled_back:
            console.print(f"[yellow]rolled back:[/] {', '.join(rolled_back)}")
        console.print("[green]deployed[/]" if healthy else f"[red]deploy failed ({verdict})[/]")
    if not healthy:
        raise typer.Exit(1)


def _deploy_and_wait(
    client: docker.DockerClient,
    plan: stack_files.StackPlan,
    *,
    resolve_image: ResolveImage,
    timeout_s: float,
    quiet: bool,
) -> tuple[Outcome, list[ServiceProgress], list[str]]:
    """Deploy, then wait; also which existing services this deploy changed."""
    # `docker stack deploy` updates every service; only a changed definition rolls tasks.
    before = {name_of(s): s["Spec"] for s in stack_services(client, plan.stack)}
    # The engine's clock, a little early: update states older than this are not ours.
    since = parse_time(str(client.info()["SystemTime"])) - timedelta(seconds=1)
    stack_files.deploy(plan, resolve_image)
    changed = [
        name_of(s)
        for s in stack_services(client, plan.stack)
        if name_of(s) in before and (s["Spec"] != before[name_of(s)] or _updated_since(s, since))
    ]
    return (*_wait(client, plan.stack, since, timeout_s, quiet), changed)


def _updated_since(service: ServiceInfo, since: datetime) -> bool:
    """An update started by this deploy, even one Swarm already rolled back on its own."""
    started = (service.get("UpdateStatus") or {}).get("StartedAt")
    return isinstance(started, str) and parse_time(started) >= since


def _wait(
    client: docker.DockerClient, stack: str, since: datetime, timeout_s: float, quiet: bool
) -> tuple[Outcome, list[ServiceProgress]]:
    if quiet:
        return wait_for_convergence(client, stack, timeout_s=timeout_s, since=since)
    with Live(console=console, refresh_per_second=4, transient=False) as live:
        return wait_for_convergence(
            client,
            stack,
            timeout_s=timeout_s,
            since=since,
            on_progress=lambda progress: live.update(progress_table(progress, stack)),
        )
