"""Disputes (chargebacks) and failed refunds (docs/DESIGN.md section 8; issue 13,
point 3): credits taken back in proportion, never below 0 (the shortfall recorded),
given back when the dispute is won or the refund fails, each exactly once, and the
ledger adding up. A dispute event that overtakes its purchase is answered 409, so
Stripe delivers it again once the purchase is credited (issue 20, A).

Events have Stripe's shape (testkit.fake_stripe: envelope, Refund, Dispute) and are
signed with the SDK's own WebhookSignature, as in test_payments.
"""
from __future__ import annotations

import concurrent.futures
import json
import random
import uuid

import pytest

from chalicelib.ledger import movements
from testkit import fake_stripe as shapes
from tests.conftest import balance, ledger
from tests.payments.test_payments import (
    assert_ledger_adds_up,
    buy,
    checkout_event,
    deliver,
    intent_event,
    new_id,
    refund_event,
    spend,
)
from tests.payments.test_uncredited import metrics, operator_records


def disputes(client, user) -> list[dict]:
    return [row for row in ledger(client, user) if row["type"] == "dispute"]


def dispute_events(payment_intent: str, amount: int = 999, *, charge: str | None = None,
                   dispute_id: str | None = None) -> dict:
    """One dispute's events, as Stripe sends them over its life."""
    charge = charge or new_id("ch")
    dispute_id = dispute_id or new_id("du")

    def of(kind: str, status: str) -> dict:
        return shapes.event(kind, shapes.dispute(charge, payment_intent, amount,
                                                 status=status, dispute_id=dispute_id))
    return {
        "created": of("charge.dispute.created", "needs_response"),
        "withdrawn": of("charge.dispute.funds_withdrawn", "needs_response"),
        "updated": of("charge.dispute.updated", "under_review"),
        "reinstated": of("charge.dispute.funds_reinstated", "won"),
        "won": of("charge.dispute.closed", "won"),
        "lost": of("charge.dispute.closed", "lost"),
    }


def ok(response) -> None:
    assert response.status_code == 200, response.body
    assert response.json_body == {"received": True}


# --- disputes ---------------------------------------------------------------------

def test_a_dispute_takes_the_credits_back_once_over_its_whole_life(client, user, fake_stripe):
    payment_intent = buy(client, user)
    assert balance(client, user) == 13
    events = dispute_events(payment_intent)
    for name in ("created", "created", "withdrawn", "updated", "withdrawn", "lost", "lost"):
        ok(deliver(client, events[name]))
        assert balance(client, user) == 3, name
    [row] = disputes(client, user)
    assert row["transaction_id"] == f"dispute:{events['created']['data']['object']['id']}"
    assert row["amount"] == -10 and row["balance_after"] == 3
    meta = row["metadata"]
    assert meta["payment_intent_id"] == payment_intent and meta["amount_disputed"] == 999
    assert meta["credits_due"] == 10 and meta["dispute_reason"] == "fraudulent"
    assert "shortfall" not in meta
    assert_ledger_adds_up(client, user)


def test_funds_withdrawn_alone_takes_them_back(client, user, fake_stripe):
    payment_intent = buy(client, user, "standard")
    ok(deliver(client, dispute_events(payment_intent, 1999)["withdrawn"]))
    assert balance(client, user) == 3


def test_a_dispute_after_spending_floors_at_zero_and_records_the_shortfall(client, user,
                                                                            fake_stripe):
    payment_intent = buy(client, user)
    spend(user, 11)  # 13 -> 2
    events = dispute_events(payment_intent)
    ok(deliver(client, events["created"]))
    assert balance(client, user) == 0
    [row] = disputes(client, user)
    assert row["amount"] == -2 and row["metadata"]["shortfall"] == 8
    # Won: what was really taken (2) comes back, not the shortfall.
    ok(deliver(client, events["won"]))
    assert balance(client, user) == 2
    assert_ledger_adds_up(client, user)


def test_a_partial_dispute_takes_back_its_share(client, user, fake_stripe):
    payment_intent = buy(client, user, "premium")  # 50 credits for 2999
    ok(deliver(client, dispute_events(payment_intent, 1500)["created"]))
    assert balance(client, user) == 3 + 50 - 25


