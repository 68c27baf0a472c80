"""The frontend image's web server: nginx with swarm/images/frontend-nginx.conf, run here as
the image runs it (`nginx -p <prefix>`), on a small static export."""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.integration.backend_server import free_port

CONFIG = Path(__file__).resolve().parents[2] / "swarm" / "images" / "frontend-nginx.conf"
SCRIPT = "console.log('hello from a content-hashed asset');\n" * 40
START_TIMEOUT_S = 20.0

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    prefix = tmp_path_factory.mktemp("frontend")
    pages = prefix / "site"
    (pages / "_next" / "static" / "chunks").mkdir(parents=True)
    (pages / "docs").mkdir()
    (pages / "index.html").write_text("<html>home</html>")
    (pages / "about.html").write_text("<html>about</html>")
    (pages / "docs" / "index.html").write_text("<html>docs</html>")
    (pages / "404.html").write_text("<html>lost</html>")
    (pages / "_next" / "static" / "chunks" / "app-1a2b.js").write_text(SCRIPT)
    (prefix / "run").mkdir()
    port = free_port()
    # The configuration as the image has it, on a free port.
    config = CONFIG.read_text().replace("listen 8080;", f"listen 127.0.0.1:{port};")
    assert f":{port};" in config
    (prefix / "nginx.conf").write_text(config)
    # Started by root, nginx would serve as `nobody`, who cannot read pytest's folders; the
    # image starts it as `nobody`, so it serves as the user who started it, as here.
    as_starter = ["-g", "user root;"] if os.geteuid() == 0 else []
    server = subprocess.Popen(
        [nginx, "-p", f"{prefix}/", "-c", str(prefix / "nginx.conf"), "-e", "stderr", *as_starter]
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            assert server.poll() is None, "nginx exited during start-up"
            try:
                httpx.get(url)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "nginx did not start"
                time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_pages_by_their_export_names(site: str) -> None:
    assert httpx.get(f"{site}/").text == "<html>home</html>"
    assert httpx.get(f"{site}/about").text == "<html>about</html>"
    assert httpx.get(f"{site}/docs/").text == "<html>docs</html>"


def test_a_folder_without_its_slash_is_redirected_relative_to_the_proxy(site: str) -> None:
    answer = httpx.get(f"{site}/docs")
    assert answer.status_code == 301 and answer.headers["location"] == "/docs/"


def test_unknown_paths_get_the_404_page(site: str) -> None:
    answer = httpx.get(f"{site}/nowhere")
    assert answer.status_code == 404 and answer.text == "<html>lost</html>"
    assert httpx.get(f"{site}/_next/static/chunks/gone.js").status_code == 404


def test_hashed_assets_are_cached_for_good_and_pages_revalidated(site: str) -> None:
    asset = httpx.get(f"{site}/_next/static/chunks/app-1a2b.js")
    assert asset.text == SCRIPT
    assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
    for page in ("/", "/about"):
        assert httpx.get(f"{site}{page}").headers["cache-control"] == "no-cache"


def test_text_is_compressed_for_browsers_that_accept_it(site: str) -> None:
    url = f"{site}/_next/static/chunks/app-1a2b.js"
    with httpx.stream("GET", url, headers={"Accept-Encoding": "gzip"}) as answer:
        compressed = b"".join(answer.iter_raw())
        assert answer.headers["content-encoding"] == "gzip"
        assert answer.headers["vary"] == "Accept-Encoding"
    assert gzip.decompress(compressed) == SCRIPT.encode()
    assert len(compressed) < len(SCRIPT) // 4
    plain = httpx.get(url, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.text == SCRIPT


def test_pages_say_their_charset(site: str) -> None:
    assert httpx.get(f"{site}/").headers["content-type"] == "text/html; charset=utf-8"
