"""The local payments sandbox (docs/DESIGN.md section 10; chalicelib/payments/sandbox.py):
without Stripe keys in the local stage, a whole purchase runs offline through the same
signed webhook and ledger as a real one; never in dev, staging or prod."""
from __future__ import annotations

import re
import uuid

import pytest
import stripe

from chalicelib.ledger.packages import PACKAGES
from chalicelib.payments import sandbox
from tests.conftest import ORIGIN, balance, call, ledger

SANDBOX_SECRET = "sandbox-secret-for-tests-0123456789"
API_URL = "http://127.0.0.1:8123"


@pytest.fixture
def sandboxed(stack, monkeypatch):
    for name in ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "STRIPE_API_BASE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PAYMENTS_SANDBOX_SECRET", SANDBOX_SECRET)
    monkeypatch.setenv("LOCAL_API_URL", API_URL)
    monkeypatch.setenv("STAGE", "local")


@pytest.fixture
def buyer(client, sandboxed):
    from tests.conftest import register

    user = register(client)
    assert balance(client, user) == 3
    return user


def start_checkout(client, user, package: str = "standard") -> dict:
    response = call(client, "POST", "/credits/checkout", token=user["id_token"],
                    body={"package": package})
    assert response.status_code == 201, response.body
    return response.json_body


def page_path(checkout: dict) -> str:
    assert checkout["checkout_url"].startswith(f"{API_URL}/sandbox/checkout/")
    return checkout["checkout_url"][len(API_URL):]


def pay(client, path: str):
    return client.http.post(path + "/pay", headers={
        "Content-Type": "application/x-www-form-urlencoded"}, body="")


def test_a_whole_purchase_runs_offline_and_is_credited_once(client, buyer):
    checkout = start_checkout(client, buyer, "standard")
    page = client.http.get(page_path(checkout))
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    html = page.body.decode()
    assert "25 credits" in html and "19.99 USD" in html
    action = re.search(r'<form method="post" action="([^"]+)"', html).group(1)
    assert action == page_path(checkout) + "/pay"

    paid = pay(client, page_path(checkout))
    assert paid.status_code == 200, paid.body
    assert "25 credits" in paid.body.decode()
    assert balance(client, buyer) == 3 + 25
    assert pay(client, page_path(checkout)).status_code == 200  # a second click
    assert balance(client, buyer) == 3 + 25
    [purchase] = [row for row in ledger(client, buyer) if row["type"] == "purchase"]
    assert purchase["amount"] == 25
    assert purchase["transaction_id"].startswith("stripe:pi_local_")
    assert sum(row["amount"] for row in ledger(client, buyer)) == balance(client, buyer)


def test_the_pay_button_sends_the_signed_event_stripe_would(client, buyer):
    checkout = start_checkout(client, buyer, "basic")
    session = sandbox.load_session(checkout["session_id"])
    payload = sandbox.paid_event(session)
    header = sandbox.signature_header(payload, sandbox.webhook_secret())
    # The stripe SDK itself accepts the signature, and the event is its own type.
    event = stripe.Webhook.construct_event(payload.decode(), header,
                                           sandbox.webhook_secret()).to_dict()
    assert event["type"] == "checkout.session.completed"
    assert event["data"]["object"]["metadata"] == {
        "user_id": buyer["user_id"], "package": "basic", "credits": "10"}
    assert event["data"]["object"]["amount_total"] == PACKAGES["basic"].amount
    # The same bytes through the public webhook route credit the purchase.
    delivered = call(client, "POST", "/webhooks/stripe", body=payload,
                     headers={"Stripe-Signature": header})
    assert delivered.status_code == 200 and delivered.json_body == {"received": True}
    assert balance(client, buyer) == 13


def test_a_forged_or_foreign_session_is_404_and_credits_nothing(client, buyer, other_user):
    checkout = start_checkout(client, buyer)
    path = page_path(checkout)
    tampered = path[:-3] + ("abc" if not path.endswith("abc") else "abd")
    for bad in (tampered, "/sandbox/checkout/cs_local_nothing.0000",
                "/sandbox/checkout/" + "x" * 5000):
        assert client.http.get(bad).status_code == 404
        assert pay(client, bad).status_code == 404
    # A webhook signed with another secret is refused, as Stripe's would be.
    payload = sandbox.paid_event(sandbox.load_session(checkout["session_id"]))
    forged = sandbox.signature_header(payload, "whsec_not_ours")
    response = call(client, "POST", "/webhooks/stripe", body=payload,
                    headers={"Stripe-Signature": forged})
    assert response.status_code == 400
    assert balance(client, buyer) == 3


def test_the_page_escapes_what_it_shows(client, buyer):
    evil = f"{ORIGIN}/credits?x=\"><script>alert(1)</script>"
    response = call(client, "POST", "/credits/checkout", token=buyer["id_token"],
                    body={"package": "basic", "cancel_url": evil})
    assert response.status_code == 201, response.body
    html = client.http.get(page_path(response.json_body)).body.decode()
    assert "<script>" not in html and "&lt;script&gt;" in html


@pytest.mark.parametrize("stage", ["dev", "staging", "prod"])
def test_never_outside_the_local_stage(client, buyer, monkeypatch, stage):
    checkout = start_checkout(client, buyer)
    monkeypatch.setenv("STAGE", stage)
    assert not sandbox.active() and sandbox.webhook_secret() is None
    with pytest.raises(Exception) as refused:
        sandbox.load_session(checkout["session_id"])
    assert "No such checkout session" in str(refused.value)
    assert sandbox.webhook_secret() is None


def test_with_stripe_keys_the_real_stripe_is_used(client, buyer, monkeypatch):
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_" + uuid.uuid4().hex)
    monkeypatch.setenv("STRIPE_API_BASE", "http://127.0.0.1:9")  # nothing listens: Stripe
    assert not sandbox.active()
    response = call(client, "POST", "/credits/checkout", token=buyer["id_token"],
                    body={"package": "basic"})
    assert response.status_code == 502  # it tried Stripe, not the sandbox


def test_without_keys_or_sandbox_the_message_names_the_setting(client, buyer, monkeypatch):
    monkeypatch.delenv("PAYMENTS_SANDBOX_SECRET")
    response = call(client, "POST", "/credits/checkout", token=buyer["id_token"],
                    body={"package": "basic"})
    assert response.status_code == 503
    assert "STRIPE_SECRET_KEY is not set on this server" in response.json_body["Message"]
    assert "try again later" not in response.json_body["Message"]
    purchase = call(client, "POST", "/credits/purchase", token=buyer["id_token"],
                    body={"package": "basic"})
    assert "STRIPE_SECRET_KEY is not set on this server" in purchase.json_body["Message"]
    webhook = call(client, "POST", "/webhooks/stripe", body="{}",
                   headers={"Stripe-Signature": "t=1,v1=00"})
    assert webhook.status_code == 503
    assert "STRIPE_WEBHOOK_SECRET is not set on this server" in webhook.json_body["Message"]
