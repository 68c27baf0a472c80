"""The stack's Docker secrets: created before a deploy, never written into a stack file.

Names are `<stack>_<key>`, as the stack files expect. A secret that exists is kept as it is
(Swarm secrets cannot be read back or changed in place; see docs/deployment.md to rotate).
"""

from __future__ import annotations

import secrets as tokens
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ops.swarm.engine import SwarmError

if TYPE_CHECKING:
    import docker

OWNER_LABEL = "unmute.stack"  # not the stack namespace label: `docker stack rm` keeps them
# Swarm refuses empty secrets. A lone newline reads as empty in the containers (`$(cat …)`
# drops trailing newlines), so it stands for "no key" (e.g. an LLM without one).
EMPTY_SECRET = b"\n"

SPEECH_API_KEY = "speech_api_key"
LLM_API_KEY = "llm_api_key"
HF_TOKEN = "hf_token"
GRAFANA_ADMIN_PASSWORD = "grafana_admin_password"


@dataclass(frozen=True)
class SecretRequest:
    key: str
    value: str | None = None  # None: keep the existing one, or generate / leave empty
    generate: bool = False  # make a random one when absent and no value is given
    required: bool = False  # absent, no value, nothing to generate: refuse to deploy


@dataclass(frozen=True)
class CreatedSecret:
    name: str
    generated: str | None  # shown once, so the operator can keep it (e.g. Grafana's)


def secret_name(stack: str, key: str) -> str:
    return f"{stack}_{key}"


def ensure_secrets(
    client: docker.DockerClient, stack: str, requests: list[SecretRequest]
) -> list[CreatedSecret]:
    created: list[CreatedSecret] = []
    for request in requests:
        name = secret_name(stack, request.key)
        if _exists(client, name):
            continue
        value, generated = request.value, None
        if value is None and request.generate:
            value = generated = tokens.token_urlsafe(32)
        if value is None and request.required:
            raise SwarmError(f"the secret {name} is needed: pass it to deploy (see --help)")
        data = value.encode() if value else EMPTY_SECRET
        client.secrets.create(name=name, data=data, labels={OWNER_LABEL: stack})
        created.append(CreatedSecret(name, generated))
    return created


def remove_secrets(client: docker.DockerClient, stack: str) -> list[str]:
    """Remove every secret made for `stack` (its services must be gone first)."""
    removed: list[str] = []
    for secret in client.secrets.list(filters={"label": f"{OWNER_LABEL}={stack}"}):
        secret.remove()
        removed.append(str(secret.name))
    return removed


def _exists(client: docker.DockerClient, name: str) -> bool:
    from docker.errors import NotFound

    try:
        client.secrets.get(name)
    except NotFound:
        return False
    return True
