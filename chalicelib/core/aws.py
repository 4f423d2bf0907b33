"""Lazily created boto3 clients, one per service and endpoint per container.

boto3 is imported here, on first use, so importing app.py (every cold start)
does not pay for it. boto3 honours AWS_ENDPOINT_URL itself, which points the
same code at the local emulator.
"""
from __future__ import annotations

from typing import Any

from chalicelib.core import environment
from chalicelib.core.cache import KeyedCache

_clients: KeyedCache[Any] = KeyedCache()

TRANSACTION_CANCELLED = "TransactionCanceledException"
CONDITION_FAILED = "ConditionalCheckFailedException"
NOT_FOUND = ("NoSuchKey", "404")


def client(service: str) -> Any:
    region = environment.region()
    key = (service, region, environment.variable("AWS_ENDPOINT_URL"))

    def build() -> Any:
        import boto3
        from botocore.config import Config

        return boto3.session.Session().client(
            service, region_name=region,
            config=Config(retries={"mode": "standard", "max_attempts": 4},
                          max_pool_connections=50))

    return _clients.get(key, build)


def error_code(exc: BaseException) -> str:
    """The AWS error code of a botocore ClientError, '' for anything else."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""


def is_error(exc: BaseException, *codes: str) -> bool:
    """True when `exc` is an AWS error with one of these codes."""
    return error_code(exc) in codes


def describe(exc: BaseException) -> str:
    """The AWS error code, or the exception's class name, for a log line."""
    return error_code(exc) or type(exc).__name__
