"""Serve a static export of the browser app (Next.js `out/`): standard library only.

`/about` is answered by `about.html` when there is no `about/` folder (how a static export
names pages), unknown paths get `404.html` with a 404, and hashed assets under `/_next/`
are cached for a year (their names change when their content does).
"""

from __future__ import annotations

import argparse
import os
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

IMMUTABLE_PREFIX = "/_next/static/"  # content-hashed file names: safe to cache for good
ONE_YEAR_S = 365 * 24 * 3600


class StaticSiteHandler(SimpleHTTPRequestHandler):
    def translate_path(self, path: str) -> str:
        local = super().translate_path(path)
        if not os.path.exists(local) and os.path.exists(local + ".html"):
            return local + ".html"
        return local

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        not_found_page = Path(self.directory) / "404.html"
        if code != 404 or self.command != "GET" or not not_found_page.is_file():
            super().send_error(code, message, explain)
            return
        body = not_found_page.read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def end_headers(self) -> None:
        if self.path.startswith(IMMUTABLE_PREFIX):
            self.send_header("Cache-Control", f"public, max-age={ONE_YEAR_S}, immutable")
        else:
            self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def log_message(self, format: str, *args: object) -> None:
        if os.environ.get("UNMUTE_STATIC_ACCESS_LOG"):
            super().log_message(format, *args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", type=Path, default=Path("/srv/www"))
    parser.add_argument("--host", default="0.0.0.0")
    parser.add_argument("--port", type=int, default=8080)
    options = parser.parse_args()
    handler = partial(StaticSiteHandler, directory=str(options.root))
    with ThreadingHTTPServer((options.host, options.port), handler) as server:
        server.serve_forever()


if __name__ == "__main__":
    main()
