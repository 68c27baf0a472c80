"""Runs inside the stack's monitoring network: asks every task of the named services for
the given paths and prints what each answered, as JSON.

    python -m ops.swarm.task_probe '{"targets": [{"name": "backend",
        "host": "tasks.unmute_backend", "port": 8000, "paths": ["/v1/ready"]}]}'

Task addresses come from Swarm's DNS (`tasks.<service>` lists every task). The operator's
machine cannot reach them; `ops.swarm.probe` starts this in a short-lived container.
"""

from __future__ import annotations

import asyncio
import json
import socket
import sys
from typing import Any

import httpx

REQUEST_TIMEOUT_S = 3.0  # a healthy task answers in milliseconds; a stuck one is down
MAX_BODY_CHARS = 200_000  # metrics pages are ~20 kB; bounded so a bad answer cannot flood


async def _addresses(host: str) -> list[str]:
    try:
        found = await asyncio.get_running_loop().getaddrinfo(
            host, None, family=socket.AF_INET, type=socket.SOCK_STREAM
        )
    except socket.gaierror:
        return []
    return sorted({str(entry[4][0]) for entry in found})


async def _fetch(
    http: httpx.AsyncClient, name: str, address: str, port: int, path: str
) -> dict[str, Any]:
    answer: dict[str, Any] = {"name": name, "address": address, "path": path}
    try:
        response = await http.get(f"http://{address}:{port}{path}")
    except httpx.HTTPError as error:
        return {**answer, "status": None, "body": "", "error": f"{type(error).__name__}: {error}"}
    return {**answer, "status": response.status_code, "body": response.text[:MAX_BODY_CHARS]}


async def probe(spec: dict[str, Any]) -> list[dict[str, Any]]:
    answers: list[dict[str, Any]] = []
    requests = []
    async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT_S, trust_env=False) as http:
        for target in spec["targets"]:
            addresses = await _addresses(target["host"])
            if not addresses:
                missing = {"name": target["name"], "address": None, "path": None}
                answers.append({**missing, "status": None, "body": "", "error": "no running task"})
            for address in addresses:
                for path in target["paths"]:
                    requests.append(_fetch(http, target["name"], address, target["port"], path))
        answers.extend(await asyncio.gather(*requests))
    return answers


def main() -> None:
    print(json.dumps(asyncio.run(probe(json.loads(sys.argv[1])))))


if __name__ == "__main__":
    main()
