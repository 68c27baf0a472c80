"""`unmute-ops`'s entry point: a server process loads only the server it runs.

Every server of the one-machine stack, of the tests and of the benchmarks starts as
`unmute-ops serve …`. Through the whole command line tool, each of them would also load
the operator's verbs and their console library (~5 MiB resident per process, and their
import time); `serve` goes straight to `ops.serve`, as the images' `ops.swarm.serve` does.
"""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:2] == ["serve"]:
        from ops.serve import app as serve_app
        from ops.serve import configure_logging

        configure_logging(verbose=False)
        serve_app(args=sys.argv[2:], prog_name="unmute-ops serve")
        return
    from ops.cli import app

    app()
