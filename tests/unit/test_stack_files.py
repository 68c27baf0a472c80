"""The stack and compose files: they render (`docker stack config`, `docker-compose config`)
and keep the promises the deployment relies on: drain before kill, readiness routing, no
routing mesh, no secret in a file, GPU placement, dashboards that query real metrics."""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from ops.swarm.stack_files import Llm, Speech, config_versions, plan_stack, render

ROOT = Path(__file__).resolve().parents[2]
SWARM = ROOT / "swarm"
PROFILES = [
    (Speech.cpu, Llm.cpu, False),
    (Speech.cpu, Llm.external, True),
    (Speech.gpu, Llm.vllm, True),
]
SECRET_WORDS = ("KEY", "TOKEN", "PASSWORD")


# The tools `./scripts/test` installs (docker.io, docker-compose): a host without them
# fails these checks, saying what to install, instead of skipping them.


@pytest.fixture(scope="module")
def docker_stack_config() -> None:
    if shutil.which("docker") is None:
        pytest.fail("no docker client: apt-get install docker.io (./scripts/test)")
    probe = subprocess.run(["docker", "stack", "config", "--help"], capture_output=True)
    if probe.returncode != 0:
        pytest.fail("this docker client has no `docker stack config`: use Debian's docker.io")


@pytest.fixture(scope="module")
def docker_compose() -> None:
    if shutil.which("docker-compose") is None:
        pytest.fail("no docker-compose: apt-get install docker-compose (./scripts/test)")


needs_stack_config = pytest.mark.usefixtures("docker_stack_config")


def rendered(speech: Speech, llm: Llm, monitoring: bool, **variables: str) -> dict[str, Any]:
    plan = plan_stack("unmute", speech, llm, monitoring, variables)
    document: dict[str, Any] = yaml.safe_load(render(plan))
    return document


def seconds(duration: str) -> float:
    """A Go duration as rendered by Docker (`2m30s`, `100s`, `1h0m0s`)."""
    units = {"h": 3600, "m": 60, "s": 1, "ms": 0.001}
    parts = re.findall(r"([\d.]+)(ms|h|m|s)", duration)
    assert parts, duration
    return sum(float(value) * units[unit] for value, unit in parts)


def labels(service: dict[str, Any]) -> dict[str, str]:
    return dict(service.get("deploy", {}).get("labels", {}))


@needs_stack_config
@pytest.mark.parametrize(("speech", "llm", "monitoring"), PROFILES)
def test_every_deployment_profile_renders(speech: Speech, llm: Llm, monitoring: bool) -> None:
    services = rendered(speech, llm, monitoring)["services"]
    expected = {"traefik", "frontend", "backend", "voice-cloning", "stt", "tts"}
    expected |= {"llm"} if llm is not Llm.external else set()
    expected |= {"prometheus", "grafana"} if monitoring else set()
    assert set(services) == expected


@needs_stack_config
@pytest.mark.parametrize(("speech", "llm", "monitoring"), PROFILES)
def test_no_routing_mesh_and_no_service_vips(speech: Speech, llm: Llm, monitoring: bool) -> None:
    services = rendered(speech, llm, monitoring)["services"]
    for name, service in services.items():
        assert service["deploy"]["endpoint_mode"] == "dnsrr", name
    for port in services["traefik"]["ports"]:
        assert port["mode"] == "host"
    command = " ".join(services["traefik"]["command"])
    assert "lbswarm" not in command and "--providers.swarm.endpoint" in command


@needs_stack_config
def test_the_backend_drains_before_docker_kills_it() -> None:
    for variables in ({}, {"UNMUTE_DRAIN_GRACE_S": "60", "UNMUTE_STOP_GRACE_PERIOD": "75s"}):
        backend = rendered(Speech.cpu, Llm.cpu, False, **variables)["services"]["backend"]
        drain_s = float(backend["environment"]["UNMUTE_DRAIN_GRACE_S"])
        assert seconds(backend["stop_grace_period"]) > drain_s


