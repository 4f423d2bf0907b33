"""Refund rules: the one place where credits are given back or taken back.

- A video that fails or is deleted while queued or processing gets back what
  chalicelib.videos.lifecycle.refund_due decides (all it was charged, but for a
  failed upload the model was paid to read), once (refund_video).
- A Stripe refund takes back the bought credits in proportion to the amount
  refunded, rounded half up, never below a zero balance (the shortfall is
  recorded): credits_due, reverse_stripe_refund.
- A refund that Stripe later reports failed gives back what it took (what was
  really taken: a shortfall is not given back): restore_failed_refund.
- A dispute (chargeback) takes back the disputed share the same way, once for
  the dispute however many of its events arrive (created, funds withdrawn,
  lost); a dispute won or whose funds are reinstated gives back what it took,
  once: take_back_dispute, give_back_dispute (docs/DESIGN.md section 8).

Stripe does not order events, so a refund or a dispute may arrive before the paid
event of the purchase it reverses:
- While the purchase may still be credited, the event is refused
  (PurchaseNotCreditedYet: the webhook answers 409) and Stripe delivers it again,
  with backoff, for up to 3 days; once the purchase is credited, the redelivered
  event acts exactly once. For a dispute this holds for every event, the give-back
  ones too (funds reinstated, won): acknowledged early they would be lost, and a
  late `created` would then take back the credits of a dispute that was won. Taken
  or not, nothing is ever given back that was not taken.
- A refund is ours when its charge names one of our packages (its metadata); a
  dispute does not carry the charge's metadata, so any dispute of a payment we have
  not credited waits. Stripe gives up after 3 days on a payment that is not ours.
- A payment recorded as paid but not credited (chalicelib.ledger.uncredited: no such
  user, another currency...) will never be credited: waiting would only make Stripe
  retry for 3 days. Its refunds and disputes are noted on the operator's record of
  it and answered 200; a dispute raises the operator's alarm again (a payment
  charged back must not also be refunded).

Stripe objects are read by chalicelib.payments.webhook; this module only sees
what it extracted (RefundedCharge, FailedRefund, Dispute).
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from chalicelib.ledger import ids, movements, uncredited
from chalicelib.ledger.packages import PACKAGES
from chalicelib.ledger.records import Transaction

log = logging.getLogger(__name__)

# Partial refunds of one charge each take a numbered ledger slot; far more than
# Stripe would ever send for a $30 package.
MAX_REFUND_SLOTS = 100


class PurchaseNotCreditedYet(Exception):
    """A refund or a dispute arrived before the purchase it reverses was credited
    (Stripe does not order events): the caller asks Stripe to deliver it again later."""


class RefundNotRecordedYet(Exception):
    """A refund's failure arrived before the refund itself was taken back: the
    caller asks Stripe to deliver it again later."""


@dataclass(frozen=True)
class RefundedCharge:
    """What a `charge.refunded` event says, read from the Stripe charge."""
    charge_id: str
    payment_id: str
    amount_refunded: int  # cumulative, in the smallest currency unit
    currency: str | None
    package_id: str | None  # the charge's metadata.package
    event_id: str | None


@dataclass(frozen=True)
class FailedRefund:
    """What a failed-refund event (`charge.refund.updated`, `refund.failed` with
    status failed) says, read from the Stripe refund."""
    refund_id: str
    charge_id: str
    payment_id: str
    amount: int  # this refund's amount, in the smallest currency unit
    currency: str | None
    failure_reason: str | None
    event_id: str | None


@dataclass(frozen=True)
class Dispute:
    """What a `charge.dispute.*` event says, read from the Stripe dispute."""
    dispute_id: str
    charge_id: str | None
    payment_id: str
    amount: int  # disputed, in the smallest currency unit
    currency: str | None
    status: str | None
    reason: str | None
    event_id: str | None
    event_type: str


def refund_video(user_id: str, video_id: str, youtube_video_id: str | None, *,
                 charged: int, reason: str, extra: Sequence[dict[str, Any]] = ()) -> bool:
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


def _slot_rows(make_id: Callable[[str, int], str], charge_id: str) -> list[Transaction]:
    """A charge's numbered rows (refunds, or failed refunds), read consistently."""
    rows = []
    for slot in range(1, MAX_REFUND_SLOTS + 1):
        row = movements.ledger_row(make_id(charge_id, slot))
        if row is None:
            break
        rows.append(row)
    return rows


