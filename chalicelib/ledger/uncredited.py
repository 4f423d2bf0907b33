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

Later Stripe events about such a payment (a dispute, or the operator's own refund)
have no purchase to act on: they are noted on the payment's record, once per event
(note_event, in its `later_events` map keyed by the Stripe event id), and answered
200 too, as the payment will never be credited. A dispute raises the metric again:
the operator must not also refund a payment that was charged back.
"""
from __future__ import annotations

import logging
from typing import Any

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
    except Exception as exc:  # only a repeat is expected
        if aws.is_error(exc, aws.CONDITION_FAILED):
            return False
        raise
    log.error("stripe payment %s was paid but not credited (%s): recorded as %s for the "
              "operator", payment_id, reason, item["transaction_id"])
    observability.metric(METRIC, 1, Reason=reason)
    return True


def is_recorded(payment_id: str) -> bool:
    """Whether this payment was recorded as paid but not credited (read consistently)."""
    row = db.get(config.transactions_table(), {"transaction_id": ids.uncredited(payment_id)},
                 consistent=True)
    return row is not None and row.get("type") == TYPE


def note_event(payment_id: str, *, event_key: str, details: dict[str, Any], alert: bool) -> bool:
    """Note a later Stripe event on the payment's operator record, once per event_key.

    Returns False if it was noted before, or the payment has no record. With alert,
    a newly noted event raises the metric (and so the alarm) again."""
    dynamo, table = aws.client("dynamodb"), config.transactions_table()
    key = db.to_item({"transaction_id": ids.uncredited(payment_id)})
    names = {"#later": "later_events", "#type": "type", "#event": event_key}
    try:
        # Two writes: a map entry can only be set once the map exists (older
        # records were written without one).
        dynamo.update_item(
            TableName=table, Key=key,
            UpdateExpression="SET #later = if_not_exists(#later, :none)",
            ConditionExpression="#type = :type",
            ExpressionAttributeNames={k: names[k] for k in ("#later", "#type")},
            ExpressionAttributeValues={":none": {"M": {}}, **db.values(type=TYPE)})
        dynamo.update_item(
            TableName=table, Key=key, UpdateExpression="SET #later.#event = :details",
            ConditionExpression="#type = :type AND attribute_not_exists(#later.#event)",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=db.values(
                type=TYPE, details={**details, "noted_at": db.now_iso()}))
    except Exception as exc:  # only a repeat (or no record) is expected
        if aws.is_error(exc, aws.CONDITION_FAILED):
            return False
        raise
    log.error("stripe %s of payment %s, which was never credited: noted on %s for the "
              "operator", details.get("event_type", "event"), payment_id,
              ids.uncredited(payment_id))
    if alert:
        observability.metric(METRIC, 1, Reason=str(details.get("event_type", "later event")))
    return True
