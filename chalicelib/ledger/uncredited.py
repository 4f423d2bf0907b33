"""Paid Stripe payments that could not be credited, recorded for the operator
(docs/DESIGN.md section 8): no such user, another currency, a package we do not
sell, an amount that is not the package's price, a user mismatch.

Never only a log line: each is one item in the credit-transactions table, once
per payment, with type `uncredited` and no `user_id`, so it is in no user's
history (which must add up to the balance) and the operator lists them all with
a Query on TransactionTypeIndex (type = "uncredited"); and a PaymentsNotCredited
metric, which infra/template.yaml alarms on. The operator refunds the payment in
Stripe, or credits it by hand (an `adjustment`).

Stripe is answered 200 once the record is written: the reason is permanent (a
redelivery fails the same way), so a non-2xx would only make Stripe retry for days,
email about a failing endpoint and in the end disable it, losing good events too.
If the record cannot be written, the error propagates (5xx) and Stripe retries.
"""
from __future__ import annotations

import logging

from chalicelib.core import aws, config, db, observability
from chalicelib.ledger import ids

log = logging.getLogger(__name__)

TYPE = "uncredited"
METRIC = "PaymentsNotCredited"


def record(*, payment_id: str, reason: str, user_id: str | None, package_id: object,
           amount_paid: object, currency: object, event_id: str | None,
           event_type: str | None, checkout_session_id: str | None = None) -> bool:
    """Record one uncreditable payment, once. Returns False if it was recorded before.

    Raises (so the webhook answers 5xx and Stripe delivers again) if the record
    cannot be written: it must not be lost."""
    details = {
        "payment_intent_id": payment_id, "claimed_user_id": user_id,
        "package": None if package_id is None else str(package_id)[:100],
        "amount_paid": amount_paid if isinstance(amount_paid, int) else str(amount_paid)[:50],
        "currency": None if currency is None else str(currency)[:10],
        "checkout_session_id": checkout_session_id, "stripe_event_id": event_id,
        "stripe_event_type": event_type,
    }
    item = {"transaction_id": ids.uncredited(payment_id), "type": TYPE, "reason": reason,
            "metadata": {k: v for k, v in details.items() if v is not None},
            "created_at": db.now_iso()}
    try:
        aws.client("dynamodb").put_item(
            TableName=config.transactions_table(), Item=db.to_item(item),
            ConditionExpression="attribute_not_exists(transaction_id)")
    except Exception as exc:  # noqa: BLE001 - only a repeat is expected
        if aws.is_error(exc, aws.CONDITION_FAILED):
            return False
        raise
    log.error("stripe payment %s was paid but not credited (%s): recorded as %s for the "
              "operator", payment_id, reason, item["transaction_id"])
    observability.metric(METRIC, 1, Reason=reason)
    return True
