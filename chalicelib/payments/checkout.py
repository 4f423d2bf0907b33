"""Buying credits: a Stripe Checkout Session or a PaymentIntent for a package.

Nothing is credited here: credits come only from the verified webhook
(chalicelib.payments.webhook). Return URLs stay on our own origins.
"""
from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from chalicelib.core import config
from chalicelib.core.errors import BadRequestError, ServiceUnavailableError
from chalicelib.http import validation
from chalicelib.ledger.packages import PACKAGES, Package
from chalicelib.payments import sandbox, stripe_client

log = logging.getLogger(__name__)

MAX_RETURN_URL_LENGTH = 2048
DEFAULT_SUCCESS_PATH = "/credits?checkout=success&session_id={CHECKOUT_SESSION_ID}"
DEFAULT_CANCEL_PATH = "/credits?checkout=cancelled"


def _package(body: dict) -> Package:
    return PACKAGES[validation.choice(body["package"], "package", PACKAGES)]


def _origin(url: str) -> str | None:
    """scheme://host[:port] of an absolute http(s) URL, normalised; None otherwise."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return None
    if parts.username is not None or parts.password is not None:
        return None
    default_port = 443 if scheme == "https" else 80
    return f"{scheme}://{parts.hostname}" + (f":{port}" if port not in (None, default_port)
                                             else "")


def return_url(value: Any, field: str, default_path: str) -> str:
    """A Checkout return URL, only ever on one of our own frontend origins.

    Anything else would make the endpoint an open redirect through stripe.com.
    """
    origins = config.allowed_origins()
    if not origins:
        raise ServiceUnavailableError("Payments need ALLOWED_ORIGINS to be configured")
    if value is None:
        return origins[0] + default_path
    url = validation.string(value, field, max_length=MAX_RETURN_URL_LENGTH)
    # Browsers read a backslash as a slash, and controls or spaces change how a URL
    # parses: refuse them rather than guess.
    if "\\" in url or any(ord(char) <= 0x20 or ord(char) == 0x7F for char in url):
        raise BadRequestError(f"'{field}' is not a valid URL")
    allowed = {_origin(origin) for origin in origins} - {None}
    if _origin(url) not in allowed:
        raise BadRequestError(
            f"'{field}' must be an absolute URL on one of this app's origins: "
            f"{', '.join(origins)[:300]}")
    return url


def _metadata(user_id: str, package: Package) -> dict[str, str]:
    # Stripe metadata values are strings. The webhook trusts only `package` (and
    # the user); the credits it grants come from our catalogue.
    return {"user_id": user_id, "package": package.id, "credits": str(package.credits)}


def _description(package: Package) -> str:
    return f"{package.credits} Study Buddy credits ({package.id} package)"


def create_checkout(user_id: str, body: Any) -> dict:
    """A Stripe Checkout Session for a package: {checkout_url, session_id}."""
    body = validation.object_body(body, required=("package",),
                                  optional=("success_url", "cancel_url"))
    package = _package(body)
    success_url = return_url(body.get("success_url"), "success_url", DEFAULT_SUCCESS_PATH)
    cancel_url = return_url(body.get("cancel_url"), "cancel_url", DEFAULT_CANCEL_PATH)
    if sandbox.active():  # local stage without Stripe keys (docs/DESIGN.md section 10)
        return sandbox.create_session(user_id, package, success_url, cancel_url)
    metadata = _metadata(user_id, package)
    params = {
        "mode": "payment",
        "client_reference_id": user_id,
        "line_items": [{
            "quantity": 1,
            "price_data": {
                "currency": package.currency,
                "unit_amount": package.amount,
                "product_data": {"name": _description(package)},
            },
        }],
        "metadata": metadata,
        # The same metadata on the PaymentIntent attributes payment_intent.succeeded.
        "payment_intent_data": {"metadata": metadata, "description": _description(package)},
        "success_url": success_url,
        "cancel_url": cancel_url,
    }
    key = stripe_client.idempotency_key("checkout", user_id)
    session = stripe_client.call("start the checkout", lambda client: (
        client.v1.checkout.sessions.create(params=params, options={"idempotency_key": key})))
    log.info("checkout session %s created for user %s (%s)", session.get("id"), user_id,
             package.id)
    return {"checkout_url": session.get("url"), "session_id": session.get("id")}


def create_payment_intent(user_id: str, body: Any) -> dict:
    """A PaymentIntent for a package, confirmed by the frontend with Stripe.js."""
    body = validation.object_body(body, required=("package",))
    package = _package(body)
    params = {
        "amount": package.amount,
        "currency": package.currency,
        "metadata": _metadata(user_id, package),
        "description": _description(package),
        "automatic_payment_methods": {"enabled": True},
    }
    key = stripe_client.idempotency_key("purchase", user_id)
    intent = stripe_client.call("start the payment", lambda client: (
        client.v1.payment_intents.create(params=params, options={"idempotency_key": key})))
    log.info("payment intent %s created for user %s (%s)", intent.get("id"), user_id,
             package.id)
    return {"client_secret": intent.get("client_secret"), "payment_intent_id": intent.get("id"),
            "amount": package.amount, "credits": package.credits, "package": package.id}
