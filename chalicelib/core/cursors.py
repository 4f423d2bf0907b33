"""Opaque, signed list cursors.

A cursor is the DynamoDB LastEvaluatedKey, base64url-encoded and signed with
HMAC-SHA256 over the user and the query it belongs to, so it can be neither
forged, edited, nor replayed by another user or against another filter.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from typing import Any

from chalicelib.core import config
from chalicelib.core.errors import BadRequestError

MAX_CURSOR_LENGTH = 2048
INVALID = "last_key is invalid or belongs to another query; start again without it"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(payload: str, user_id: str, scope: str) -> str:
    message = f"{user_id}\n{scope}\n{payload}".encode()
    return _b64(hmac.new(config.pagination_secret(), message, hashlib.sha256).digest())


def encode(key: dict[str, Any], *, user_id: str, scope: str) -> str:
    payload = _b64(json.dumps(key, sort_keys=True, separators=(",", ":")).encode())
    return f"{payload}.{_signature(payload, user_id, scope)}"


def decode(cursor: str, *, user_id: str, scope: str) -> dict[str, Any]:
    # A cursor we made is ASCII; anything else (hmac.compare_digest refuses non-ASCII
    # strings with a TypeError) is refused here as invalid, not a 500.
    if not isinstance(cursor, str) or len(cursor) > MAX_CURSOR_LENGTH or \
            cursor.count(".") != 1 or not cursor.isascii():
        raise BadRequestError(INVALID)
    payload, signature = cursor.split(".")
    # Bytes: compare_digest raises TypeError on non-ASCII str (a 500, found by schemathesis).
    if not hmac.compare_digest(signature.encode(), _signature(payload, user_id, scope).encode()):
        raise BadRequestError(INVALID)
    try:
        key = json.loads(_unb64(payload))
    except (binascii.Error, ValueError) as exc:
        raise BadRequestError(INVALID) from exc
    if not isinstance(key, dict):
        raise BadRequestError(INVALID)
    return key
