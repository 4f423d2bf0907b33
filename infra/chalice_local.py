"""Fixes to `chalice local` (and chalice.test, which shares its gateway).

Chalice's local stand-in for API Gateway's Cognito authorizer base64-decodes
the token itself and raises on a malformed one, so a garbage token became a
crash instead of the app's own 401. The app verifies every token in every
stage, so the stand-in only needs to not crash.
"""
from __future__ import annotations

from typing import Any

_patched = False


def harden_local_authorizer() -> None:
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
    _patched = True
