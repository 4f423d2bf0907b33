"""Lazily created boto3 clients, one per service and endpoint per container.

boto3 is imported here, on first use, so importing app.py (every cold start)
does not pay for it. boto3 honours AWS_ENDPOINT_URL itself, which points the
same code at the local emulator.
"""
from __future__ import annotations

import threading
from typing import Any

from chalicelib import config

_clients: dict[tuple[str, str, str | None], Any] = {}
_lock = threading.Lock()


def client(service: str) -> Any:
    key = (service, config.region(), config.env("AWS_ENDPOINT_URL"))
    found = _clients.get(key)
    if found is not None:
        return found
    with _lock:
        if key not in _clients:
            import boto3
            from botocore.config import Config

            _clients[key] = boto3.session.Session().client(
                service,
                region_name=key[1],
                config=Config(retries={"mode": "standard", "max_attempts": 4},
                              max_pool_connections=50),
            )
        return _clients[key]


def error_code(exc: BaseException) -> str:
    """The AWS error code of a botocore ClientError, '' for anything else."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""
