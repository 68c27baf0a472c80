"""What the swarm commands share: options, output and how they fail."""

from __future__ import annotations

import json
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console

console = Console()
errors = Console(stderr=True)

Stack = Annotated[
    str, typer.Option("--stack", envvar="UNMUTE_STACK", help="The stack's name on the swarm.")
]
Json = Annotated[bool, typer.Option("--json", help="Print JSON for scripts instead of tables.")]
Timeout = Annotated[
    float, typer.Option("--timeout", min=1.0, help="Seconds to wait before giving up.")
]


def fail(message: str) -> NoReturn:
    errors.print(f"[red]✗[/] {message}")
    raise typer.Exit(1)


def print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, sort_keys=True))
