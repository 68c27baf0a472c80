"""unmute-ops: the operator's command-line tool."""
