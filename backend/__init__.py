"""Unmute conversation backend: the realtime server between browsers and STT, LLM and TTS."""

import sys

# httpx loads its command-line client (click, rich, pygments: ~5 MiB resident) whenever
# those are installed, as they are beside `unmute-ops`. The backend never runs it; with the
# module marked absent, httpx defines a stub `main` instead.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]  # None: absent
