"""Server-side tools: the MCP servers an operator lets the bot use."""
