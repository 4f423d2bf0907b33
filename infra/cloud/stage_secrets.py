"""The stack's Secrets Manager secrets, filled from the deploying shell (step 2).

The secrets found in the shell's environment (ANTHROPIC_API_KEY, STRIPE_SECRET_KEY,
STRIPE_WEBHOOK_SECRET, YOUTUBE_PROXY_URL or WEBSHARE_PROXY_USERNAME/PASSWORD) are put
into the stack's secrets, only when changed; a prod-like stage refuses to go on while
a secret it needs is empty (`required_secrets`, `empty_secrets`).
"""
from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from chalicelib.core import aws
from infra.cloud.stage_config import (
    GENERATED_SECRETS,
    PROD_LIKE_STAGES,
    PROD_REQUIRED_SECRETS,
    SECRET_OUTPUTS,
)


def secret_values(environ: Mapping[str, str]) -> dict[str, str]:
    """Secret output -> the value to store, from the deploying shell's environment.
    The proxy secret is JSON of whichever proxy settings are set."""
    values: dict[str, str] = {}
    for key, names in SECRET_OUTPUTS.items():
        present = {name: environ[name] for name in names
                   if environ.get(name) and name not in GENERATED_SECRETS}
        if not present:
            continue
        if len(names) == 1:
            values[key] = present[names[0]]
        else:
            values[key] = json.dumps(present, sort_keys=True)
    return values


def required_secrets(stage: str, notes_provider: str | None = None) -> tuple[str, ...]:
    """Secret settings a stage refuses to deploy without."""
    if stage not in PROD_LIKE_STAGES:
        return ()
    needed: tuple[str, ...] = PROD_REQUIRED_SECRETS
    if (notes_provider or "").lower() != "bedrock":
        needed = ("ANTHROPIC_API_KEY", *needed)
    return needed


def store_secrets(secretsmanager: Any, outputs: Mapping[str, str],
                  environ: Mapping[str, str]) -> list[str]:
    """Put the secrets given in `environ` into the stack's secrets (only when the
    value changed: every put is a new version). Returns the outputs updated."""
    updated = []
    for key, value in secret_values(environ).items():
        secret_id = outputs.get(key)
        if not secret_id:
            continue
        try:
            current = secretsmanager.get_secret_value(SecretId=secret_id).get("SecretString")
        except Exception as exc:  # an empty secret has no current version
            if aws.error_code(exc) != "ResourceNotFoundException":
                raise
            current = None
        if current != value:
            secretsmanager.put_secret_value(SecretId=secret_id, SecretString=value)
            updated.append(key)
    return updated


def empty_secrets(secretsmanager: Any, outputs: Mapping[str, str],
                  names: Sequence[str]) -> list[str]:
    """Which of the secret settings `names` have no current value in their secret."""
    empty = []
    for key, settings in SECRET_OUTPUTS.items():
        wanted = [name for name in settings if name in names]
        if not wanted or not outputs.get(key):
            continue
        described = secretsmanager.describe_secret(SecretId=outputs[key])
        stages = described.get("VersionIdsToStages") or {}
        if not any("AWSCURRENT" in labels for labels in stages.values()):
            empty += wanted
    return empty
