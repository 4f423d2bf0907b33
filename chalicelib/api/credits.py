"""GET /credits, GET /credits/history, POST /credits/checkout and /credits/purchase:
the requests (chalicelib.ledger keeps the credits, chalicelib.payments talks to Stripe);
and the Stripe webhook and the local sandbox's pay button, after which a student's
courses waiting for credits go on at once (chalicelib.courses.progress).

A Checkout return URL is checked here: only ever on one of our own frontend origins,
or the endpoint would be an open redirect through stripe.com.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from chalicelib.accounts import users
from chalicelib.api import paging
from chalicelib.core import config
from chalicelib.core.errors import BadRequestError, ServiceUnavailableError
from chalicelib.http import validation
from chalicelib.ledger import history, packages
from chalicelib.ledger.packages import PACKAGES, Package
from chalicelib.payments import checkout as payments

if TYPE_CHECKING:  # imported where used: GET /credits's cold start does not pay for them
    from chalicelib.payments import sandbox, webhook

MAX_RETURN_URL_LENGTH = 2048
DEFAULT_SUCCESS_PATH = "/credits?checkout=success&session_id={CHECKOUT_SESSION_ID}"
DEFAULT_CANCEL_PATH = "/credits?checkout=cancelled"


def balance(user_id: str) -> dict[str, Any]:
    return {"credits": users.get_profile(user_id)["credits"], "packages": packages.catalogue()}


def transactions(user_id: str, params: dict[str, str] | None) -> dict[str, Any]:
    return paging.listed(
        "transactions", params, public=history.public_transaction,
        fetch=lambda page: history.page(user_id, limit=page.limit, last_key=page.last_key))


def stripe_event(raw_body: bytes | None, signature: str | None) -> dict[str, Any]:
    """POST /webhooks/stripe: one signed Stripe event acted on."""
    from chalicelib.payments import webhook

    _credited(webhook.handle_webhook(raw_body, signature))
    return {"received": True}


def sandbox_pay(session_id: str) -> sandbox.Session:
    """The sandbox's pay button: the signed event Stripe would send, acted on as one."""
    from chalicelib.payments import sandbox, webhook

    session, event, signature = sandbox.signed_payment(session_id)
    _credited(webhook.handle_webhook(event, signature))
    return session


def _credited(handled: webhook.Handled) -> None:
    if handled.credited_user_id:
        from chalicelib.courses import progress  # only when a purchase was credited

        progress.credits_arrived(handled.credited_user_id)


def checkout(user_id: str, body: Any) -> dict[str, Any]:
    """A Stripe Checkout Session for a package: {checkout_url, session_id}."""
    body = validation.object_body(body, required=("package",),
                                  optional=("success_url", "cancel_url"))
    return payments.create_checkout(
        user_id, _package(body),
        success_url=return_url(body.get("success_url"), "success_url", DEFAULT_SUCCESS_PATH),
        cancel_url=return_url(body.get("cancel_url"), "cancel_url", DEFAULT_CANCEL_PATH))


def purchase(user_id: str, body: Any) -> dict[str, Any]:
    """A PaymentIntent for a package, confirmed by the frontend with Stripe.js."""
    body = validation.object_body(body, required=("package",))
    return payments.create_payment_intent(user_id, _package(body))


def _package(body: dict[str, Any]) -> Package:
    return PACKAGES[validation.choice(body["package"], "package", PACKAGES)]


def _origin(url: str) -> str | None:
    """scheme://host[:port] of an absolute http(s) URL, normalised; None otherwise."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return None
    if parts.username is not None or parts.password is not None:
        return None
    default_port = 443 if scheme == "https" else 80
    return f"{scheme}://{parts.hostname}" + (f":{port}" if port not in (None, default_port)
                                             else "")


def return_url(value: Any, field: str, default_path: str) -> str:
    """A Checkout return URL on one of our own frontend origins (ALLOWED_ORIGINS)."""
    origins = config.allowed_origins()
    if not origins:
        raise ServiceUnavailableError("Payments need ALLOWED_ORIGINS to be configured")
    if value is None:
        return origins[0] + default_path
    url = validation.string(value, field, max_length=MAX_RETURN_URL_LENGTH)
    # Browsers read a backslash as a slash, and controls or spaces change how a URL
    # parses: refuse them rather than guess.
    if "\\" in url or any(ord(char) <= 0x20 or ord(char) == 0x7F for char in url):
        raise BadRequestError(f"'{field}' is not a valid URL")
    allowed = {_origin(origin) for origin in origins} - {None}
    if _origin(url) not in allowed:
        raise BadRequestError(
            f"'{field}' must be an absolute URL on one of this app's origins: "
            f"{', '.join(origins)[:300]}")
    return url
