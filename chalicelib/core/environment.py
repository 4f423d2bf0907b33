"""The process environment, read lazily: the bottom layer of the configuration.

Chalice sets a stage's environment only when a function runs, not when tests import
app.py, so nothing here is read at import time. Plain variables only: settings that
are secrets are read through chalicelib.core.config, which asks
chalicelib.core.secrets (Secrets Manager or SSM in AWS). Keeping this module free of
imports lets aws, secrets and config build on it without an import cycle.
"""
from __future__ import annotations

import os

LOCAL_STAGES = ("local", "test")


class ConfigError(RuntimeError):
    """A setting is missing or unsafe for the stage: fail loudly, never open."""


def variable(name: str, default: str | None = None) -> str | None:
    """An environment variable; empty counts as unset."""
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def stage() -> str:
    return variable("STAGE", "local") or "local"


def is_local() -> bool:
    return stage() in LOCAL_STAGES


def is_prod() -> bool:
    return stage() == "prod"


def region() -> str:
    return variable("AWS_REGION") or variable("AWS_DEFAULT_REGION") or "us-east-1"
