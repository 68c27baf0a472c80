"""`unmute-ops`: run, deploy, scale, check and load-test Unmute."""

from __future__ import annotations

from typing import Annotated

import typer

from ops import serve
from ops.loadtest_command import loadtest
from ops.swarm.autoscale import autoscale
from ops.swarm.deploy import deploy
from ops.swarm.drain import drain
from ops.swarm.health import health
from ops.swarm.images import images
from ops.swarm.logs import logs
from ops.swarm.nodes import app as nodes_app
from ops.swarm.rollback import rollback
from ops.swarm.scale import scale
from ops.swarm.status import status
from ops.swarm.testbed import app as testbed_app
from ops.up import up

app = typer.Typer(
    name="unmute-ops",
    help="Run, deploy, scale, check and load-test Unmute.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(serve.app, name="serve")
app.add_typer(testbed_app, name="testbed")
app.add_typer(nodes_app, name="nodes")
app.command()(up)
app.command()(images)
app.command()(deploy)
app.command()(scale)
app.command()(status)
app.command()(health)
app.command()(logs)
app.command()(rollback)
app.command()(drain)
app.command()(autoscale)
app.command()(loadtest)


@app.callback()
def main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging.")] = False,
) -> None:
    """Unmute's operator tool."""
    serve.configure_logging(verbose=verbose)