def _refund_rows(charge_id: str) -> list[Transaction]:
    """This charge's earlier refund rows, read consistently slot by slot."""
    return _slot_rows(ids.stripe_refund, charge_id)


def _failed_rows(charge_id: str) -> list[Transaction]:
    """This charge's failed refunds given back so far."""
    return _slot_rows(ids.stripe_refund_failed, charge_id)


def _meta_sum(rows: Sequence[Transaction], key: str) -> int:
    return sum(int((row.get("metadata") or {}).get(key, 0)) for row in rows)


def _credited_purchase(payment_id: str, currency: object,
                       what: str) -> Transaction | str:
    """The purchase row a refund or dispute reverses, or why there is none to reverse."""
    purchase = movements.ledger_row(ids.purchase(payment_id))
    if purchase is None or purchase.get("type") != "purchase":
        log.warning("stripe %s: payment %s was never credited; nothing to take back", what,
                    payment_id)
        return "ignored (payment was never credited)"
    bought = purchase.get("metadata") or {}
    if str(currency).lower() != bought.get("currency"):
        log.error("stripe %s is in %r, the purchase was in %r: ignored", what, currency,
                  bought.get("currency"))
        return "ignored (currency mismatch)"
    return purchase


def _note_for_operator(payment_id: str, event_id: str | None, fallback_key: str,
                       details: dict[str, Any], *, alert: bool) -> str:
    """Note an event about a payment recorded as uncredited on its operator record."""
    noted = uncredited.note_event(payment_id, event_key=event_id or fallback_key,
                                  details={**details, "stripe_event_id": event_id},
                                  alert=alert)
    return ("recorded" if noted else "already recorded") + \
        " for the operator (the payment was never credited)"


def _refunded_credits(charge_id: str) -> int:
    """Credits refunds of this charge still hold taken back (requested, net of
    failed refunds given back)."""
    return max(0, _meta_sum(_refund_rows(charge_id), "credits_reversed")
               - _meta_sum(_failed_rows(charge_id), "credits_restored"))


def reverse_stripe_refund(charge: RefundedCharge) -> str:
    """Take back what a (partial or full) refund of a credited purchase is due.

    Returns what happened, for the log. Raises PurchaseNotCreditedYet when the
    purchase may still be on its way.
    """
    charge_id, payment_id = charge.charge_id, charge.payment_id
    purchase = movements.ledger_row(ids.purchase(payment_id))
    if purchase is None and uncredited.is_recorded(payment_id):
        refund_key = f"charge.refunded:{charge_id}:{charge.amount_refunded}"
        return _note_for_operator(
            payment_id, charge.event_id, refund_key,
            {"event_type": "charge.refunded", "charge_id": charge_id,
             "amount_refunded": charge.amount_refunded, "currency": charge.currency},
            alert=False)
    if purchase is None and charge.package_id in PACKAGES:
        log.warning("stripe refund of charge %s arrived before payment %s was credited; "
                    "asking Stripe to retry", charge_id, payment_id)
        raise PurchaseNotCreditedYet(charge_id)
    found = _credited_purchase(payment_id, charge.currency, f"refund of charge {charge_id}")
    if isinstance(found, str):
        return found
    purchase, bought = found, found.get("metadata") or {}
    granted, paid = int(purchase["amount"]), int(bought.get("amount_paid", 0))
    due = credits_due(granted, charge.amount_refunded, paid)
    # Each refund event takes the next numbered slot of this charge. A slot id
    # that two deliveries compete for lets only one of them write it: the other
    # re-reads (consistently) and takes back only what is still due. So partial
    # and full refunds, redelivered or concurrent, never double-count.
    for _ in range(MAX_REFUND_SLOTS):
        earlier, failed = _refund_rows(charge_id), _failed_rows(charge_id)
        if charge.event_id and any((row.get("metadata") or {}).get("stripe_event_id") ==
                                   charge.event_id for row in earlier):
            return "already taken back (this event was applied)"
        # Stripe lowers amount_refunded when a refund fails; counted with the failed
        # amounts, the refunded total only grows, so a new refund after a failed one
        # is seen as new.
        failed_amount = _meta_sum(failed, "refund_amount")
        gross = charge.amount_refunded + failed_amount
        accounted = max((int(row["metadata"].get("amount_refunded", 0)) for row in earlier),
                        default=0)
        if accounted >= gross:
            return f"already taken back (refunds up to {accounted} accounted for)"
        taken = _meta_sum(earlier, "credits_reversed") - _meta_sum(failed, "credits_restored")
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
                "amount_refunded": gross,
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