def test_a_won_dispute_gives_the_credits_back_once(client, user, fake_stripe):
    payment_intent = buy(client, user)
    events = dispute_events(payment_intent)
    ok(deliver(client, events["created"]))
    assert balance(client, user) == 3
    for name in ("reinstated", "won", "reinstated", "won", "created", "withdrawn"):
        ok(deliver(client, events[name]))
        assert balance(client, user) == 13, name
    rows = disputes(client, user)
    assert sorted(row["amount"] for row in rows) == [-10, 10]
    assert_ledger_adds_up(client, user)


def test_a_dispute_won_before_its_created_event_arrives_takes_nothing(client, user,
                                                                      fake_stripe):
    payment_intent = buy(client, user)
    events = dispute_events(payment_intent)
    ok(deliver(client, events["won"]))  # Stripe does not order events
    ok(deliver(client, events["created"]))
    ok(deliver(client, events["withdrawn"]))
    assert balance(client, user) == 13
    assert [row["amount"] for row in disputes(client, user)] == [0]
    assert_ledger_adds_up(client, user)


def test_an_inquiry_closed_without_a_chargeback_gives_back(client, user, fake_stripe):
    payment_intent, charge, dispute_id = buy(client, user), new_id("ch"), new_id("du")
    inquiry = shapes.event("charge.dispute.created", shapes.dispute(
        charge, payment_intent, 999, status="warning_needs_response", dispute_id=dispute_id))
    closed = shapes.event("charge.dispute.closed", shapes.dispute(
        charge, payment_intent, 999, status="warning_closed", dispute_id=dispute_id))
    ok(deliver(client, inquiry))
    assert balance(client, user) == 3
    ok(deliver(client, closed))
    assert balance(client, user) == 13


def test_a_refund_then_a_dispute_never_take_more_than_was_bought(client, user, fake_stripe):
    payment_intent, charge = buy(client, user), new_id("ch")
    ok(deliver(client, refund_event(payment_intent, charge, 500)))  # 5 credits
    assert balance(client, user) == 8
    ok(deliver(client, dispute_events(payment_intent, 999, charge=charge)["created"]))
    assert balance(client, user) == 3  # the other 5, not 10 more
    assert_ledger_adds_up(client, user)


def test_redelivered_dispute_events_race_and_count_once(client, user, fake_stripe):
    """Every event of one dispute, four deliveries each, concurrently: whatever the
    order, the dispute ends won and the balance is where it started."""
    payment_intent = buy(client, user)
    events = dispute_events(payment_intent)
    payloads = [json.dumps(events[name]) for name in
                ("created", "withdrawn", "lost", "won", "reinstated")] * 4
    random.Random(13).shuffle(payloads)
    with concurrent.futures.ThreadPoolExecutor(max_workers=10) as pool:
        responses = list(pool.map(lambda payload: deliver(client, payload), payloads))
    assert [r.status_code for r in responses] == [200] * len(payloads)
    assert balance(client, user) == 13
    rows = disputes(client, user)
    assert len(rows) in (1, 2) and sum(row["amount"] for row in rows) == 0
    assert_ledger_adds_up(client, user)


def test_concurrent_take_back_events_take_once(client, user, fake_stripe):
    payment_intent = buy(client, user, "standard")
    events = dispute_events(payment_intent, 1999)
    payloads = [json.dumps(events[name]) for name in ("created", "withdrawn", "lost")] * 4
    with concurrent.futures.ThreadPoolExecutor(max_workers=12) as pool:
        responses = list(pool.map(lambda payload: deliver(client, payload), payloads))
    assert [r.status_code for r in responses] == [200] * 12
    assert balance(client, user) == 3
    assert [row["amount"] for row in disputes(client, user)] == [-25]
    assert_ledger_adds_up(client, user)


def test_a_dispute_of_a_payment_never_credited_changes_nothing(client, user, fake_stripe):
    """Not credited, and not known as uncredited: its purchase may still be on its
    way, so Stripe is asked to deliver the dispute again (409), not told it is done."""
    for name in ("created", "won"):
        assert deliver(client, dispute_events(new_id("pi"))[name]).status_code == 409
    assert balance(client, user) == 3 and disputes(client, user) == []


# --- a dispute that overtakes its purchase (Stripe does not order events) ----------

