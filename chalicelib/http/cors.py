"""Where CORS is answered: the allowed origins (ALLOWED_ORIGINS) get CORS headers
on every response (app.py's middleware) and on preflight (OPTIONS) requests."""
from __future__ import annotations

from collections.abc import Iterable

from chalice import Response

from chalicelib.core import config

ALLOWED_HEADERS = "Authorization,Content-Type"
PREFLIGHT_MAX_AGE = "600"


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
    headers: dict[str, str | list[str]] = {**cors_headers(origin)}
    if headers:
        headers.update({
            "Access-Control-Allow-Methods": ",".join(sorted(set(methods) | {"OPTIONS"})),
            "Access-Control-Allow-Headers": ALLOWED_HEADERS,
            "Access-Control-Max-Age": PREFLIGHT_MAX_AGE,
        })
    else:
        headers = {"Vary": "Origin"}
    return Response(body="", status_code=204, headers=headers)
