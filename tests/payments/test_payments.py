"""Buying credits with Stripe: Checkout, PaymentIntents and webhooks (docs/DESIGN.md 4, 5, 8).

The real stripe SDK talks to testkit/fake_stripe.py on 127.0.0.1; webhook events
are signed with the SDK's own WebhookSignature.generate_signature_header.
"""
from __future__ import annotations

import concurrent.futures
import json
import logging
import time
import uuid

import pytest
import stripe

from chalicelib.core.errors import ServiceUnavailableError
from chalicelib.ledger import movements
from chalicelib.ledger import refunds as refund_rules
from chalicelib.ledger.packages import PACKAGES
from chalicelib.payments import stripe_client
from testkit import fake_stripe as fake_stripe_shapes
from tests.conftest import ORIGIN, balance, call, ledger
from tests.payments.conftest import SECRET_KEY, WEBHOOK_SECRET

OTHER_ORIGIN = "https://app.example.org"  # the second of conftest's ALLOWED_ORIGINS


# --- helpers -----------------------------------------------------------------------





def assert_ledger_adds_up(client, user) -> None:
    assert sum(row["amount"] for row in ledger(client, user)) == balance(client, user)


def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:24]}"


def event(kind: str, obj: dict) -> dict:
    """An event in Stripe's envelope (api_version, livemode, request, pending_webhooks)."""
    return fake_stripe_shapes.event(kind, obj)


def metadata(user_id: str, package: str = "basic") -> dict:
    return {"user_id": user_id, "package": package,
            "credits": str(PACKAGES[package].credits)}


def checkout_event(user_id: str, payment_intent: str, package: str = "basic", *,
                   kind: str = "checkout.session.completed", payment_status: str = "paid",
                   amount: int | None = None, currency: str = "usd",
                   meta: dict | None = None, reference: str | None = None) -> dict:
    return event(kind, {
        "id": new_id("cs_test"), "object": "checkout.session", "mode": "payment",
        "status": "complete", "payment_status": payment_status,
        "amount_total": PACKAGES[package].amount if amount is None else amount,
        "currency": currency, "client_reference_id": reference or user_id,
        "payment_intent": payment_intent,
        "metadata": metadata(user_id, package) if meta is None else meta,
    })


def intent_event(user_id: str, payment_intent: str, package: str = "basic", *,
                 amount: int | None = None, meta: dict | None = None) -> dict:
    paid = PACKAGES[package].amount if amount is None else amount
    return event("payment_intent.succeeded", {
        "id": payment_intent, "object": "payment_intent", "status": "succeeded",
        "amount": paid, "amount_received": paid, "currency": "usd",
        "metadata": metadata(user_id, package) if meta is None else meta,
    })


def refund_event(payment_intent: str, charge: str, refunded: int, paid: int = 999,
                 meta: dict | None = None) -> dict:
    return event("charge.refunded", {
        "id": charge, "object": "charge", "payment_intent": payment_intent,
        "amount": paid, "amount_refunded": refunded, "refunded": refunded >= paid,
        "currency": "usd", "metadata": meta or {},
    })


def deliver(client, payload: dict | str | bytes, *, secret: str = WEBHOOK_SECRET,
            timestamp: int | None = None, header: str | None = None):
    raw = payload if isinstance(payload, (str, bytes)) else json.dumps(payload)
    if header is None:
        text = raw.decode() if isinstance(raw, bytes) else raw
        header = stripe.WebhookSignature.generate_signature_header(
            text, secret, timestamp=timestamp)
    return call(client, "POST", "/webhooks/stripe", body=raw,
                headers={"Stripe-Signature": header} if header else {})


def buy(client, user, package: str = "basic") -> str:
    """A paid Checkout purchase, credited through the webhook; returns its payment id."""
    payment_intent = new_id("pi")
    response = deliver(client, checkout_event(user["user_id"], payment_intent, package))
    assert response.status_code == 200 and response.json_body == {"received": True}
    return payment_intent


def spend(user, amount: int) -> None:
    movements.apply(movements.Movement(f"usage:test-{uuid.uuid4().hex}", user["user_id"],
                                   -amount, "usage", {"reason": "test spend"}))


# --- POST /credits/checkout --------------------------------------------------------

