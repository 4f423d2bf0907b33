"""Request body limits, checked before a route runs (413 in Chalice's error shape)."""
from __future__ import annotations

from chalice import Response

MAX_BODY_BYTES = 64 * 1024
MAX_WEBHOOK_BODY_BYTES = 512 * 1024


def body_limit(path: str) -> int:
    return MAX_WEBHOOK_BODY_BYTES if path.startswith("/webhooks/") else MAX_BODY_BYTES


def too_large(limit: int) -> Response:
    return Response(status_code=413, body={
        "Code": "PayloadTooLargeError",
        "Message": f"Request body is too large; the limit is {limit // 1024} KiB"})
