"""Paid events that cannot be credited (docs/DESIGN.md section 8; issue 13, point 11):
recorded for the operator (one item per payment, in no user's history), with a
metric the template alarms on; never only a log line. Stripe is answered 200: the
event is permanent (a retry would fail the same way) and is safe with us.
"""
from __future__ import annotations

import json
import uuid

import pytest

from chalicelib.core import aws, config, db
from chalicelib.ledger import uncredited
from tests.conftest import balance, ledger
from tests.payments.test_payments import (
    checkout_event,
    deliver,
    intent_event,
    metadata,
    new_id,
    refund_event,
)


def operator_records(payment_id: str) -> list[dict]:
    """What the operator lists: a Query on TransactionTypeIndex, no scan."""
    page = aws.client("dynamodb").query(
        TableName=config.transactions_table(), IndexName="TransactionTypeIndex",
        KeyConditionExpression="#type = :type", ExpressionAttributeNames={"#type": "type"},
        ExpressionAttributeValues=db.values(type=uncredited.TYPE), ScanIndexForward=False)
    items = [db.from_item(item) for item in page["Items"]]
    return [item for item in items
            if (item.get("metadata") or {}).get("payment_intent_id") == payment_id]


def metrics(text: str) -> list[dict]:
    found = []
    for line in text.splitlines():
        if line.startswith("{") and '"_aws"' in line:
            record = json.loads(line)
            if uncredited.METRIC in record:
                found.append(record)
    return found


@pytest.mark.parametrize("case,reason", [
    ("ghost", "no such user"),
    ("currency", "another currency"),
    ("package", "unknown package"),
    ("amount", "amount mismatch"),
    ("reference", "user mismatch"),
])
def test_a_paid_event_that_cannot_be_credited_is_recorded_for_the_operator(
        client, user, fake_stripe, capfd, case, reason):
    payment_intent = new_id("pi")
    owner = f"no-such-user-{uuid.uuid4().hex}" if case == "ghost" else user["user_id"]
    kwargs = {
        "ghost": {},
        "currency": {"currency": "eur"},
        "package": {"meta": {**metadata(owner), "package": "platinum"}},
        "amount": {"amount": 1},
        "reference": {"reference": "someone-else"},
    }[case]
    paid = checkout_event(owner, payment_intent, **kwargs)
    capfd.readouterr()
    for _ in range(3):  # however often it arrives: one record, one metric
        response = deliver(client, paid)
        assert response.status_code == 200 and response.json_body == {"received": True}
    out = capfd.readouterr().out
    [record] = operator_records(payment_intent)
    assert record["transaction_id"] == f"uncredited:{payment_intent}"
    assert record["reason"] == reason and "user_id" not in record
    meta = record["metadata"]
    assert meta["claimed_user_id"] == owner
    assert meta["stripe_event_id"] == paid["id"]
    assert meta["checkout_session_id"] == paid["data"]["object"]["id"]
    [metric] = metrics(out)
    assert metric[uncredited.METRIC] == 1 and metric["Reason"] == reason
    assert metric["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "StudyBuddy"
    assert ["Stage"] in metric["_aws"]["CloudWatchMetrics"][0]["Dimensions"]
    # The user's history still adds up, and shows nothing of it.
    assert balance(client, user) == 3
    rows = ledger(client, user)
    assert sum(row["amount"] for row in rows) == 3
    assert not any("uncredited" in row["transaction_id"] for row in rows)


def test_an_underpaid_payment_intent_is_recorded(client, user, fake_stripe):
    payment_intent = new_id("pi")
    assert deliver(client, intent_event(user["user_id"], payment_intent, "premium",
                                        amount=999)).status_code == 200
    [record] = operator_records(payment_intent)
    assert record["reason"] == "amount mismatch"
    assert record["metadata"]["amount_paid"] == 999
    assert record["metadata"]["stripe_event_type"] == "payment_intent.succeeded"


def test_a_credited_payment_leaves_no_operator_record(client, user, fake_stripe):
    payment_intent = new_id("pi")
    assert deliver(client, checkout_event(user["user_id"], payment_intent)).status_code == 200
    assert balance(client, user) == 13
    assert operator_records(payment_intent) == []


def test_events_that_are_not_our_purchases_are_not_recorded(client, user, fake_stripe):
    payment_intent = new_id("pi")
    assert deliver(client, checkout_event(user["user_id"], payment_intent,
                                          meta={"order": "t-shirt"})).status_code == 200
    assert operator_records(payment_intent) == []


def test_if_the_record_cannot_be_written_stripe_is_asked_to_retry(client, fake_stripe,
                                                                  monkeypatch):
    """Not 200 while nothing is recorded: Stripe delivers the event again later."""
    monkeypatch.setenv("TRANSACTIONS_TABLE", "study-buddy-no-such-table")
    response = deliver(client, checkout_event(f"ghost-{uuid.uuid4().hex}", new_id("pi")))
    assert response.status_code >= 500


def test_a_refund_of_an_uncredited_payment_is_noted_and_acknowledged(client, fake_stripe,
                                                                     capfd):
    """The operator's own remedy (refund it in Stripe) is not refused for 3 days as
    a refund that overtook its purchase would be: the payment will never be credited."""
    payment_intent, ghost = new_id("pi"), f"no-such-user-{uuid.uuid4().hex}"
    assert deliver(client, checkout_event(ghost, payment_intent)).status_code == 200
    refunded = refund_event(payment_intent, new_id("ch"), 999, meta=metadata(ghost))
    capfd.readouterr()
    for _ in range(2):
        response = deliver(client, refunded)
        assert response.status_code == 200 and response.json_body == {"received": True}
    [record] = operator_records(payment_intent)
    assert set(record["later_events"]) == {refunded["id"]}
    noted = record["later_events"][refunded["id"]]
    assert noted["event_type"] == "charge.refunded" and noted["amount_refunded"] == 999
    assert noted["charge_id"] == refunded["data"]["object"]["id"]
    assert metrics(capfd.readouterr().out) == []  # the operator's own act: no alarm