def test_checkout_creates_a_session_priced_from_the_catalogue(client, user, fake_stripe):
    response = call(client, "POST", "/credits/checkout", token=user["id_token"],
                    body={"package": "standard"})
    assert response.status_code == 201, response.body
    body = response.json_body
    assert set(body) == {"checkout_url", "session_id"}
    assert body["session_id"].startswith("cs_test_") and body["session_id"] in body["checkout_url"]

    [sent] = fake_stripe.requests
    assert (sent.method, sent.path) == ("POST", "/v1/checkout/sessions")
    assert sent.headers["authorization"] == f"Bearer {SECRET_KEY}"
    assert sent.idempotency_key.startswith(f"checkout:{user['user_id']}:")
    params = sent.params
    assert params["mode"] == "payment"
    assert params["client_reference_id"] == user["user_id"]
    assert params["line_items[0][quantity]"] == "1"
    assert params["line_items[0][price_data][unit_amount]"] == "1999"
    assert params["line_items[0][price_data][currency]"] == "usd"
    assert "25" in params["line_items[0][price_data][product_data][name]"]
    expected = {"user_id": user["user_id"], "package": "standard", "credits": "25"}
    assert sent.nested("metadata") == expected
    assert sent.nested("payment_intent_data[metadata]") == expected
    assert params["success_url"] == \
        f"{ORIGIN}/credits?checkout=success&session_id={{CHECKOUT_SESSION_ID}}"
    assert params["cancel_url"] == f"{ORIGIN}/credits?checkout=cancelled"
    # Nothing is credited until Stripe says the money is in.
    assert balance(client, user) == 3


def test_checkout_keeps_return_urls_on_our_own_origins(client, user, fake_stripe):
    success = f"{OTHER_ORIGIN}/thanks?session={{CHECKOUT_SESSION_ID}}#top"
    cancel = f"{ORIGIN}/pricing"
    response = call(client, "POST", "/credits/checkout", token=user["id_token"],
                    body={"package": "basic", "success_url": success, "cancel_url": cancel})
    assert response.status_code == 201
    [sent] = fake_stripe.requests
    assert (sent.params["success_url"], sent.params["cancel_url"]) == (success, cancel)


@pytest.mark.parametrize("url", [
    "https://evil.example/steal",
    "https://app.example.org.evil.example/",
    "https://app.example.org@evil.example/",
    "https://user:pw@app.example.org/",
    "https://evil.example\\@app.example.org/",
    "https://evil.example#@app.example.org",
    "//evil.example/path",
    "/credits",
    "javascript:alert(document.cookie)",
    "ftp://app.example.org/",
    "http://app.example.org/",  # the allowed origin is https
    "http://localhost:3001/",
    "https://app.example.org:8443/",
    "http://localhost:3000\t.evil.example/",
    "https://app.example.org:99999/",
    "",
    42,
    ["https://app.example.org/"],
    "https://app.example.org/" + "a" * 3000,
])
@pytest.mark.parametrize("field", ["success_url", "cancel_url"])
def test_checkout_is_no_open_redirect(client, user, fake_stripe, field, url):
    response = call(client, "POST", "/credits/checkout", token=user["id_token"],
                    body={"package": "basic", field: url})
    assert response.status_code == 400, (field, url)
    assert f"'{field}'" in response.json_body["Message"]
    assert fake_stripe.requests == []


@pytest.mark.parametrize("path", ["/credits/checkout", "/credits/purchase"])
@pytest.mark.parametrize("body,fragment", [
    ({"package": "platinum"}, "'package' must be one of: basic, standard, premium"),
    ({"package": 10}, "'package' must be one of"),
    ({}, "missing required field(s): package"),
    ({"package": "basic", "credits": 1000}, "unknown field(s): credits"),
    ({"package": "basic", "amount": 1}, "unknown field(s): amount"),
])
def test_bad_purchase_requests_are_400(client, user, fake_stripe, path, body, fragment):
    response = call(client, "POST", path, token=user["id_token"], body=body)
    assert response.status_code == 400
    assert fragment in response.json_body["Message"]
    assert fake_stripe.requests == []


@pytest.mark.parametrize("path", ["/credits/checkout", "/credits/purchase"])
def test_buying_needs_a_valid_token(client, fake_stripe, path):
    assert call(client, "POST", path, body={"package": "basic"}).status_code == 401
    assert call(client, "POST", path, token="not-a-token",
                body={"package": "basic"}).status_code == 401
    assert fake_stripe.requests == []


# --- POST /credits/purchase --------------------------------------------------------