def restore_failed_refund(refund: FailedRefund) -> str:
    """Give back what a refund that Stripe reports failed had taken back, once.

    Raises RefundNotRecordedYet when the refund itself has not been taken back yet
    (its charge.refunded may still be on its way)."""
    charge_id = refund.charge_id
    found = _credited_purchase(refund.payment_id, refund.currency,
                               f"failed refund {refund.refund_id}")
    if isinstance(found, str):
        return found
    purchase, bought = found, found.get("metadata") or {}
    granted, paid = int(purchase["amount"]), int(bought.get("amount_paid", 0))
    for _ in range(MAX_REFUND_SLOTS):
        taken_rows, failed = _refund_rows(charge_id), _failed_rows(charge_id)
        if any((row.get("metadata") or {}).get("refund_id") == refund.refund_id
               for row in failed):
            return "already given back"
        accounted = max((int(row["metadata"].get("amount_refunded", 0))
                         for row in taken_rows), default=0)
        failed_before = _meta_sum(failed, "refund_amount")
        if accounted - failed_before < refund.amount:
            log.warning("stripe refund %s of charge %s failed before its refund was taken "
                        "back; asking Stripe to retry", refund.refund_id, charge_id)
            raise RefundNotRecordedYet(refund.refund_id)
        # What the refunds that did not fail are due, against what is taken now.
        still_due = credits_due(granted, accounted - failed_before - refund.amount, paid)
        requested = _meta_sum(taken_rows, "credits_reversed") - \
            _meta_sum(failed, "credits_restored")
        restore = max(0, requested - still_due)
        # Only what was really taken comes back (a shortfall was never taken).
        really_taken = -sum(int(row["amount"]) for row in taken_rows) - \
            sum(int(row["amount"]) for row in failed)
        amount = max(0, min(restore, really_taken))
        if len(failed) >= MAX_REFUND_SLOTS:
            break
        movement = movements.Movement(
            ids.stripe_refund_failed(charge_id, len(failed) + 1), purchase["user_id"], amount,
            "adjustment", {
                "reason": f"Stripe refund of the {bought.get('package')} package failed",
                "package": bought.get("package"),
                "payment_intent_id": refund.payment_id,
                "charge_id": charge_id,
                "refund_id": refund.refund_id,
                "refund_amount": refund.amount,
                "failure_reason": refund.failure_reason,
                "currency": bought.get("currency"),
                "credits_restored": restore,
                "stripe_event_id": refund.event_id,
            })
        try:
            applied = movements.apply(movement)
        except movements.AccountMissing:
            log.error("failed stripe refund %s: user %s has no account", refund.refund_id,
                      purchase["user_id"])
            return "ignored (no such user)"
        if not applied.duplicate:
            return f"gave back {amount} credits ({movement.transaction_id})"
    log.error("failed stripe refund %s could not be recorded: too many rows",
              refund.refund_id)
    return "not recorded (too many failed refunds for one charge)"


def _refund_gap(charge_id: str, granted: int, paid: int) -> int:
    """Credits the refunds of a charge are due but did not really take (their
    shortfall), net of refunds that failed."""
    rows, failed = _refund_rows(charge_id), _failed_rows(charge_id)
    accounted = max((int(row["metadata"].get("amount_refunded", 0)) for row in rows),
                    default=0)
    due = credits_due(granted, accounted - _meta_sum(failed, "refund_amount"), paid)
    really_taken = -sum(int(row["amount"]) for row in rows) - \
        sum(int(row["amount"]) for row in failed)
    return max(0, due - really_taken)


def _dispute_metadata(dispute: Dispute, bought: dict[str, Any], **extra: object) -> dict[str, Any]:
    details = {
        "package": bought.get("package"),
        "payment_intent_id": dispute.payment_id,
        "charge_id": dispute.charge_id,
        "dispute_id": dispute.dispute_id,
        "dispute_status": dispute.status,
        "dispute_reason": dispute.reason,
        "amount_disputed": dispute.amount,
        "amount_paid": bought.get("amount_paid"),
        "currency": bought.get("currency"),
        "stripe_event_id": dispute.event_id,
        "stripe_event_type": dispute.event_type,
        **extra,
    }
    return {key: value for key, value in details.items() if value is not None}


