"""Buying credits: a Stripe Checkout Session or a PaymentIntent for a package.

Nothing is credited here: credits come only from the verified webhook
(chalicelib.payments.webhook). The request (package, return URLs on our own origins)
is read by chalicelib.api.credits.
"""
from __future__ import annotations

import logging
from typing import Any

from chalicelib.ledger.packages import Package
from chalicelib.payments import sandbox, stripe_client

log = logging.getLogger(__name__)


def _metadata(user_id: str, package: Package) -> dict[str, str]:
    # Stripe metadata values are strings. The webhook trusts only `package` (and
    # the user); the credits it grants come from our catalogue.
    return {"user_id": user_id, "package": package.id, "credits": str(package.credits)}


def _description(package: Package) -> str:
    return f"{package.credits} Study Buddy credits ({package.id} package)"


def create_checkout(user_id: str, package: Package, *, success_url: str,
                    cancel_url: str) -> dict[str, Any]:
    """A Stripe Checkout Session for a package: {checkout_url, session_id}. The return
    URLs were checked by the request layer (chalicelib.api.credits.return_url)."""
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


def create_payment_intent(user_id: str, package: Package) -> dict[str, Any]:
    """A PaymentIntent for a package, confirmed by the frontend with Stripe.js."""
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
