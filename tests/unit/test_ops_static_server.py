"""The frontend image's static server: export-style page names, a 404 page, cache rules."""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Iterator
from functools import partial
from http.server import ThreadingHTTPServer
from pathlib import Path
from types import ModuleType

import httpx
import pytest

SERVER = Path(__file__).resolve().parents[2] / "swarm" / "images" / "static_server.py"


def load_server() -> ModuleType:
    spec = importlib.util.spec_from_file_location("static_server", SERVER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def site(tmp_path: Path) -> Iterator[str]:
    (tmp_path / "index.html").write_text("<html>home</html>")
    (tmp_path / "about.html").write_text("<html>about</html>")
    (tmp_path / "404.html").write_text("<html>lost</html>")
    (tmp_path / "_next" / "static").mkdir(parents=True)
    (tmp_path / "_next" / "static" / "app.1a2b.js").write_text("console.log(1)")
    handler = partial(load_server().StaticSiteHandler, directory=str(tmp_path))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_pages_by_their_export_names(site: str) -> None:
    assert httpx.get(f"{site}/").text == "<html>home</html>"
    assert httpx.get(f"{site}/about").text == "<html>about</html>"


def test_unknown_paths_get_the_404_page(site: str) -> None:
    answer = httpx.get(f"{site}/nowhere")
    assert answer.status_code == 404 and answer.text == "<html>lost</html>"


def test_hashed_assets_are_cached_and_pages_revalidated(site: str) -> None:
    asset = httpx.get(f"{site}/_next/static/app.1a2b.js")
    assert "immutable" in asset.headers["cache-control"]
    assert httpx.get(f"{site}/").headers["cache-control"] == "no-cache"