def paid_event(kind: str, user_id: str, payment_intent: str) -> dict:
    if kind == "payment_intent.succeeded":
        return intent_event(user_id, payment_intent)
    return checkout_event(user_id, payment_intent)


@pytest.mark.parametrize("paid_kind", ["payment_intent.succeeded",
                                       "checkout.session.completed"])
@pytest.mark.parametrize("first", ["created", "withdrawn"])
def test_a_dispute_that_overtakes_its_purchase_takes_the_credits_back_once(
        client, user, fake_stripe, first, paid_kind):
    payment_intent = new_id("pi")
    events = dispute_events(payment_intent)
    early = deliver(client, events[first])
    assert early.status_code == 409  # not acknowledged: Stripe delivers it again
    assert balance(client, user) == 3 and disputes(client, user) == []
    ok(deliver(client, paid_event(paid_kind, user["user_id"], payment_intent)))
    assert balance(client, user) == 13
    ok(deliver(client, events[first]))  # Stripe's redelivery
    assert balance(client, user) == 3
    [row] = disputes(client, user)
    assert row["amount"] == -10 and row["metadata"]["credits_due"] == 10
    assert_ledger_adds_up(client, user)
    for name in (first, first, "created", "withdrawn", "lost"):  # again: nothing more
        ok(deliver(client, events[name]))
        assert balance(client, user) == 3, name
    assert [row["amount"] for row in disputes(client, user)] == [-10]
    assert_ledger_adds_up(client, user)


@pytest.mark.parametrize("first", ["reinstated", "won"])
def test_a_won_dispute_that_overtakes_its_purchase_grants_nothing(client, user,
                                                                  fake_stripe, first):
    payment_intent = new_id("pi")
    events = dispute_events(payment_intent)
    assert deliver(client, events[first]).status_code == 409
    assert balance(client, user) == 3 and disputes(client, user) == []
    ok(deliver(client, intent_event(user["user_id"], payment_intent)))
    assert balance(client, user) == 13
    ok(deliver(client, events[first]))  # redelivered: settled, nothing was taken
    assert balance(client, user) == 13
    # Its take-back events, late, cannot take the credits of a dispute already won.
    for name in ("created", "withdrawn", first, "created"):
        ok(deliver(client, events[name]))
        assert balance(client, user) == 13, name
    assert [row["amount"] for row in disputes(client, user)] == [0]
    assert_ledger_adds_up(client, user)


def test_a_whole_dispute_before_its_purchase_settles_once_redelivered(client, user,
                                                                      fake_stripe):
    payment_intent = new_id("pi")
    events = dispute_events(payment_intent)
    names = ["created", "withdrawn", "lost", "reinstated", "won"]
    for name in names:
        assert deliver(client, events[name]).status_code == 409, name
    ok(deliver(client, checkout_event(user["user_id"], payment_intent)))
    random.Random(20).shuffle(names)
    for name in names * 2:
        ok(deliver(client, events[name]))
    assert balance(client, user) == 13  # the dispute was won in the end
    assert sum(row["amount"] for row in disputes(client, user)) == 0
    assert_ledger_adds_up(client, user)


def test_a_dispute_racing_its_purchase_is_taken_back_once(client, user, fake_stripe):
    """The purchase and its dispute delivered concurrently, four times each; Stripe
    redelivers whatever was refused until it is acknowledged."""
    payment_intent = new_id("pi")
    created = json.dumps(dispute_events(payment_intent)["created"])
    payloads = [json.dumps(intent_event(user["user_id"], payment_intent)), created] * 4
    random.Random(7).shuffle(payloads)
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(lambda payload: deliver(client, payload), payloads))
    assert {r.status_code for r in responses} <= {200, 409}
    refused = [payload for payload, r in zip(payloads, responses) if r.status_code == 409]
    assert all(payload == created for payload in refused)
    for payload in refused:
        ok(deliver(client, payload))
    assert balance(client, user) == 3
    assert [row["amount"] for row in disputes(client, user)] == [-10]
    assert_ledger_adds_up(client, user)