@needs_stack_config
def test_backend_updates_start_first_and_roll_back_on_failure() -> None:
    deploy = rendered(Speech.cpu, Llm.cpu, False)["services"]["backend"]["deploy"]
    assert deploy["update_config"]["order"] == "start-first"
    assert deploy["update_config"]["failure_action"] == "rollback"
    assert deploy["rollback_config"]["order"] == "start-first"


@needs_stack_config
def test_new_conversations_follow_backend_readiness() -> None:
    services = rendered(Speech.cpu, Llm.cpu, False)["services"]
    api = labels(services["backend"])
    assert api["traefik.http.services.api.loadbalancer.healthcheck.path"] == "/v1/ready"
    assert api["traefik.http.routers.api.rule"] == "PathPrefix(`/api`)"
    assert api["traefik.http.middlewares.strip-api.stripprefix.prefixes"] == "/api"
    assert "strip-api" in api["traefik.http.routers.api.middlewares"]
    site = labels(services["frontend"])
    assert int(site["traefik.http.routers.site.priority"]) < int(
        api["traefik.http.routers.api.priority"]
    )


@needs_stack_config
def test_tls_uses_lets_encrypt_unless_switched_off() -> None:
    default = labels(rendered(Speech.cpu, Llm.cpu, False)["services"]["backend"])
    assert default["traefik.http.routers.api.tls.certresolver"] == "letsencrypt"
    off = rendered(Speech.cpu, Llm.cpu, False, UNMUTE_CERT_RESOLVER="")["services"]["backend"]
    assert labels(off)["traefik.http.routers.api.tls.certresolver"] == ""


@needs_stack_config
@pytest.mark.parametrize(("speech", "llm", "monitoring"), PROFILES)
def test_secrets_are_docker_secrets_never_values(
    speech: Speech, llm: Llm, monitoring: bool
) -> None:
    document = rendered(speech, llm, monitoring)
    assert all(secret.get("external") for secret in document["secrets"].values())
    for name, service in document["services"].items():
        for variable in service.get("environment") or {}:
            if any(word in variable for word in SECRET_WORDS):
                assert variable.endswith("_FILE"), f"{name}: {variable} must come from a file"


@needs_stack_config
def test_images_are_variables_and_traefik_defaults_to_the_official_image() -> None:
    services = rendered(Speech.cpu, Llm.cpu, False)["services"]
    assert services["traefik"]["image"] == "traefik:v3"
    local = rendered(Speech.cpu, Llm.cpu, False, UNMUTE_TRAEFIK_IMAGE="unmute/traefik:abc")
    assert local["services"]["traefik"]["image"] == "unmute/traefik:abc"


@needs_stack_config
def test_gpu_services_reserve_a_gpu_on_labelled_nodes() -> None:
    services = rendered(Speech.gpu, Llm.vllm, False)["services"]
    for name in ("stt", "tts", "llm"):
        deploy = services[name]["deploy"]
        reserved = deploy["resources"]["reservations"]["generic_resources"]
        assert reserved == [{"discrete_resource_spec": {"kind": "NVIDIA-GPU", "value": 1}}]
        assert "node.labels.unmute.gpu == true" in deploy["placement"]["constraints"]
    assert services["stt"]["environment"]["UNMUTE_SLOTS"] == "64"
    assert services["llm"]["command"][2] == "--model=meta-llama/Llama-3.2-1B-Instruct"


@needs_stack_config
def test_the_cpu_llm_serves_llama_cpp_from_the_speech_image_within_its_limits() -> None:
    speech_image = "unmute/speech:abc"
    llm = rendered(Speech.cpu, Llm.cpu, False, UNMUTE_SPEECH_IMAGE=speech_image)["services"]["llm"]
    assert llm["image"] == speech_image, "the speech image carries llama.cpp and the model"
    command = llm["command"][-1]
    assert "ops.swarm.serve llm" in command
    threads = int(re.search(r"--threads (\d+)", command).group(1))  # type: ignore[union-attr]
    limits = llm["deploy"]["resources"]["limits"]
    assert threads == float(limits["cpus"]), "one llama.cpp thread per CPU it may use"
    assert int(limits["memory"]) >= 1024**3, "the model, its context and saved prompts fit"
    assert seconds(llm["healthcheck"]["start_period"]) >= 30, "room for the first conversion"


