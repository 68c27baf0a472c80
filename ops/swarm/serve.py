"""The images' way to start a server: the `unmute-ops serve …` commands, without the rest
of the command line tool.

    python -m ops.swarm.serve backend --host 0.0.0.0 --port 8000

A container runs one server, so it imports only what that server needs: a dependency of
some other command (a plotting library, the Docker SDK) can never stop it from starting.
"""

from __future__ import annotations

from ops.serve import app

if __name__ == "__main__":
    app(prog_name="unmute-ops serve")
