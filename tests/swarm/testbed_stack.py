"""What both swarm suites share: a test bed of their own (see ops.swarm.testbed; the host's
Docker engine is never started or changed), the stack's images built once per run and
loaded into each test bed, and the deployed stack as the tests see it (`unmute-ops` on the
test bed's manager, Traefik at the manager's address).

To iterate: `unmute-ops testbed up [--workers 0]`, `unmute-ops testbed images [--workers 0]
> images.env`, then run a suite with UNMUTE_TESTBED_KEEP=1 (use the test bed that is up, and
leave it up) and UNMUTE_TESTBED_IMAGES=images.env (deploy those images, build none);
UNMUTE_TESTBED_ARCHIVE=PATH keeps the built images' archive there between runs."""

from __future__ import annotations

import asyncio
import atexit
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import httpx
import pytest

from ops.swarm.engine import SwarmError
from ops.swarm.image_archive import names_path
from ops.swarm.images import DEFAULT_CACHE_DIR
from ops.swarm.testbed import bring_up, describe, distribute_images, tear_down
from ops.swarm.testbed_layout import TestBedLayout, TestBedNode

UNMUTE_OPS = str(Path(sys.executable).with_name("unmute-ops"))
ARCHIVE_NAME = "stack-images.tar"


@dataclass
class SuiteSkips:
    """A suite skipped is said out loud in the summary, not only counted."""

    title: str
    reasons: list[str] = field(default_factory=list)

    def skip(self, reason: str) -> NoReturn:
        if reason not in self.reasons:
            self.reasons.append(reason)
        pytest.skip(reason)

    def report(self, terminalreporter: pytest.TerminalReporter) -> None:
        if self.reasons:
            terminalreporter.section(self.title)
            for reason in self.reasons:
                terminalreporter.write_line(reason)


def testbed_session(
    layout: TestBedLayout, skips: SuiteSkips, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestBedLayout]:
    """The test bed up for a package's tests, and gone after them (unless kept)."""
    if os.environ.get("UNMUTE_SKIP_SWARM"):
        skips.skip("UNMUTE_SKIP_SWARM is set")
    if os.geteuid() != 0:
        skips.skip("the swarm suites need root (network namespaces, dockerd): run as root")
    keep = bool(os.environ.get("UNMUTE_TESTBED_KEEP"))
    if keep and describe(layout)["up"]:
        yield layout
        return
    log = tmp_path_factory.mktemp("testbed") / "testbed.log"

    def say(message: str) -> None:
        with log.open("a") as file:
            file.write(message + "\n")

    try:
        bring_up(layout, DEFAULT_CACHE_DIR, say)
    except SwarmError as error:
        pytest.fail(f"the test bed did not come up: {error}")
    try:
        yield layout
    finally:
        if not keep:
            tear_down(layout)


def stack_images(layout: TestBedLayout, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An env file naming the stack's images on the test bed (UNMUTE_*_IMAGE): built by the
    first test bed of the run, saved, and loaded by the next one instead of built again."""
    if given := os.environ.get("UNMUTE_TESTBED_IMAGES"):
        return Path(given)
    if kept := os.environ.get("UNMUTE_TESTBED_ARCHIVE"):
        archive = Path(kept)
    else:
        archive = tmp_path_factory.getbasetemp() / ARCHIVE_NAME
        # Gigabytes: gone with the run, not left among pytest's kept directories.
        atexit.register(archive.unlink, missing_ok=True)
        atexit.register(names_path(archive).unlink, missing_ok=True)
    log = tmp_path_factory.mktemp("images") / "images.log"

    def say(message: str) -> None:
        with log.open("a") as file:
            file.write(f"{time.monotonic():.1f} {message}\n")

    started = time.monotonic()
    images = distribute_images(layout, DEFAULT_CACHE_DIR, say, archive)
    say(f"images ready after {time.monotonic() - started:.1f} s")
    images_env = log.with_name("images.env")
    images_env.write_text("".join(f"{key}={value}\n" for key, value in images.items()))
    return images_env


@dataclass(frozen=True)
class StackOnTestBed:
    """The stack deployed on a test bed, operated from the manager."""

    layout: TestBedLayout
    stack: str
    deploy_arguments: tuple[str, ...]  # what deployed it: redeploy with the same plus changes

    @property
    def url(self) -> str:
        """Traefik on the manager, where the stack's public name points."""
        return self.edge_url(self.layout.manager)

    def edge_url(self, node: TestBedNode) -> str:
        """Traefik on this node (an edge: a manager with the edge role)."""
        return f"https://{node.address}"

    def environment(self) -> dict[str, str]:
        return {
            **os.environ,
            "DOCKER_HOST": self.layout.manager.docker_host,
            "UNMUTE_STACK": self.stack,
            "UNMUTE_PUBLIC_URL": self.url,
            "UNMUTE_INSECURE_TLS": "1",  # Traefik's own certificate (no Let's Encrypt here)
            "COLUMNS": "200",
        }

    def ops(self, *arguments: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        """`unmute-ops …` on the manager, as an operator runs it there."""
        return subprocess.run(
            [UNMUTE_OPS, *arguments],
            env=self.environment(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def ops_json(self, *arguments: str, timeout: float = 600) -> Any:
        result = self.ops(*arguments, "--json", timeout=timeout)
        assert result.returncode == 0, f"unmute-ops {' '.join(arguments)}:\n{result.stderr}"
        return json.loads(result.stdout)

    async def ops_async(self, *arguments: str) -> tuple[int, str, str]:
        """`unmute-ops …` in the background, while conversations go on."""
        process = await asyncio.create_subprocess_exec(
            UNMUTE_OPS,
            *arguments,
            env=self.environment(),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await process.communicate()
        return process.returncode or 0, out.decode(), err.decode()

    def docker(self, *arguments: str) -> str:
        """The docker CLI against the manager's engine."""
        result = subprocess.run(
            ["docker", *arguments], env=self.environment(), capture_output=True, text=True
        )
        assert result.returncode == 0, f"docker {' '.join(arguments)}:\n{result.stderr}"
        return result.stdout

    def wait_for_routed_backends(self, count: int, timeout_s: float = 120) -> None:
        """Until Traefik routes to `count` ready backends (it discovers tasks every 2 s)."""
        deadline = time.monotonic() + timeout_s
        wanted = f"api: {count}/{count} servers up"
        while True:
            report = self.ops("health", "--json")
            checks = json.loads(report.stdout)["checks"] if report.stdout else []
            routing = [c["detail"] for c in checks if c["component"] == "traefik routing"]
            if routing and all(wanted in detail for detail in routing):
                return
            assert time.monotonic() < deadline, f"Traefik does not route to {count}: {routing}"
            time.sleep(1.0)

    async def wait_until_healthy(self, timeout_s: float = 180, url: str | None = None) -> None:
        """Until the deployment's public `/v1/health` says ok (through the Traefik at `url`,
        the manager's by default): after a change the backends need a moment to find the
        speech servers' new tasks."""
        url = url or self.url
        deadline = time.monotonic() + timeout_s
        body: object = None
        async with httpx.AsyncClient(verify=False, timeout=5) as http:  # self-signed
            while True:
                try:
                    answer = await http.get(f"{url}/api/v1/health")
                    body = answer.json()
                    if answer.status_code == 200 and isinstance(body, dict) and body.get("ok"):
                        return
                except (httpx.HTTPError, ValueError) as error:
                    body = repr(error)
                assert time.monotonic() < deadline, f"the deployment is not healthy: {body}"
                await asyncio.sleep(1.0)
