"""The Stripe client: one per container, built on first use, and Stripe's errors
turned into answers a person can act on.

The stripe SDK is imported inside the functions that use it: importing app.py
(every cold start) must not pay for it.
"""
from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any, cast

from chalicelib.core import config, secrets
from chalicelib.core.cache import KeyedCache
from chalicelib.core.errors import (
    BadGatewayError,
    PaymentRequired,
    ServiceUnavailableError,
    TooManyRequestsError,
)

log = logging.getLogger(__name__)

# Connect and read timeouts, and one retry (same idempotency key): the worst case
# stays under API Gateway's 29 s limit.
STRIPE_TIMEOUT = (3.05, 12.0)
STRIPE_NETWORK_RETRIES = 1

_clients: KeyedCache[Any] = KeyedCache(keep_one=True)


def secret(name: str) -> str | None:
    """A Stripe secret (Secrets Manager in AWS, the environment locally). A store
    that cannot be read is a 503 (Stripe retries webhooks), not a crash."""
    try:
        value = secrets.get(name)
    except secrets.SecretError as exc:
        log.error("payments refused: %s", exc)
        raise ServiceUnavailableError(
            f"Payments are not configured: {name} could not be read on this server "
            f"({secrets.describe(name)}); try again later") from exc
    if value is None and name == "STRIPE_WEBHOOK_SECRET":
        # The local sandbox signs its events with its own secret (None when it is off).
        from chalicelib.payments import sandbox

        value = sandbox.webhook_secret()
    return value


def not_configured(name: str) -> ServiceUnavailableError:
    """The 503 for a missing setting, naming it: waiting will not help, setting it will."""
    hint = ""
    if name == "STRIPE_SECRET_KEY" and config.stage() == "local":
        hint = " (or leave both Stripe keys unset under `make run` for the local sandbox)"
    return ServiceUnavailableError(
        f"Payments are not configured: {name} is not set on this server{hint}")


def client() -> Any:
    """The one StripeClient of this container, built on first use.

    Rebuilt only when the key or API base changes (tests point it at a fake).
    """
    api_key = secret("STRIPE_SECRET_KEY")
    if api_key is None:
        log.error("payments are not configured: STRIPE_SECRET_KEY is not set")
        raise not_configured("STRIPE_SECRET_KEY")
    api_base = config.env("STRIPE_API_BASE")
    if api_base is not None and config.is_prod():
        # A stand-in Stripe API in prod would take no real money: refuse, loudly.
        log.error("payments refused: prod must not set STRIPE_API_BASE")
        raise ServiceUnavailableError(
            "Payments are not configured: STRIPE_API_BASE must not be set in prod")

    def build() -> Any:
        import stripe

        return stripe.StripeClient(
            api_key,
            base_addresses={"api": api_base.rstrip("/")} if api_base else None,
            max_network_retries=STRIPE_NETWORK_RETRIES,
            http_client=stripe.RequestsClient(timeout=STRIPE_TIMEOUT),
        )

    return _clients.get((api_key, api_base), build)


def call(what: str, request: Callable[[Any], Any]) -> dict[str, Any]:
    """Run one Stripe request; its errors become answers a person can act on."""
    stripe_api = client()
    import stripe

    try:
        return cast(dict[str, Any], request(stripe_api).to_dict())
    except stripe.CardError as exc:
        raise PaymentRequired(
            f"The payment was declined: {exc.user_message or 'try another card'}") from exc
    except stripe.RateLimitError as exc:
        log.warning("stripe rate limit while trying to %s: %s", what, exc)
        raise TooManyRequestsError(
            "The payment provider is busy; try again in a few seconds") from exc
    except (stripe.AuthenticationError, stripe.PermissionError) as exc:
        log.error("stripe refused our credentials while trying to %s: %s", what, exc)
        raise ServiceUnavailableError(
            "Payments are not available: Stripe refused this server's STRIPE_SECRET_KEY") from exc
    except stripe.StripeError as exc:
        log.error("stripe failed to %s (HTTP %s, code %s): %s", what, exc.http_status,
                  exc.code, exc)
        reference = f" (reference {exc.request_id})" if exc.request_id else ""
        raise BadGatewayError(
            f"The payment provider could not {what}; try again later{reference}") from exc


def idempotency_key(operation: str, user_id: str) -> str:
    # One key per API request: the SDK's own retry of a timed-out call reuses it,
    # so a retry never creates a second session or PaymentIntent. A new click is
    # a new request and deliberately gets a new key.
    return f"{operation}:{user_id}:{uuid.uuid4().hex}"
