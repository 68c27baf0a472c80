"""The backend's graceful drain, run on SIGTERM before the server stops.

It turns not-ready and takes no new sessions, lets live conversations finish for up to
the grace period, then closes what is left with 1001 (going away: the browser
reconnects, and lands on another backend).
"""

from __future__ import annotations

import logging

from backend.services import Services

logger = logging.getLogger(__name__)

GOING_AWAY_WAIT_S = 3.0  # for the last sessions to close after being told to go away


async def drain(services: Services, grace_s: float) -> None:
    services.seats.start_draining()
    live = services.seats.in_use
    logger.info("draining: %d conversation(s) may finish within %.0f s", live, grace_s)
    if await services.seats.wait_empty(grace_s):
        return
    logger.info("closing %d conversation(s) still running", services.seats.in_use)
    for session in list(services.sessions):
        session.go_away()
    await services.seats.wait_empty(GOING_AWAY_WAIT_S)