def test_purchase_creates_a_payment_intent(client, user, fake_stripe):
    response = call(client, "POST", "/credits/purchase", token=user["id_token"],
                    body={"package": "premium"})
    assert response.status_code == 201, response.body
    body = response.json_body
    assert body["payment_intent_id"].startswith("pi_")
    assert body["client_secret"].startswith(f"{body['payment_intent_id']}_secret_")
    assert {k: body[k] for k in ("amount", "credits", "package")} == \
        {"amount": 2999, "credits": 50, "package": "premium"}

    [sent] = fake_stripe.requests
    assert (sent.method, sent.path) == ("POST", "/v1/payment_intents")
    assert sent.params["amount"] == "2999" and sent.params["currency"] == "usd"
    assert sent.params["automatic_payment_methods[enabled]"] == "true"
    assert sent.nested("metadata") == \
        {"user_id": user["user_id"], "package": "premium", "credits": "50"}
    assert sent.idempotency_key.startswith(f"purchase:{user['user_id']}:")

    # A second click is a second purchase: its own key, its own PaymentIntent.
    again = call(client, "POST", "/credits/purchase", token=user["id_token"],
                 body={"package": "premium"}).json_body
    assert again["payment_intent_id"] != body["payment_intent_id"]
    assert len({request.idempotency_key for request in fake_stripe.requests}) == 2
    assert balance(client, user) == 3


def test_a_retried_stripe_call_reuses_its_idempotency_key(client, user, fake_stripe):
    fake_stripe.fail_next(500, "api_error", "Something went wrong on Stripe's end.",
                          should_retry=None)
    response = call(client, "POST", "/credits/purchase", token=user["id_token"],
                    body={"package": "basic"})
    assert response.status_code == 201
    first, second = fake_stripe.requests
    assert first.idempotency_key == second.idempotency_key is not None
    assert first.params == second.params


# --- Stripe failures and configuration ---------------------------------------------

@pytest.mark.parametrize("status,error_type,code,answer,fragment", [
    (402, "card_error", "card_declined", 402, "declined: Your card was declined."),
    (500, "api_error", None, 502, "payment provider could not"),
    (400, "invalid_request_error", "parameter_invalid", 502, "payment provider could not"),
    (429, "rate_limit_error", "rate_limit", 429, "try again in a few seconds"),
    (401, "invalid_request_error", None, 503, "Payments are not available"),
])
@pytest.mark.parametrize("path", ["/credits/checkout", "/credits/purchase"])
def test_stripe_errors_become_clear_answers(client, user, fake_stripe, path, status,
                                            error_type, code, answer, fragment):
    fake_stripe.fail_next(status, error_type, "Your card was declined.", code=code, times=3)
    response = call(client, "POST", path, token=user["id_token"], body={"package": "basic"})
    assert response.status_code == answer
    assert set(response.json_body) == {"Code", "Message"}
    assert fragment in response.json_body["Message"]
    assert "Traceback" not in response.body.decode()
    assert balance(client, user) == 3


def test_an_unreachable_stripe_is_502(client, user, fake_stripe, monkeypatch):
    monkeypatch.setenv("STRIPE_API_BASE", "http://127.0.0.1:9")
    response = call(client, "POST", "/credits/purchase", token=user["id_token"],
                    body={"package": "basic"})
    assert response.status_code == 502
    assert response.json_body["Code"] == "BadGatewayError"


@pytest.mark.parametrize("path", ["/credits/checkout", "/credits/purchase"])
def test_without_a_secret_key_payments_are_503(client, user, monkeypatch, path):
    monkeypatch.delenv("STRIPE_SECRET_KEY", raising=False)
    response = call(client, "POST", path, token=user["id_token"], body={"package": "basic"})
    assert response.status_code == 503
    assert response.json_body["Code"] == "ServiceUnavailableError"
    assert "Payments are not configured" in response.json_body["Message"]


def test_prod_refuses_a_stand_in_stripe_api(fake_stripe, monkeypatch):
    monkeypatch.setenv("STAGE", "prod")
    with pytest.raises(ServiceUnavailableError):
        stripe_client.client()
    monkeypatch.setenv("STAGE", "dev")
    assert stripe_client.client() is stripe_client.client()


def test_the_webhook_needs_its_secret(client, user, fake_stripe, monkeypatch):
    monkeypatch.delenv("STRIPE_WEBHOOK_SECRET")
    response = deliver(client, checkout_event(user["user_id"], new_id("pi")))
    assert response.status_code == 503  # not 2xx: Stripe retries once it is configured
    assert balance(client, user) == 3


