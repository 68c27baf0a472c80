"""Who may open the OpenAI Realtime route: API keys the operator sets, checked when set.

OpenAI's SDKs send `Authorization: Bearer <key>`; browsers, which cannot set headers on a
WebSocket, send the key as a subprotocol `openai-insecure-api-key.<key>` beside `realtime`.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping, Sequence

SUBPROTOCOL_KEY_PREFIX = "openai-insecure-api-key."


def parse_keys(setting: str | None) -> list[str]:
    """`UNMUTE_OPENAI_API_KEYS`: comma-separated keys; empty or unset: no check."""
    return [key.strip() for key in (setting or "").split(",") if key.strip()]


def presented_key(headers: Mapping[str, str], subprotocols: Sequence[str]) -> str | None:
    authorization = headers.get("authorization", "")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    for protocol in subprotocols:
        if protocol.startswith(SUBPROTOCOL_KEY_PREFIX):
            return protocol[len(SUBPROTOCOL_KEY_PREFIX) :]
    return None


def key_accepted(keys: Sequence[str], presented: str | None) -> bool:
    if not keys:
        return True
    if presented is None:
        return False
    # Compare every key in constant time, so timing tells nothing about any of them.
    matches = [hmac.compare_digest(key.encode(), presented.encode()) for key in keys]
    return any(matches)
