"""Refund rules: the one place where credits are given back or taken back.

- A video that fails or is deleted while queued or processing gets back all it
  was charged, once (refund_video).
- A Stripe refund takes back the bought credits in proportion to the amount
  refunded, rounded half up, never below a zero balance (the shortfall is
  recorded): credits_due, reverse_stripe_refund.

Stripe objects are read by chalicelib.payments.webhook; this module only sees
what it extracted (RefundedCharge).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Sequence

from chalicelib.ledger import ids, movements
from chalicelib.ledger.packages import PACKAGES

log = logging.getLogger(__name__)

# Partial refunds of one charge each take a numbered ledger slot; far more than
# Stripe would ever send for a $30 package.
MAX_REFUND_SLOTS = 100


class PurchaseNotCreditedYet(Exception):
    """A refund arrived before the purchase it reverses was credited (Stripe does
    not order events): the caller asks Stripe to deliver it again later."""


@dataclass(frozen=True)
class RefundedCharge:
    """What a `charge.refunded` event says, read from the Stripe charge."""
    charge_id: str
    payment_id: str
    amount_refunded: int  # cumulative, in the smallest currency unit
    currency: str | None
    package_id: str | None  # the charge's metadata.package
    event_id: str | None


def refund_video(user_id: str, video_id: str, youtube_video_id: str | None, *,
                 charged: int, reason: str, extra: Sequence[dict] = ()) -> bool:
    """The refund rule for videos: an active (queued or processing) video that
    fails or is deleted gets back everything it was charged, once.

    Returns False when the refund had been applied before (a duplicate)."""
    applied = movements.apply(movements.Movement(
        ids.refund(video_id), user_id, charged, "refund",
        {"video_id": video_id, "youtube_video_id": youtube_video_id, "reason": reason}),
        extra=extra)
    return not applied.duplicate


def credits_due(granted: int, refunded: int, paid: int) -> int:
    """Credits to take back for a cumulative refund: proportional, rounded half up."""
    if paid <= 0:
        return 0
    refunded = max(0, min(refunded, paid))
    return min(granted, (2 * granted * refunded + paid) // (2 * paid))


def _refund_rows(charge_id: str) -> list[dict]:
    """This charge's earlier refund rows, read consistently slot by slot."""
    rows = []
    for slot in range(1, MAX_REFUND_SLOTS + 1):
        row = movements.ledger_row(ids.stripe_refund(charge_id, slot))
        if row is None:
            break
        rows.append(row)
    return rows


def reverse_stripe_refund(charge: RefundedCharge) -> str:
    """Take back what a (partial or full) refund of a credited purchase is due.

    Returns what happened, for the log. Raises PurchaseNotCreditedYet when the
    purchase may still be on its way.
    """
    charge_id, payment_id, refunded = charge.charge_id, charge.payment_id, \
        charge.amount_refunded
    purchase = movements.ledger_row(ids.purchase(payment_id))
    ours = charge.package_id in PACKAGES
    if purchase is None and ours:
        log.warning("stripe refund of charge %s arrived before payment %s was credited; "
                    "asking Stripe to retry", charge_id, payment_id)
        raise PurchaseNotCreditedYet(charge_id)
    if purchase is None or purchase.get("type") != "purchase":
        log.warning("stripe refund of charge %s: payment %s was never credited; nothing to "
                    "take back", charge_id, payment_id)
        return "ignored (payment was never credited)"
    bought = purchase.get("metadata") or {}
    if str(charge.currency).lower() != bought.get("currency"):
        log.error("stripe refund of charge %s is in %r, the purchase was in %r: ignored",
                  charge_id, charge.currency, bought.get("currency"))
        return "ignored (currency mismatch)"
    granted, paid = int(purchase["amount"]), int(bought.get("amount_paid", 0))
    due = credits_due(granted, refunded, paid)
    # Each refund event takes the next numbered slot of this charge. A slot id
    # that two deliveries compete for lets only one of them write it: the other
    # re-reads (consistently) and takes back only what is still due. So partial
    # and full refunds, redelivered or concurrent, never double-count.
    for _ in range(MAX_REFUND_SLOTS):
        earlier = _refund_rows(charge_id)
        accounted = max((int(row["metadata"].get("amount_refunded", 0)) for row in earlier),
                        default=0)
        if accounted >= refunded:
            return f"already taken back (refunds up to {accounted} accounted for)"
        taken = sum(int(row["metadata"].get("credits_reversed", 0)) for row in earlier)
        to_take = due - taken
        if to_take <= 0:
            return f"nothing more to take back ({taken} of {due} already taken)"
        if len(earlier) >= MAX_REFUND_SLOTS:
            break
        movement = movements.Movement(
            ids.stripe_refund(charge_id, len(earlier) + 1), purchase["user_id"], -to_take,
            "adjustment", {
                "reason": f"Stripe refund of the {bought.get('package')} package",
                "package": bought.get("package"),
                "payment_intent_id": payment_id,
                "charge_id": charge_id,
                "amount_refunded": refunded,
                "amount_paid": paid,
                "currency": bought.get("currency"),
                "credits_due": due,
                # Requested, not just applied: a shortfall (balance already spent) is
                # recorded by movements.apply and not claimed again by a later refund.
                "credits_reversed": to_take,
                "stripe_event_id": charge.event_id,
            })
        try:
            applied = movements.apply(movement, floor_at_zero=True)
        except movements.AccountMissing:
            log.error("stripe refund of charge %s: user %s has no account", charge_id,
                      purchase["user_id"])
            return "ignored (no such user)"
        if not applied.duplicate:
            shortfall = applied.transaction.get("metadata", {}).get("shortfall")
            return (f"took back {to_take} credits ({movement.transaction_id})"
                    + (f", {shortfall} short: already spent" if shortfall else ""))
    log.error("stripe refund of charge %s could not be recorded: too many refund rows",
              charge_id)
    return "not recorded (too many refunds for one charge)"
