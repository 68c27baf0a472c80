"""`unmute-ops`: run, deploy, scale, check and load-test Unmute."""

from __future__ import annotations

from typing import Annotated

import typer

from ops import serve
from ops.up import up

app = typer.Typer(
    name="unmute-ops",
    help="Run, deploy, scale, check and load-test Unmute.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(serve.app, name="serve")
app.command()(up)


@app.callback()
def main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging.")] = False,
) -> None:
    """Unmute's operator tool."""
    import logging

    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
