"""Secrets, read at run time and cached per container.

In AWS (dev, prod) the functions' environment names where each secret lives, never
its value; locally and in tests the value itself is in the environment:

    get("STRIPE_SECRET_KEY") reads, in this order,
      STRIPE_SECRET_KEY_SECRET_ARN  set: that Secrets Manager secret (ARN or name)
      STRIPE_SECRET_KEY_PARAMETER   set: that SSM parameter (SecureString, decrypted)
      otherwise                     the STRIPE_SECRET_KEY variable itself

A secret whose value is a JSON object holds several settings; `get(name)` then takes
the member called `name` (one proxy secret carries YOUTUBE_PROXY_URL, or
WEBSHARE_PROXY_USERNAME and WEBSHARE_PROXY_PASSWORD). Any other value is used whole.

Values are cached for SECRETS_CACHE_SECONDS (15 minutes) so a rotated key is picked
up without a redeploy; a secret that has no value yet is asked for again after a
minute. If the store cannot be reached when a cached value expires, the old value
is kept and a warning logged; with nothing cached, SecretError (a ConfigError)
fails the request or job loudly. boto3 is imported only on the first read from a
store (chalicelib.core.aws), so cold starts of the local stage and of tests never pay.
"""
from __future__ import annotations

import json
import logging
import os
import threading
import time
from dataclasses import dataclass

from chalicelib.core import aws
from chalicelib.core.environment import ConfigError

log = logging.getLogger(__name__)

DEFAULT_CACHE_SECONDS = 900.0
MISSING_CACHE_SECONDS = 60.0
SECRET_ARN_SUFFIX = "_SECRET_ARN"
PARAMETER_SUFFIX = "_PARAMETER"
# Error codes meaning "there is no value (yet)", not "something is broken".
_NO_VALUE_CODES = ("ResourceNotFoundException", "ParameterNotFound")


class SecretError(ConfigError):
    """A secret's store could not be read (permissions, network, throttling)."""


@dataclass
class _Entry:
    text: str | None
    expires_at: float


_cache: dict[tuple[str, str], _Entry] = {}
_lock = threading.Lock()


def source(name: str) -> tuple[str, str] | None:
    """Where `name` is read from: ("secretsmanager", id) or ("ssm", parameter name);
    None when it is read from the plain environment variable."""
    secret_id = os.environ.get(name + SECRET_ARN_SUFFIX, "").strip()
    if secret_id:
        return ("secretsmanager", secret_id)
    parameter = os.environ.get(name + PARAMETER_SUFFIX, "").strip()
    if parameter:
        return ("ssm", parameter)
    return None


def describe(name: str) -> str:
    """A human-readable location of `name`, for error messages (never the value)."""
    where = source(name)
    if where is None:
        return f"the {name} environment variable"
    kind, ref = where
    return f"Secrets Manager secret {ref}" if kind == "secretsmanager" else f"SSM parameter {ref}"


def get(name: str) -> str | None:
    """The secret `name`, or None when it is not set (or its store holds no value)."""
    where = source(name)
    if where is None:
        value = os.environ.get(name)
        return value if value else None
    return _member(_stored_text(where), name)


def clear_cache() -> None:
    """Forget every cached value (tests; a container otherwise never needs this)."""
    with _lock:
        _cache.clear()


def _cache_seconds() -> float:
    raw = os.environ.get("SECRETS_CACHE_SECONDS", "")
    try:
        return max(0.0, float(raw)) if raw else DEFAULT_CACHE_SECONDS
    except ValueError:
        return DEFAULT_CACHE_SECONDS


def _stored_text(where: tuple[str, str]) -> str | None:
    now = time.monotonic()
    entry = _cache.get(where)
    if entry is not None and entry.expires_at > now:
        return entry.text
    with _lock:
        entry = _cache.get(where)
        if entry is not None and entry.expires_at > now:
            return entry.text
        try:
            text = _fetch(*where)
        except SecretError:
            if entry is not None and entry.text is not None:
                log.warning("secret %s could not be refreshed; using the cached value",
                            where[1])
                _cache[where] = _Entry(entry.text, now + MISSING_CACHE_SECONDS)
                return entry.text
            raise
        ttl = _cache_seconds() if text is not None else min(_cache_seconds(),
                                                              MISSING_CACHE_SECONDS)
        _cache[where] = _Entry(text, now + ttl)
        return text


def _fetch(kind: str, ref: str) -> str | None:
    try:
        if kind == "secretsmanager":
            response = aws.client("secretsmanager").get_secret_value(SecretId=ref)
            text = response.get("SecretString")
            if text is None and response.get("SecretBinary") is not None:
                text = response["SecretBinary"].decode("utf-8")
        else:
            response = aws.client("ssm").get_parameter(Name=ref, WithDecryption=True)
            text = response["Parameter"].get("Value")
    except Exception as exc:  # classified below
        code = aws.error_code(exc)
        if code in _NO_VALUE_CODES:
            return None  # created but not filled in yet, or deleted
        # The message names the secret and the error, never a value.
        raise SecretError(f"cannot read {kind} secret {ref}: {code or type(exc).__name__}") \
            from exc
    return text if text else None


def _member(text: str | None, name: str) -> str | None:
    if text is None:
        return None
    stripped = text.strip()
    if stripped.startswith("{"):
        try:
            document = json.loads(stripped)
        except ValueError:
            return text
        if isinstance(document, dict):
            member = document.get(name)
            if member is None:
                return None
            return str(member).strip() or None
    return stripped or None
