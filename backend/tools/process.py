"""The backend process's toolbox, entered once by the app's lifespan.

The `mcp` SDK is imported only when tools are configured: a backend without them does not
pay its import (0.4 s of start-up on a warm disk cache).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from backend.tools.config import load_tools_config

if TYPE_CHECKING:
    from backend.tools.mcp_toolbox import McpToolbox


@asynccontextmanager
async def configured_toolbox(config_path: str | None) -> AsyncIterator[McpToolbox | None]:
    """The toolbox of the operator's YAML (`UNMUTE_TOOLS_CONFIG`); `None` without one.
    A file that cannot be used raises `ToolsConfigError`, which says what to fix."""
    if not config_path:
        yield None
        return
    config = load_tools_config(Path(config_path))
    from backend.tools.mcp_toolbox import McpToolbox  # only now: see the docstring

    async with McpToolbox(config) as toolbox:
        yield toolbox