def test_a_dispute_of_an_uncredited_payment_is_recorded_for_the_operator(
        client, user, fake_stripe, capfd):
    """The payment will never be credited (no such user): the dispute is noted on the
    operator's record of it and acknowledged, not refused for Stripe's 3 days."""
    payment_intent, ghost = new_id("pi"), f"no-such-user-{uuid.uuid4().hex}"
    ok(deliver(client, checkout_event(ghost, payment_intent)))
    events = dispute_events(payment_intent)
    capfd.readouterr()
    for name in ("created", "created", "withdrawn", "won", "won"):
        ok(deliver(client, events[name]))
    [record] = operator_records(payment_intent)
    later = record["later_events"]
    assert set(later) == {events[name]["id"] for name in ("created", "withdrawn", "won")}
    noted = later[events["created"]["id"]]
    assert noted["event_type"] == "charge.dispute.created"
    assert noted["dispute_id"] == events["created"]["data"]["object"]["id"]
    assert noted["amount_disputed"] == 999 and noted["currency"] == "usd"
    assert later[events["won"]["id"]]["dispute_status"] == "won"
    # Each dispute event raises the operator's alarm once (not again when redelivered).
    reasons = sorted(metric["Reason"] for metric in metrics(capfd.readouterr().out))
    assert reasons == sorted(["charge.dispute.created", "charge.dispute.funds_withdrawn",
                              "charge.dispute.closed"])
    assert record["reason"] == "no such user" and "user_id" not in record
    assert balance(client, user) == 3 and disputes(client, user) == []


def test_a_dispute_in_another_currency_is_ignored(client, user, fake_stripe):
    payment_intent = buy(client, user)
    ok(deliver(client, shapes.event("charge.dispute.created", shapes.dispute(
        new_id("ch"), payment_intent, 999, currency="eur"))))
    assert balance(client, user) == 13


def test_dispute_is_a_ledger_type():
    assert "dispute" in movements.TYPES


# --- refunds that fail --------------------------------------------------------------

def failed(charge: str, payment_intent: str, amount: int, refund_id: str,
           kind: str = "charge.refund.updated") -> dict:
    return shapes.event(kind, shapes.refund(charge, payment_intent, amount, status="failed",
                                            refund_id=refund_id),
                        previous_attributes={"status": "succeeded"})


def test_a_refund_that_failed_gives_the_credits_back_once(client, user, fake_stripe):
    payment_intent, charge, refund_id = buy(client, user), new_id("ch"), new_id("re")
    refunded = refund_event(payment_intent, charge, 999)
    ok(deliver(client, refunded))
    assert balance(client, user) == 3
    for kind in ("charge.refund.updated", "refund.failed", "refund.updated",
                 "charge.refund.updated"):
        ok(deliver(client, failed(charge, payment_intent, 999, refund_id, kind)))
        assert balance(client, user) == 13, kind
    restored = [row for row in ledger(client, user)
                if row["transaction_id"].startswith("stripe-refund-failed:")]
    assert [row["amount"] for row in restored] == [10]
    assert restored[0]["metadata"]["refund_id"] == refund_id
    assert restored[0]["metadata"]["failure_reason"] == "expired_or_canceled_card"
    # The refund event again (Stripe retries it: the same event) takes nothing more.
    ok(deliver(client, refunded))
    assert balance(client, user) == 13
    assert_ledger_adds_up(client, user)


def test_a_failed_refund_gives_back_only_what_was_really_taken(client, user, fake_stripe):
    payment_intent, charge = buy(client, user), new_id("ch")
    spend(user, 12)  # 13 -> 1
    ok(deliver(client, refund_event(payment_intent, charge, 999)))  # takes 1, 9 short
    assert balance(client, user) == 0
    ok(deliver(client, failed(charge, payment_intent, 999, new_id("re"))))
    assert balance(client, user) == 1
    assert_ledger_adds_up(client, user)


def test_one_of_two_partial_refunds_fails(client, user, fake_stripe):
    payment_intent, charge = buy(client, user), new_id("ch")
    ok(deliver(client, refund_event(payment_intent, charge, 300)))  # 3
    ok(deliver(client, refund_event(payment_intent, charge, 800)))  # 8 in all
    assert balance(client, user) == 13 - 8
    ok(deliver(client, failed(charge, payment_intent, 500, new_id("re"))))
    # What stands refunded is 300 of 999: 3 credits.
    assert balance(client, user) == 13 - 3
    assert_ledger_adds_up(client, user)


