"""Crediting a paid Stripe payment, exactly once, from our own catalogue.

chalicelib.payments.webhook reads the signed Stripe event and hands over what it
says (Payment); the credits granted come from the package catalogue, and only
when the amount actually paid is that package's price. A paid payment that
cannot be credited is recorded for the operator (chalicelib.ledger.uncredited).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from chalicelib.core import observability
from chalicelib.ledger import ids, movements, uncredited
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


@dataclass(frozen=True)
class Credit:
    """What crediting a payment did: `text` for the log, and `credited` when it granted
    credits now (not a repeated delivery, not a refusal)."""
    text: str
    credited: bool = False


def not_credited(payment: Payment, reason: str) -> str:
    """Record a paid payment that cannot be credited, for the operator; returns the
    outcome for the log."""
    uncredited.record(
        payment_id=payment.payment_id, reason=reason, user_id=payment.user_id,
        package_id=payment.package_id, amount_paid=payment.amount_paid,
        currency=payment.currency, event_id=payment.event_id,
        event_type=payment.event_type, checkout_session_id=payment.checkout_session_id)
    return f"not credited ({reason}): recorded for the operator"


def credit_purchase(payment: Payment) -> Credit:
    """Grant the package's credits for a paid payment, once. Returns what happened."""
    package = PACKAGES.get(str(payment.package_id))
    payment_id = payment.payment_id
    if package is None:
        log.error("stripe payment %s names no package of ours (%r): not credited",
                  payment_id, payment.package_id)
        return Credit(not_credited(payment, "unknown package"))
    if str(payment.currency).lower() != package.currency:
        log.error("stripe payment %s was paid in %r, package %s costs %s: not credited",
                  payment_id, payment.currency, package.id, package.currency)
        return Credit(not_credited(payment, "another currency"))
    if payment.amount_paid != package.amount:
        log.error("stripe payment %s paid %r but package %s costs %s: not credited",
                  payment_id, payment.amount_paid, package.id, package.amount)
        return Credit(not_credited(payment, "amount mismatch"))
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
        return Credit(not_credited(payment, "no such user"))
    if applied.duplicate:
        return Credit(f"already credited ({movement.transaction_id})")
    observability.metric("CreditsSold", package.credits, Package=package.id)
    return Credit(f"credited {package.credits} to {payment.user_id} "
                  f"({movement.transaction_id})", credited=True)
