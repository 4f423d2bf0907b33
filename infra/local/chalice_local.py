"""Fixes to `chalice local` (and chalice.test, which shares its gateway).

Chalice's local stand-in for API Gateway's Cognito authorizer base64-decodes
the token itself and raises on a malformed one, so a garbage token became a
crash instead of the app's own 401. The app verifies every token in every
stage, so the stand-in only needs to not crash.

Its HTTP server also keeps Python's default listen backlog of 5, so a burst of
concurrent clients got connection resets; API Gateway queues them.

An unknown route was API Gateway's 403 "Missing Authentication Token", and with an
Authorization header the whole header was echoed back in the message. It is a 404
{Code, Message} that echoes nothing (docs/DESIGN.md section 4), as the deployed API's
gateway responses answer (infra/template.yaml, "Gateway responses").

Its warnings that the Cognito authorizer is "not supported in local mode; all requests
... authorized" are true of chalice but not of this app, which verifies every token
itself (chalicelib/accounts/tokens.py): they are silenced, and the local stack says so
once.
"""
from __future__ import annotations

import json
import warnings
from typing import Any

LISTEN_BACKLOG = 256
NOT_FOUND_BODY = (json.dumps({"Code": "NotFound", "Message": "There is no such route or "
                             "method; the routes are in GET /openapi.json"}) + "\n").encode()
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

    local.LocalGatewayAuthorizer._decode_jwt_payload = tolerant  # type: ignore[method-assign,assignment]

    class RouteNotFound(local.LocalGatewayException):
        CODE = 404

    def not_found() -> RouteNotFound:
        return RouteNotFound({"Content-Type": "application/json"}, NOT_FOUND_BODY)

    original_event = local.LocalGateway._generate_lambda_event

    def event_or_404(self: Any, method: str, path: str, headers: Any, body: Any) -> Any:
        try:
            event = original_event(self, method, path, headers, body)
        except ValueError:  # no such route: before any authorizer, as API Gateway
            raise not_found() from None
        methods = self._app_object.routes.get(event["requestContext"]["resourcePath"], {})
        if method != "OPTIONS" and method not in methods:
            raise not_found()
        return event

    local.LocalGateway._generate_lambda_event = event_or_404  # type: ignore[method-assign]
    warnings.filterwarnings("ignore", message=r".*(not supported|not a supported) in local "
                            r"mode", category=UserWarning)
    local.ThreadedHTTPServer.request_queue_size = LISTEN_BACKLOG
    _patched = True
