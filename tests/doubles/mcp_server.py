"""A real MCP server (the `mcp` SDK's own `MCPServer`) for the tools tests.

python -m tests.doubles.mcp_server stdio
python -m tests.doubles.mcp_server http --port 8123     # Streamable HTTP at /mcp
"""

from __future__ import annotations

import argparse
import asyncio

from mcp.server import MCPServer

server = MCPServer("test-tools")


@server.tool()
def forecast(city: str) -> str:
    """Tomorrow's weather in a city."""
    return f"Sunny in {city}, 21 degrees."


@server.tool()
async def slow(seconds: float) -> str:
    """Answers after `seconds`."""
    await asyncio.sleep(seconds)
    return "finally"


@server.tool()
def broken() -> str:
    """Always fails."""
    raise RuntimeError("the forecast service is down")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("transport", choices=["stdio", "http"])
    parser.add_argument("--port", type=int, default=8123)
    args = parser.parse_args()
    if args.transport == "stdio":
        server.run("stdio")
    else:
        server.run("streamable-http", host="127.0.0.1", port=args.port)


if __name__ == "__main__":
    main()
