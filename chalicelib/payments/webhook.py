"""The Stripe webhook: verify the signed event, read the Stripe objects, and hand
what they say to the ledger (chalicelib.ledger.purchases, .refunds), which
decides what is credited or taken back: paid events, refunds (charge.refunded),
refunds that failed (charge.refund.updated, refund.failed) and disputes
(charge.dispute.*). However often (or concurrently) Stripe delivers an event,
the ledger's ids make it count once.

Stripe does not order events: a refund or a dispute (any of its events) that
arrives before the purchase it reverses is credited is answered 409, so Stripe
delivers it again later and it is not lost (chalicelib.ledger.refunds says when,
and what is done for a payment that will never be credited).

The stripe SDK is imported inside the functions that use it (cold starts).
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any, cast

from chalicelib.core.errors import BadRequestError, ConflictError
from chalicelib.ledger import purchases, refunds
from chalicelib.ledger.packages import PACKAGES
from chalicelib.payments import stripe_client

log = logging.getLogger(__name__)

WEBHOOK_TOLERANCE_SECONDS = 300
CREDIT_EVENTS = ("checkout.session.completed", "checkout.session.async_payment_succeeded",
                 "payment_intent.succeeded")
REFUND_EVENT = "charge.refunded"
# A refund's later updates: Stripe reports a refund that failed (card expired or
# cancelled) with status "failed" on these (refund.* on newer API versions).
REFUND_UPDATE_EVENTS = ("charge.refund.updated", "refund.updated", "refund.failed")
# Disputes (chargebacks): created, funds withdrawn and lost take the credits back;
# won (or an inquiry closed) and funds reinstated give them back.
DISPUTE_TAKE_EVENTS = ("charge.dispute.created", "charge.dispute.funds_withdrawn")
DISPUTE_GIVE_EVENTS = ("charge.dispute.funds_reinstated",)
DISPUTE_CLOSED = "charge.dispute.closed"
DISPUTE_WON = ("won", "warning_closed")


def verify_event(raw_body: bytes | None, signature: str | None) -> dict[str, Any]:
    """The event, if Stripe signed exactly this body with our secret in the last 5 minutes."""
    if not signature:
        raise BadRequestError("Missing Stripe-Signature header")
    secret = stripe_client.secret("STRIPE_WEBHOOK_SECRET")
    if secret is None:
        # Not 2xx: Stripe keeps retrying, so no event is lost while this is fixed.
        log.error("stripe webhook refused: STRIPE_WEBHOOK_SECRET is not set")
        raise stripe_client.not_configured("STRIPE_WEBHOOK_SECRET")
    import stripe

    payload = raw_body or b""
    try:
        # The signature covers the raw bytes: verify them before parsing anything.
        stripe.WebhookSignature.verify_header(payload, signature, secret,
                                              WEBHOOK_TOLERANCE_SECONDS)
        event = json.loads(payload)
    except stripe.SignatureVerificationError as exc:
        log.warning("stripe webhook refused: %s", exc)
        raise BadRequestError("Invalid Stripe signature") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequestError("Webhook body is not a JSON Stripe event") from exc
    data = event.get("data") if isinstance(event, dict) else None
    if not isinstance(data, dict) or not isinstance(data.get("object"), dict) \
            or not isinstance(event.get("type"), str):
        raise BadRequestError("Webhook body is not a Stripe event")
    return cast(dict[str, Any], event)


@dataclass(frozen=True)
class Handled:
    """What one event did, for the caller: the user a purchase credited now, if any
    (chalicelib.api.credits sends their courses waiting for credits on)."""
    credited_user_id: str | None = None


def handle_webhook(raw_body: bytes | None, signature: str | None) -> Handled:
    """Verify and act on one Stripe event. Anything we do not act on is acknowledged."""
    event = verify_event(raw_body, signature)
    kind = event["type"]
    obj = event["data"]["object"]
    credited_user_id = None
    if kind in CREDIT_EVENTS:
        outcome, credited_user_id = _credit_purchase(event, obj)
    elif kind == REFUND_EVENT:
        outcome = _reverse_refund(event, obj)
    elif kind in REFUND_UPDATE_EVENTS:
        outcome = _failed_refund(event, obj)
    elif kind in DISPUTE_TAKE_EVENTS or kind in DISPUTE_GIVE_EVENTS or kind == DISPUTE_CLOSED:
        outcome = _dispute(event, obj)
    else:
        outcome = "ignored (event type not handled)"
    log.info("stripe event %s (%s): %s", event.get("id"), kind, outcome)
    return Handled(credited_user_id)


def _id_of(value: Any) -> str | None:
    """An object's id whether Stripe sent it expanded or as a bare id."""
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