# --- webhooks: crediting -----------------------------------------------------------

def test_a_paid_checkout_is_credited_once_with_its_stripe_ids(client, user, fake_stripe):
    payment_intent = new_id("pi")
    completed = checkout_event(user["user_id"], payment_intent, "standard")
    for _ in range(3):  # Stripe retries; every delivery is acknowledged
        response = deliver(client, completed)
        assert response.status_code == 200 and response.json_body == {"received": True}
    assert balance(client, user) == 3 + 25
    [purchase] = [row for row in ledger(client, user) if row["type"] == "purchase"]
    assert purchase["transaction_id"] == f"stripe:{payment_intent}"
    assert purchase["amount"] == 25 and purchase["balance_after"] == 28
    meta = purchase["metadata"]
    assert meta["package"] == "standard" and meta["credits"] == 25
    assert meta["payment_intent_id"] == payment_intent
    assert meta["checkout_session_id"] == completed["data"]["object"]["id"]
    assert meta["stripe_event_id"] == completed["id"]
    assert meta["amount_paid"] == 1999 and meta["currency"] == "usd"
    assert_ledger_adds_up(client, user)


def test_ten_concurrent_deliveries_credit_once(client, user, fake_stripe):
    completed = json.dumps(checkout_event(user["user_id"], new_id("pi"), "premium"))
    with concurrent.futures.ThreadPoolExecutor(max_workers=10) as pool:
        responses = list(pool.map(lambda _: deliver(client, completed), range(10)))
    assert [r.status_code for r in responses] == [200] * 10
    assert balance(client, user) == 3 + 50
    assert len([row for row in ledger(client, user) if row["type"] == "purchase"]) == 1
    assert_ledger_adds_up(client, user)


@pytest.mark.parametrize("checkout_first", [True, False])
def test_checkout_and_its_payment_intent_event_credit_once(client, user, fake_stripe,
                                                           checkout_first):
    payment_intent = new_id("pi")
    events = [checkout_event(user["user_id"], payment_intent),
              intent_event(user["user_id"], payment_intent)]
    for item in events if checkout_first else reversed(events):
        assert deliver(client, item).status_code == 200
    assert balance(client, user) == 3 + 10
    rows = [row for row in ledger(client, user) if row["type"] == "purchase"]
    assert [row["transaction_id"] for row in rows] == [f"stripe:{payment_intent}"]


def test_a_delayed_payment_is_credited_when_it_succeeds(client, user, fake_stripe):
    payment_intent = new_id("pi")
    pending = checkout_event(user["user_id"], payment_intent, payment_status="unpaid")
    assert deliver(client, pending).status_code == 200
    assert balance(client, user) == 3
    succeeded = checkout_event(user["user_id"], payment_intent,
                               kind="checkout.session.async_payment_succeeded")
    assert deliver(client, succeeded).status_code == 200
    assert deliver(client, succeeded).status_code == 200
    assert balance(client, user) == 13


def test_a_payment_intent_purchase_is_credited_on_success(client, user, fake_stripe):
    intent = call(client, "POST", "/credits/purchase", token=user["id_token"],
                  body={"package": "standard"}).json_body
    [sent] = fake_stripe.requests
    # Stripe echoes the metadata we sent when the payment succeeds.
    succeeded = intent_event("ignored", intent["payment_intent_id"], "standard",
                             meta=sent.nested("metadata"))
    assert deliver(client, succeeded).status_code == 200
    assert balance(client, user) == 3 + 25
    [row] = [row for row in ledger(client, user) if row["type"] == "purchase"]
    assert row["metadata"]["payment_intent_id"] == intent["payment_intent_id"]
    assert "checkout_session_id" not in row["metadata"]


def test_the_credits_come_from_our_catalogue_not_the_metadata(client, user, fake_stripe):
    meta = {**metadata(user["user_id"], "basic"), "credits": "1000"}
    assert deliver(client, checkout_event(user["user_id"], new_id("pi"), meta=meta)) \
        .status_code == 200
    assert balance(client, user) == 3 + 10