def test_every_referenced_traefik_middleware_is_defined() -> None:
    defined = yaml.safe_load((ROOT / "traefik" / "dynamic" / "middlewares.yml").read_text())
    names = set(defined["http"]["middlewares"])
    referenced: set[str] = set()
    for stack_file in SWARM.glob("*.yml"):
        referenced |= set(re.findall(r"([\w-]+)@file", stack_file.read_text()))
    assert referenced, "the stack uses the shared middlewares"
    assert referenced <= names


def test_config_names_follow_their_content(tmp_path: Path) -> None:
    (tmp_path / "a.conf").write_text("one")
    stack = tmp_path / "stack.yml"
    stack.write_text(
        "configs:\n  a:\n    file: a.conf\n    name: s_a_${UNMUTE_A_VERSION:-1}\n"
        "  plain:\n    file: a.conf\n"
    )
    first = config_versions((stack,))
    assert set(first) == {"UNMUTE_A_VERSION"}
    assert config_versions((stack,)) == first
    (tmp_path / "a.conf").write_text("two")
    assert config_versions((stack,)) != first


@pytest.mark.usefixtures("docker_compose")
@pytest.mark.parametrize("layout", ["one-gpu", "gpu-per-service"])
def test_one_machine_compose_files_validate(layout: str) -> None:
    files = [
        "-f",
        str(SWARM / "compose" / "base.yml"),
        "-f",
        str(SWARM / "compose" / f"{layout}.yml"),
    ]
    result = subprocess.run(
        ["docker-compose", *files, "config"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    services = yaml.safe_load(result.stdout)["services"]
    gpus = {
        name: services[name]["deploy"]["resources"]["reservations"]["devices"][0]["device_ids"]
        for name in ("stt", "tts", "llm")
    }
    if layout == "one-gpu":
        assert gpus == {"stt": ["0"], "tts": ["0"], "llm": ["0"]}
    else:
        assert gpus == {"stt": ["0"], "tts": ["1"], "llm": ["2"]}


@pytest.mark.parametrize("name", ["stt", "tts"])
def test_moshi_server_templates_render_to_valid_configs(name: str) -> None:
    template = (SWARM / "moshi" / f"{name}.toml").read_text()
    assert "@SPEECH_API_KEY@" in template and "@BATCH_SIZE@" in template
    config = tomllib.loads(template.replace("@SPEECH_API_KEY@", "k3y").replace("@BATCH_SIZE@", "8"))
    assert config["authorized_ids"] == ["k3y"]
    module = next(iter(config["modules"].values()))
    assert module["batch_size"] == 8
    assert module["path"] == {"stt": "/api/asr-streaming", "tts": "/api/tts_streaming"}[name]


def _known_metric_names() -> set[str]:
    names: set[str] = set()
    for source in [*(ROOT / "backend").rglob("*.py"), *(ROOT / "embedded").rglob("*.py")]:
        text = source.read_text()
        names |= set(re.findall(r"\"(unmute_[a-z_]+)\"", text))
        if "unmute_{service}_slots" in text:
            for service in ("stt", "tts", "voice_cloning"):
                names |= {f"unmute_{service}_slots", f"unmute_{service}_slots_in_use"}
    return names


def test_the_dashboard_queries_metrics_that_exist() -> None:
    dashboard = (SWARM / "grafana" / "dashboards" / "unmute.json").read_text()
    queried = set(re.findall(r"unmute_[a-z_]+", dashboard)) - {"unmute_overview"}
    queried = {re.sub(r"_(bucket|sum|count)$", "", name) for name in queried}
    known = _known_metric_names()
    assert queried, "the dashboard shows our metrics"
    assert queried <= known, f"not exported anywhere: {sorted(queried - known)}"