def test_a_new_refund_after_a_failed_one_is_taken_back(client, user, fake_stripe):
    payment_intent, charge = buy(client, user), new_id("ch")
    ok(deliver(client, refund_event(payment_intent, charge, 999)))
    ok(deliver(client, failed(charge, payment_intent, 999, new_id("re"))))
    assert balance(client, user) == 13
    # Stripe lowered amount_refunded by the failed 999; the new refund raises it again.
    ok(deliver(client, refund_event(payment_intent, charge, 999)))
    assert balance(client, user) == 3
    assert_ledger_adds_up(client, user)


def test_a_failure_that_overtakes_its_refund_is_retried_by_stripe(client, user, fake_stripe):
    payment_intent, charge, refund_id = buy(client, user), new_id("ch"), new_id("re")
    early = deliver(client, failed(charge, payment_intent, 999, refund_id))
    assert early.status_code == 409
    assert balance(client, user) == 13
    ok(deliver(client, refund_event(payment_intent, charge, 999)))
    ok(deliver(client, failed(charge, payment_intent, 999, refund_id)))
    assert balance(client, user) == 13
    assert_ledger_adds_up(client, user)


def test_concurrent_deliveries_of_a_failed_refund_give_back_once(client, user, fake_stripe):
    payment_intent, charge, refund_id = buy(client, user), new_id("ch"), new_id("re")
    ok(deliver(client, refund_event(payment_intent, charge, 999)))
    payloads = [json.dumps(failed(charge, payment_intent, 999, refund_id, kind))
                for kind in ("charge.refund.updated", "refund.failed")] * 5
    with concurrent.futures.ThreadPoolExecutor(max_workers=10) as pool:
        responses = list(pool.map(lambda payload: deliver(client, payload), payloads))
    assert [r.status_code for r in responses] == [200] * 10
    assert balance(client, user) == 13
    assert_ledger_adds_up(client, user)


def test_refund_updates_that_are_not_failures_change_nothing(client, user, fake_stripe):
    payment_intent, charge = buy(client, user), new_id("ch")
    ok(deliver(client, refund_event(payment_intent, charge, 999)))
    for status in ("pending", "succeeded", "canceled", "requires_action"):
        ok(deliver(client, shapes.event("charge.refund.updated", shapes.refund(
            charge, payment_intent, 999, status=status))))
    assert balance(client, user) == 3


def test_a_refund_during_an_inquiry_is_not_given_back_when_it_closes(client, user,
                                                                     fake_stripe):
    """Stripe's advice for an inquiry is to refund it: the inquiry took the credits,
    the refund found the balance empty (a shortfall), and the closed inquiry gives
    back only what the refund did not owe."""
    payment_intent, charge, dispute_id = buy(client, user), new_id("ch"), new_id("du")
    inquiry = {status: shapes.event(kind, shapes.dispute(
        charge, payment_intent, 999, status=status, dispute_id=dispute_id))
        for kind, status in (("charge.dispute.created", "warning_needs_response"),
                             ("charge.dispute.closed", "warning_closed"))}
    ok(deliver(client, inquiry["warning_needs_response"]))
    assert balance(client, user) == 3
    ok(deliver(client, refund_event(payment_intent, charge, 999)))  # takes 3, 7 short
    assert balance(client, user) == 0
    ok(deliver(client, inquiry["warning_closed"]))
    assert balance(client, user) == 3  # 13 bought and refunded: the 3 free credits
    ok(deliver(client, inquiry["warning_closed"]))
    assert balance(client, user) == 3
    assert_ledger_adds_up(client, user)


def test_a_partial_refund_during_an_inquiry(client, user, fake_stripe):
    payment_intent, charge, dispute_id = buy(client, user), new_id("ch"), new_id("du")
    opened = shapes.event("charge.dispute.created", shapes.dispute(
        charge, payment_intent, 999, status="warning_needs_response", dispute_id=dispute_id))
    closed = shapes.event("charge.dispute.closed", shapes.dispute(
        charge, payment_intent, 999, status="warning_closed", dispute_id=dispute_id))
    ok(deliver(client, opened))
    ok(deliver(client, refund_event(payment_intent, charge, 500)))  # due 5, takes 3
    ok(deliver(client, closed))
    assert balance(client, user) == 13 - 5
    assert_ledger_adds_up(client, user)
