"""HTTP plumbing shared by every route: the app class, CORS, body limits.

Chalice keeps the request being handled in one attribute of the app. Lambda
runs one request at a time, but `chalice local` serves requests on threads, so
concurrent requests would read each other's headers and bodies: the request is
kept per thread here.
"""
from __future__ import annotations

import threading
from typing import Any, Iterable

from chalice import Chalice, Response

from chalicelib import config

MAX_BODY_BYTES = 64 * 1024
MAX_WEBHOOK_BODY_BYTES = 512 * 1024
ALLOWED_HEADERS = "Authorization,Content-Type"
PREFLIGHT_MAX_AGE = "600"


class ThreadSafeChalice(Chalice):
    _per_thread = threading.local()

    @property  # type: ignore[override]
    def current_request(self) -> Any:
        return getattr(self._per_thread, "request", None)

    @current_request.setter
    def current_request(self, value: Any) -> None:
        self._per_thread.request = value

    @property  # type: ignore[override]
    def lambda_context(self) -> Any:
        return getattr(self._per_thread, "context", None)

    @lambda_context.setter
    def lambda_context(self, value: Any) -> None:
        self._per_thread.context = value


def allowed_origin(origin: str | None) -> str | None:
    """The request's Origin if it is one of the configured frontends, else None."""
    if origin and origin.rstrip("/") in config.allowed_origins():
        return origin.rstrip("/")
    return None


def cors_headers(origin: str | None) -> dict[str, str]:
    allowed = allowed_origin(origin)
    if allowed is None:
        return {}
    return {"Access-Control-Allow-Origin": allowed, "Vary": "Origin",
            "Access-Control-Expose-Headers": "Content-Length"}


def preflight(origin: str | None, methods: Iterable[str]) -> Response:
    headers = cors_headers(origin)
    if headers:
        headers.update({
            "Access-Control-Allow-Methods": ",".join(sorted(set(methods) | {"OPTIONS"})),
            "Access-Control-Allow-Headers": ALLOWED_HEADERS,
            "Access-Control-Max-Age": PREFLIGHT_MAX_AGE,
        })
    else:
        headers = {"Vary": "Origin"}
    return Response(body="", status_code=204, headers=headers)


def body_limit(path: str) -> int:
    return MAX_WEBHOOK_BODY_BYTES if path.startswith("/webhooks/") else MAX_BODY_BYTES


def too_large(limit: int) -> Response:
    return Response(status_code=413, body={
        "Code": "PayloadTooLargeError",
        "Message": f"Request body is too large; the limit is {limit // 1024} KiB"})