@pytest.mark.parametrize("change", ["amount", "currency", "package", "reference", "no_user"])
def test_a_payment_that_does_not_match_is_not_credited(client, user, fake_stripe, caplog,
                                                       change):
    payment_intent = new_id("pi")
    kwargs = {
        "amount": {"amount": 1},
        "currency": {"currency": "eur"},
        "package": {"meta": {**metadata(user["user_id"]), "package": "platinum"}},
        "reference": {"reference": "someone-else"},
        "no_user": {"meta": {"package": "basic"}},
    }[change]
    with caplog.at_level(logging.INFO, logger="chalicelib.billing"):
        response = deliver(client, checkout_event(user["user_id"], payment_intent, **kwargs))
    assert response.status_code == 200 and response.json_body == {"received": True}
    assert balance(client, user) == 3
    assert payment_intent in caplog.text or "not one of our" in caplog.text


def test_an_underpaid_payment_intent_is_not_credited(client, user, fake_stripe):
    response = deliver(client, intent_event(user["user_id"], new_id("pi"), "premium",
                                            amount=999))
    assert response.status_code == 200
    assert balance(client, user) == 3


def test_a_payment_for_an_unknown_user_is_logged_and_acknowledged(client, fake_stripe,
                                                                   caplog):
    ghost = f"no-such-user-{uuid.uuid4().hex}"
    with caplog.at_level(logging.ERROR, logger="chalicelib.billing"):
        response = deliver(client, checkout_event(ghost, new_id("pi")))
    assert response.status_code == 200 and response.json_body == {"received": True}
    assert f"user {ghost}, who has no account" in caplog.text


def test_unknown_event_types_are_acknowledged_and_ignored(client, user, fake_stripe):
    for kind in ("customer.created", "checkout.session.expired", "invoice.paid"):
        response = deliver(client, event(kind, {"id": new_id("obj"), "metadata":
                                                metadata(user["user_id"])}))
        assert response.status_code == 200 and response.json_body == {"received": True}
    assert balance(client, user) == 3


def test_a_large_event_is_accepted(client, user, fake_stripe):
    completed = checkout_event(user["user_id"], new_id("pi"))
    completed["data"]["object"]["custom_text"] = {"submit": {"message": "x" * 300_000}}
    assert deliver(client, completed).status_code == 200
    assert balance(client, user) == 13


# --- webhooks: refusing what Stripe did not sign -----------------------------------

def _bad_deliveries(user_id: str) -> dict:
    good = json.dumps(checkout_event(user_id, new_id("pi")))
    signed = stripe.WebhookSignature.generate_signature_header(good, WEBHOOK_SECRET)
    stale = stripe.WebhookSignature.generate_signature_header(
        good, WEBHOOK_SECRET, timestamp=int(time.time()) - 301)
    return {
        "stale": (good, stale),
        "other secret": (good, stripe.WebhookSignature.generate_signature_header(
            good, "whsec_someone_else")),
        "tampered": (good.replace('"amount_total": 999', '"amount_total": 9990'), signed),
        "missing header": (good, ""),
        "garbage header": (good, "t=now,v1=nonsense"),
        "no v1 signature": (good, signed.replace("v1=", "v0=")),
        "not json": ("not json at all", stripe.WebhookSignature.generate_signature_header(
            "not json at all", WEBHOOK_SECRET)),
        "json but no event": ("[1, 2]", stripe.WebhookSignature.generate_signature_header(
            "[1, 2]", WEBHOOK_SECRET)),
        "not utf-8": (b"\xff\xfe{}", signed),
        "event without an object": ('{"type": "charge.refunded", "data": [1]}',
                                    stripe.WebhookSignature.generate_signature_header(
                                        '{"type": "charge.refunded", "data": [1]}',
                                        WEBHOOK_SECRET)),
    }


@pytest.mark.parametrize("case", ["stale", "other secret", "tampered", "missing header",
                                  "garbage header", "no v1 signature", "not json",
                                  "json but no event", "not utf-8",
                                  "event without an object"])
def test_unsigned_stale_or_tampered_events_are_400(client, user, fake_stripe, case):
    body, header = _bad_deliveries(user["user_id"])[case]
    response = call(client, "POST", "/webhooks/stripe", body=body,
                    headers={"Stripe-Signature": header} if header else {})
    assert response.status_code == 400, case
    assert response.json_body["Code"] == "BadRequestError"
    assert balance(client, user) == 3


def test_a_signature_just_inside_the_tolerance_is_accepted(client, user, fake_stripe):
    completed = checkout_event(user["user_id"], new_id("pi"))
    response = deliver(client, completed, timestamp=int(time.time()) - 280)
    assert response.status_code == 200
    assert balance(client, user) == 13


# --- webhooks: refunds ---------------------------------------------------------------

