"""Fixtures of the payments tests: the fake Stripe API, and a buyer whose account exists."""
from __future__ import annotations

import pytest

from testkit.fake_stripe import FakeStripe
from tests.conftest import call, register

SECRET_KEY = "sk_test_fake_0123456789"
WEBHOOK_SECRET = "whsec_test_0123456789abcdef"


@pytest.fixture
def fake_stripe(stack, monkeypatch):
    fake = FakeStripe().start()
    monkeypatch.setenv("STRIPE_SECRET_KEY", SECRET_KEY)
    monkeypatch.setenv("STRIPE_API_BASE", fake.url)
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET)
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def user(client):
    """A user who has used the app once, so their account (3 free credits) exists.

    Accounts open on the first authenticated request, and a buyer has always
    made one (POST /credits/checkout or /credits/purchase) before paying.
    """
    new_user = register(client)
    assert call(client, "GET", "/credits", token=new_user["id_token"]).json_body["credits"] == 3
    return new_user