def _disputed_purchase(dispute: Dispute) -> Transaction | str:
    """The credited purchase a dispute acts on, or what happened instead (for the log).

    Raises PurchaseNotCreditedYet while the purchase may still be credited."""
    what = f"dispute {dispute.dispute_id}"
    if movements.ledger_row(ids.purchase(dispute.payment_id)) is None:
        if uncredited.is_recorded(dispute.payment_id):
            return _note_for_operator(
                dispute.payment_id, dispute.event_id,
                f"{dispute.event_type}:{dispute.dispute_id}:{dispute.status}",
                {"event_type": dispute.event_type, "dispute_id": dispute.dispute_id,
                 "charge_id": dispute.charge_id, "dispute_status": dispute.status,
                 "dispute_reason": dispute.reason, "amount_disputed": dispute.amount,
                 "currency": dispute.currency}, alert=True)
        log.warning("stripe %s (%s) arrived before payment %s was credited; asking Stripe "
                    "to retry", what, dispute.event_type, dispute.payment_id)
        raise PurchaseNotCreditedYet(dispute.dispute_id)
    return _credited_purchase(dispute.payment_id, dispute.currency, what)


def take_back_dispute(dispute: Dispute) -> str:
    """Take back the disputed share of a credited purchase, once per dispute.

    The share is proportional to the disputed amount, less what refunds of the
    charge already took back; never below a zero balance (the shortfall is recorded).
    Raises PurchaseNotCreditedYet while the purchase may still be credited."""
    found = _disputed_purchase(dispute)
    if isinstance(found, str):
        return found
    purchase, bought = found, found.get("metadata") or {}
    granted, paid = int(purchase["amount"]), int(bought.get("amount_paid", 0))
    already = _refunded_credits(dispute.charge_id) if dispute.charge_id else 0
    due = max(0, min(credits_due(granted, dispute.amount, paid), granted - already))
    movement = movements.Movement(
        ids.dispute(dispute.dispute_id), purchase["user_id"], -due, "dispute",
        _dispute_metadata(dispute, bought, reason=(
            f"Stripe dispute (chargeback) of the {bought.get('package')} package"),
            credits_due=due))
    try:
        applied = movements.apply(movement, floor_at_zero=True)
    except movements.AccountMissing:
        log.error("stripe dispute %s: user %s has no account", dispute.dispute_id,
                  purchase["user_id"])
        return "ignored (no such user)"
    if applied.duplicate:
        return f"already taken back ({movement.transaction_id})"
    shortfall = applied.transaction.get("metadata", {}).get("shortfall")
    return (f"took back {due} credits ({movement.transaction_id})"
            + (f", {shortfall} short: already spent" if shortfall else ""))


def give_back_dispute(dispute: Dispute) -> str:
    """Give back what a dispute took, once, when it is won or its funds reinstated.

    If the dispute's take-back has not arrived (Stripe does not order events), its
    row is written first as taking nothing, so a late `created` cannot take back
    the credits of a dispute that is already won. Raises PurchaseNotCreditedYet
    while the purchase may still be credited: acknowledged before it, the give-back
    would be lost and a late take-back would stand."""
    found = _disputed_purchase(dispute)
    if isinstance(found, str):
        return found
    purchase, bought = found, found.get("metadata") or {}
    user_id = purchase["user_id"]
    try:
        settled = movements.apply(movements.Movement(
            ids.dispute(dispute.dispute_id), user_id, 0, "dispute",
            _dispute_metadata(dispute, bought, reason=(
                f"Stripe dispute of the {bought.get('package')} package, settled before "
                "anything was taken back"), credits_due=0)))
        taken = -int(settled.transaction["amount"])
        if taken <= 0:
            return "nothing to give back (nothing was taken)"
        # A refund made while the dispute held the credits (Stripe's advice for an
        # inquiry) could take back only what was left: what it is still owed stays.
        owed = _refund_gap(dispute.charge_id, int(purchase["amount"]),
                           int(bought.get("amount_paid", 0))) if dispute.charge_id else 0
        give = max(0, taken - owed)
        returned = movements.apply(movements.Movement(
            ids.dispute_return(dispute.dispute_id), user_id, give, "dispute",
            _dispute_metadata(dispute, bought, reason=(
                f"Stripe dispute of the {bought.get('package')} package won"),
                credits_restored=give, refund_still_owed=owed or None)))
    except movements.AccountMissing:
        log.error("stripe dispute %s: user %s has no account", dispute.dispute_id, user_id)
        return "ignored (no such user)"
    if returned.duplicate:
        return f"already given back ({returned.transaction['transaction_id']})"
    return f"gave back {give} credits ({returned.transaction['transaction_id']})"