def refunds(client, user) -> list[dict]:
    return [row for row in ledger(client, user) if row["type"] == "adjustment"]


def test_a_refund_after_spending_floors_at_zero_and_records_the_shortfall(client, user,
                                                                            fake_stripe):
    payment_intent = buy(client, user)
    spend(user, 12)  # 13 -> 1: most of the purchase is already used
    charge = new_id("ch")
    assert deliver(client, refund_event(payment_intent, charge, 999)).status_code == 200
    assert balance(client, user) == 0
    [row] = refunds(client, user)
    assert row["amount"] == -1 and row["balance_after"] == 0
    assert row["metadata"]["shortfall"] == 9
    assert row["metadata"]["charge_id"] == charge
    assert row["metadata"]["payment_intent_id"] == payment_intent
    assert row["metadata"]["amount_refunded"] == 999
    assert row["metadata"]["credits_reversed"] == 10
    assert deliver(client, refund_event(payment_intent, charge, 999)).status_code == 200
    assert len(refunds(client, user)) == 1
    assert_ledger_adds_up(client, user)


def test_partial_then_full_refunds_never_double_count(client, user, fake_stripe):
    payment_intent, charge = buy(client, user), new_id("ch")
    assert balance(client, user) == 13
    partial = refund_event(payment_intent, charge, 500)  # about half: 5 of 10 credits
    for _ in range(2):
        assert deliver(client, partial).status_code == 200
        assert balance(client, user) == 8
    full = refund_event(payment_intent, charge, 999)
    for item in (full, partial, full):
        assert deliver(client, item).status_code == 200
        assert balance(client, user) == 3
    assert sorted(row["amount"] for row in refunds(client, user)) == [-5, -5]
    assert_ledger_adds_up(client, user)


def test_a_full_refund_first_makes_the_late_partial_a_no_op(client, user, fake_stripe):
    payment_intent, charge = buy(client, user, "standard"), new_id("ch")
    assert deliver(client, refund_event(payment_intent, charge, 1999, 1999)).status_code == 200
    assert deliver(client, refund_event(payment_intent, charge, 1000, 1999)).status_code == 200
    assert balance(client, user) == 3
    assert [row["amount"] for row in refunds(client, user)] == [-25]


def test_concurrent_refund_events_take_back_the_purchase_once(client, user, fake_stripe):
    payment_intent, charge = buy(client, user), new_id("ch")
    events = [json.dumps(refund_event(payment_intent, charge, refunded))
              for refunded in (300, 500, 999)] * 4
    with concurrent.futures.ThreadPoolExecutor(max_workers=12) as pool:
        responses = list(pool.map(lambda payload: deliver(client, payload), events))
    assert [r.status_code for r in responses] == [200] * 12
    assert balance(client, user) == 3
    assert sum(row["amount"] for row in refunds(client, user)) == -10
    assert_ledger_adds_up(client, user)


def test_a_refund_of_a_payment_never_credited_changes_nothing(client, user, fake_stripe):
    response = deliver(client, refund_event(new_id("pi"), new_id("ch"), 999))
    assert response.status_code == 200 and response.json_body == {"received": True}
    assert balance(client, user) == 3 and refunds(client, user) == []


def test_a_refund_that_overtakes_its_purchase_is_retried_by_stripe(client, user,
                                                                    fake_stripe):
    payment_intent, charge = new_id("pi"), new_id("ch")
    early = deliver(client, refund_event(payment_intent, charge, 999,
                                         meta=metadata(user["user_id"])))
    assert early.status_code == 409
    assert balance(client, user) == 3 and refunds(client, user) == []
    assert deliver(client, checkout_event(user["user_id"], payment_intent)).status_code == 200
    assert balance(client, user) == 13
    again = deliver(client, refund_event(payment_intent, charge, 999,
                                         meta=metadata(user["user_id"])))
    assert again.status_code == 200
    assert balance(client, user) == 3
    assert_ledger_adds_up(client, user)


def test_credits_due_are_proportional_and_never_exceed_the_purchase():
    assert refund_rules.credits_due(10, 0, 999) == 0
    assert refund_rules.credits_due(10, 1, 999) == 0
    assert refund_rules.credits_due(10, 500, 999) == 5
    assert refund_rules.credits_due(10, 999, 999) == 10
    assert refund_rules.credits_due(10, 5000, 999) == 10
    assert refund_rules.credits_due(25, 1000, 1999) == 13
    assert refund_rules.credits_due(50, 2999, 2999) == 50
