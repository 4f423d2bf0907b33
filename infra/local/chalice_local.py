"""Fixes to `chalice local` (and chalice.test, which shares its gateway).

Chalice's local stand-in for API Gateway's Cognito authorizer base64-decodes
the token itself and raises on a malformed one, so a garbage token became a
crash instead of the app's own 401. The app verifies every token in every
stage, so the stand-in only needs to not crash.

Its HTTP server also keeps Python's default listen backlog of 5, so a burst of
concurrent clients got connection resets; API Gateway queues them.
"""
from __future__ import annotations

from typing import Any

LISTEN_BACKLOG = 256
_patched = False


def harden_chalice_local() -> None:
    global _patched
    if _patched:
        return
    from chalice import local

    original = local.LocalGatewayAuthorizer._decode_jwt_payload

    def tolerant(self: Any, token: str) -> dict:
        try:
            claims = original(self, token)
        except Exception:  # noqa: BLE001 - any undecodable token: let the app answer 401
            return {}
        return claims if isinstance(claims, dict) else {}

    local.LocalGatewayAuthorizer._decode_jwt_payload = tolerant
    local.ThreadedHTTPServer.request_queue_size = LISTEN_BACKLOG
    _patched = True
