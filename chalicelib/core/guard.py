"""The prod guard: prod refuses to run with local-only settings or without its
secrets (read where they live: Secrets Manager or SSM in AWS, see
chalicelib.core.secrets). Fail loudly, never open.
"""
from __future__ import annotations

import os
from typing import Any

from chalicelib.core.config import ConfigError, env, is_prod, required, stage

PROD_REQUIRED = ("PAGINATION_SECRET", "USER_POOL_ID", "USER_POOL_CLIENT_ID",
                 "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET")
# Endpoints and base-URL overrides: in prod they would send the prod keys (AWS
# credentials, the Anthropic key, the Stripe secret key) to another host
# (docs/DESIGN.md section 9).
LOCAL_ONLY = ("AWS_ENDPOINT_URL", "COGNITO_JWKS_URL", "ANTHROPIC_BASE_URL", "STRIPE_API_BASE")
_checked: tuple[Any, ...] | None = None


def check_safe() -> None:
    """Refuse to serve prod with local-only settings or without its secrets
    (read where they live: Secrets Manager or SSM in AWS, see chalicelib.core.secrets).

    Run at every entry point: app.py's HTTP middleware, the SQS processor, the
    dead-letter handler and the cleanup (docs/DESIGN.md section 9). The checks run
    again only when the settings change (never, in a Lambda container).
    """
    global _checked
    needed = [*PROD_REQUIRED, "NOTES_MODEL" if (env("NOTES_PROVIDER") or "").lower() ==
              "bedrock" else "ANTHROPIC_API_KEY"]
    # boto3 also honours per-service endpoints (AWS_ENDPOINT_URL_SECRETSMANAGER...).
    local_only = [*LOCAL_ONLY, *sorted(name for name, value in os.environ.items()
                                       if name.startswith("AWS_ENDPOINT_URL_") and value)]
    fingerprint = (stage(), tuple(local_only),
                   tuple(bool(env(name)) for name in (*LOCAL_ONLY, *needed)))
    if fingerprint == _checked:
        return
    if is_prod():
        unsafe = [name for name in local_only if env(name)]
        if unsafe:
            raise ConfigError(f"prod refuses local-only settings: {', '.join(unsafe)}")
        for name in needed:
            required(name)
    _checked = fingerprint