def _credit_purchase(event: dict[str, Any], obj: dict[str, Any]) -> tuple[str, str | None]:
    """(what happened, the user credited now if any)."""
    kind = event["type"]
    if kind == "checkout.session.completed" and obj.get("payment_status") != "paid":
        # Delayed payment methods: async_payment_succeeded follows when the money is in.
        return f"not credited yet (payment_status {obj.get('payment_status')!r})", None
    if kind.startswith("checkout.session."):
        payment_id = _id_of(obj.get("payment_intent"))
        paid, currency = obj.get("amount_total"), obj.get("currency")
        session_id = _id_of(obj)
    else:
        payment_id = _id_of(obj)
        paid, currency = obj.get("amount_received", obj.get("amount")), obj.get("currency")
        session_id = None
    metadata = obj.get("metadata") or {}
    user_id = metadata.get("user_id")
    if payment_id is None or not isinstance(user_id, str) or not user_id:
        return "ignored (not one of our credit purchases)", None
    payment = purchases.Payment(
        payment_id=payment_id, user_id=user_id, package_id=metadata.get("package"),
        amount_paid=paid, currency=currency, checkout_session_id=session_id,
        event_id=event.get("id"), event_type=kind)
    reference = obj.get("client_reference_id")
    if kind.startswith("checkout.session.") and reference not in (None, user_id) and \
            str(metadata.get("package")) in PACKAGES:
        log.error("stripe payment %s: client_reference_id %r is not metadata user %r: "
                  "not credited", payment_id, reference, user_id)
        return purchases.not_credited(payment, "user mismatch"), None
    credit = purchases.credit_purchase(payment)
    return credit.text, (user_id if credit.credited else None)


def _reverse_refund(event: dict[str, Any], charge: dict[str, Any]) -> str:
    charge_id = _id_of(charge)
    payment_id = _id_of(charge.get("payment_intent"))
    refunded = charge.get("amount_refunded")
    if charge_id is None or payment_id is None or not isinstance(refunded, int):
        return "ignored (not a refund of one of our payments)"
    try:
        return refunds.reverse_stripe_refund(refunds.RefundedCharge(
            charge_id=charge_id, payment_id=payment_id, amount_refunded=refunded,
            currency=charge.get("currency"),
            package_id=(charge.get("metadata") or {}).get("package"),
            event_id=event.get("id")))
    except refunds.PurchaseNotCreditedYet as exc:
        # A non-2xx answer makes Stripe deliver this refund again later.
        raise ConflictError("The purchase this refund belongs to is not credited yet; "
                            "retry later") from exc


def _failed_refund(event: dict[str, Any], refund: dict[str, Any]) -> str:
    if refund.get("object") != "refund" or refund.get("status") != "failed":
        return f"ignored (refund status {refund.get('status')!r})"
    refund_id, charge_id = _id_of(refund), _id_of(refund.get("charge"))
    payment_id, amount = _id_of(refund.get("payment_intent")), refund.get("amount")
    if refund_id is None or charge_id is None or payment_id is None or \
            not isinstance(amount, int) or isinstance(amount, bool):
        return "ignored (not a refund of one of our payments)"
    try:
        return refunds.restore_failed_refund(refunds.FailedRefund(
            refund_id=refund_id, charge_id=charge_id, payment_id=payment_id, amount=amount,
            currency=refund.get("currency"), failure_reason=refund.get("failure_reason"),
            event_id=event.get("id")))
    except refunds.RefundNotRecordedYet as exc:
        raise ConflictError("The refund that failed is not taken back yet; retry later") \
            from exc


def _dispute(event: dict[str, Any], dispute: dict[str, Any]) -> str:
    kind, status = event["type"], dispute.get("status")
    dispute_id, payment_id = _id_of(dispute), _id_of(dispute.get("payment_intent"))
    amount = dispute.get("amount")
    if dispute.get("object") != "dispute" or dispute_id is None or payment_id is None or \
            not isinstance(amount, int) or isinstance(amount, bool):
        return "ignored (not a dispute of one of our payments)"
    found = refunds.Dispute(
        dispute_id=dispute_id, charge_id=_id_of(dispute.get("charge")),
        payment_id=payment_id, amount=amount, currency=dispute.get("currency"),
        status=status if isinstance(status, str) else None,
        reason=dispute.get("reason") if isinstance(dispute.get("reason"), str) else None,
        event_id=event.get("id"), event_type=kind)
    try:
        if kind in DISPUTE_GIVE_EVENTS or (kind == DISPUTE_CLOSED and status in DISPUTE_WON):
            return refunds.give_back_dispute(found)
        if kind in DISPUTE_TAKE_EVENTS or (kind == DISPUTE_CLOSED and status == "lost"):
            return refunds.take_back_dispute(found)
    except refunds.PurchaseNotCreditedYet as exc:
        # A non-2xx answer makes Stripe deliver this dispute event again later.
        raise ConflictError("The purchase this dispute belongs to is not credited yet; "
                            "retry later") from exc
    return f"ignored (dispute closed as {status!r})"
