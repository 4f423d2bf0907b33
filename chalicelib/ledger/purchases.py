"""Crediting a paid Stripe payment, exactly once, from our own catalogue.

chalicelib.payments.webhook reads the signed Stripe event and hands over what it
says (Payment); the credits granted come from the package catalogue, and only
when the amount actually paid is that package's price.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from chalicelib.core import observability
from chalicelib.ledger import ids, movements
from chalicelib.ledger.packages import PACKAGES

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Payment:
    """What a paid event says about a payment (Checkout Session or PaymentIntent)."""
    payment_id: str
    user_id: str
    package_id: str | None  # the payment's metadata.package
    amount_paid: object  # as Stripe sent it: checked, never trusted
    currency: object
    checkout_session_id: str | None
    event_id: str | None
    event_type: str


def credit_purchase(payment: Payment) -> str:
    """Grant the package's credits for a paid payment, once. Returns what happened."""
    package = PACKAGES.get(str(payment.package_id))
    payment_id = payment.payment_id
    if package is None:
        log.error("stripe payment %s names no package of ours (%r): not credited",
                  payment_id, payment.package_id)
        return "not credited (unknown package)"
    if payment.amount_paid != package.amount or \
            str(payment.currency).lower() != package.currency:
        log.error("stripe payment %s paid %r %r but package %s costs %s %s: not credited",
                  payment_id, payment.amount_paid, payment.currency, package.id,
                  package.amount, package.currency)
        return "not credited (amount mismatch)"
    details = {
        "reason": f"Bought the {package.id} package",
        "package": package.id,
        "credits": package.credits,
        "amount_paid": package.amount,
        "currency": package.currency,
        "payment_intent_id": payment_id,
        "checkout_session_id": payment.checkout_session_id,
        "stripe_event_id": payment.event_id,
        "stripe_event_type": payment.event_type,
    }
    movement = movements.Movement(ids.purchase(payment_id), payment.user_id, package.credits,
                                  "purchase",
                                  {k: v for k, v in details.items() if v is not None})
    try:
        applied = movements.apply(movement)
    except movements.AccountMissing:
        log.error("stripe payment %s is for user %s, who has no account: not credited",
                  payment_id, payment.user_id)
        return "not credited (no such user)"
    if applied.duplicate:
        return f"already credited ({movement.transaction_id})"
    observability.metric("CreditsSold", package.credits, Package=package.id)
    return f"credited {package.credits} to {payment.user_id} ({movement.transaction_id})"
