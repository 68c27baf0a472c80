"""`unmute-ops logs SERVICE`: every task's output, interleaved as the engine sends it."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from ops.swarm.cli_options import Stack, fail
from ops.swarm.engine import DEFAULT_STACK, SwarmError, connect, find_service, service_logs


def logs(
    service: Annotated[str, typer.Argument(help="The service, e.g. backend.")],
    stack: Stack = DEFAULT_STACK,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep printing new lines.")] = (
        False
    ),
    tail: Annotated[int | None, typer.Option(min=0, help="Only the last N lines per task.")] = (
        None
    ),
    since: Annotated[int, typer.Option(min=0, help="Only lines after this Unix time.")] = 0,
    timestamps: Annotated[bool, typer.Option(help="Prefix each line with its time.")] = False,
) -> None:
    """Print SERVICE's logs (stdout and stderr of all its tasks)."""
    try:
        client = connect()
        lines = service_logs(
            client,
            find_service(client, stack, service),
            follow=follow,
            tail=tail,
            since=since,
            timestamps=timestamps,
        )
        for chunk in lines:
            sys.stdout.buffer.write(chunk)
            sys.stdout.buffer.flush()
    except SwarmError as error:
        fail(str(error))
    except KeyboardInterrupt:
        pass
