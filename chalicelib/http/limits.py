"""Request body limits, checked before a route runs (413 in Chalice's error shape)."""
from __future__ import annotations

from chalice import Response

MAX_BODY_BYTES = 64 * 1024
MAX_WEBHOOK_BODY_BYTES = 512 * 1024
# POST /videos may carry uploaded captions of up to 2 MiB (docs/DESIGN.md section 4,
# checked in chalicelib.youtube.uploads); JSON escaping (a newline becomes "\n")
# needs room on top of the file itself.
MAX_UPLOAD_BODY_BYTES = 3 * 1024 * 1024


def body_limit(path: str, method: str = "") -> int:
    if method.upper() == "POST" and path.rstrip("/") == "/videos":
        return MAX_UPLOAD_BODY_BYTES
    return MAX_WEBHOOK_BODY_BYTES if path.startswith("/webhooks/") else MAX_BODY_BYTES


def too_large(limit: int) -> Response:
    return Response(status_code=413, body={
        "Code": "PayloadTooLargeError",
        "Message": f"Request body is too large; the limit is {limit // 1024} KiB"})
