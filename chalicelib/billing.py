"""Buying credits with Stripe: Checkout Sessions, PaymentIntents and the webhook.

Credits are granted only from a verified webhook, never from what a client says
it paid: the event must be signed with our webhook secret, recent, and carry a
package of our catalogue whose price matches the amount actually paid. Every
credit movement goes through credits.apply with an id derived from the Stripe
payment, so however often (or concurrently) Stripe delivers an event, the
payment is credited once.

The stripe SDK is imported inside the functions that use it: importing app.py
(every cold start) must not pay for it (DESIGN section 9).
"""
from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from chalicelib import observability, config, credits, secrets, validation
from chalicelib.errors import (
    BadGatewayError,
    BadRequestError,
    ConflictError,
    PaymentRequired,
    ServiceUnavailableError,
    TooManyRequestsError,
)

log = logging.getLogger(__name__)

WEBHOOK_TOLERANCE_SECONDS = 300
MAX_RETURN_URL_LENGTH = 2048
# Connect and read timeouts, and one retry (same idempotency key): the worst case
# stays under API Gateway's 29 s limit.
STRIPE_TIMEOUT = (3.05, 12.0)
STRIPE_NETWORK_RETRIES = 1
DEFAULT_SUCCESS_PATH = "/credits?checkout=success&session_id={CHECKOUT_SESSION_ID}"
DEFAULT_CANCEL_PATH = "/credits?checkout=cancelled"
# Partial refunds of one charge each take a numbered ledger slot; far more than
# Stripe would ever send for a $30 package.
MAX_REFUND_SLOTS = 100

CREDIT_EVENTS = ("checkout.session.completed", "checkout.session.async_payment_succeeded",
                 "payment_intent.succeeded")
REFUND_EVENT = "charge.refunded"

_client: tuple[tuple[str, str | None], Any] | None = None
_client_lock = threading.Lock()


# --- the Stripe client ------------------------------------------------------------

def _secret(name: str) -> str | None:
    """A Stripe secret (Secrets Manager in AWS, the environment locally). A store
    that cannot be read is a 503 (Stripe retries webhooks), not a crash."""
    try:
        return secrets.get(name)
    except secrets.SecretError as exc:
        log.error("payments refused: %s", exc)
        raise ServiceUnavailableError(
            "Payments are not configured on this server; try again later") from exc


def stripe_client() -> Any:
    """The one StripeClient of this container, built on first use.

    Rebuilt only when the key or API base changes (tests point it at a fake).
    """
    global _client
    api_key = _secret("STRIPE_SECRET_KEY")
    if api_key is None:
        log.error("payments are not configured: STRIPE_SECRET_KEY is not set")
        raise ServiceUnavailableError(
            "Payments are not configured on this server; try again later")
    api_base = config.env("STRIPE_API_BASE")
    if api_base is not None and config.is_prod():
        # A stand-in Stripe API in prod would take no real money: refuse, loudly.
        log.error("payments refused: prod must not set STRIPE_API_BASE")
        raise ServiceUnavailableError(
            "Payments are not configured on this server; try again later")
    key = (api_key, api_base)
    current = _client
    if current is not None and current[0] == key:
        return current[1]
    with _client_lock:
        if _client is None or _client[0] != key:
            import stripe

            _client = (key, stripe.StripeClient(
                api_key,
                base_addresses={"api": api_base.rstrip("/")} if api_base else None,
                max_network_retries=STRIPE_NETWORK_RETRIES,
                http_client=stripe.RequestsClient(timeout=STRIPE_TIMEOUT),
            ))
        return _client[1]


def _call_stripe(what: str, request: Callable[[Any], Any]) -> dict:
    """Run one Stripe request; its errors become answers a person can act on."""
    client = stripe_client()
    import stripe

    try:
        return request(client).to_dict()
    except stripe.CardError as exc:
        raise PaymentRequired(
            f"The payment was declined: {exc.user_message or 'try another card'}") from exc
    except stripe.RateLimitError as exc:
        log.warning("stripe rate limit while trying to %s: %s", what, exc)
        raise TooManyRequestsError(
            "The payment provider is busy; try again in a few seconds") from exc
    except (stripe.AuthenticationError, stripe.PermissionError) as exc:
        log.error("stripe refused our credentials while trying to %s: %s", what, exc)
        raise ServiceUnavailableError(
            "Payments are not available right now; try again later") from exc
    except stripe.StripeError as exc:
        log.error("stripe failed to %s (HTTP %s, code %s): %s", what, exc.http_status,
                  exc.code, exc)
        reference = f" (reference {exc.request_id})" if exc.request_id else ""
        raise BadGatewayError(
            f"The payment provider could not {what}; try again later{reference}") from exc


def _idempotency_key(operation: str, user_id: str) -> str:
    # One key per API request: the SDK's own retry of a timed-out call reuses it,
    # so a retry never creates a second session or PaymentIntent. A new click is
    # a new request and deliberately gets a new key.
    return f"{operation}:{user_id}:{uuid.uuid4().hex}"


# --- request validation -------------------------------------------------------------

def _package(body: dict) -> credits.Package:
    return credits.PACKAGES[validation.choice(body["package"], "package", credits.PACKAGES)]


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
    """A Checkout return URL, only ever on one of our own frontend origins.

    Anything else would make the endpoint an open redirect through stripe.com.
    """
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


def _metadata(user_id: str, package: credits.Package) -> dict[str, str]:
    # Stripe metadata values are strings. The webhook trusts only `package` (and
    # the user); the credits it grants come from our catalogue.
    return {"user_id": user_id, "package": package.id, "credits": str(package.credits)}


def _description(package: credits.Package) -> str:
    return f"{package.credits} Study Buddy credits ({package.id} package)"


# --- buying --------------------------------------------------------------------------

def create_checkout(user_id: str, body: Any) -> dict:
    """A Stripe Checkout Session for a package: {checkout_url, session_id}."""
    body = validation.object_body(body, required=("package",),
                                  optional=("success_url", "cancel_url"))
    package = _package(body)
    success_url = return_url(body.get("success_url"), "success_url", DEFAULT_SUCCESS_PATH)
    cancel_url = return_url(body.get("cancel_url"), "cancel_url", DEFAULT_CANCEL_PATH)
    metadata = _metadata(user_id, package)
    params = {
        "mode": "payment",
        "client_reference_id": user_id,
        "line_items": [{
            "quantity": 1,
            "price_data": {
                "currency": package.currency,
                "unit_amount": package.amount,
                "product_data": {"name": _description(package)},
            },
        }],
        "metadata": metadata,
        # The same metadata on the PaymentIntent attributes payment_intent.succeeded.
        "payment_intent_data": {"metadata": metadata, "description": _description(package)},
        "success_url": success_url,
        "cancel_url": cancel_url,
    }
    key = _idempotency_key("checkout", user_id)
    session = _call_stripe("start the checkout", lambda client: (
        client.v1.checkout.sessions.create(params=params, options={"idempotency_key": key})))
    log.info("checkout session %s created for user %s (%s)", session.get("id"), user_id,
             package.id)
    return {"checkout_url": session.get("url"), "session_id": session.get("id")}


def create_payment_intent(user_id: str, body: Any) -> dict:
    """A PaymentIntent for a package, confirmed by the frontend with Stripe.js."""
    body = validation.object_body(body, required=("package",))
    package = _package(body)
    params = {
        "amount": package.amount,
        "currency": package.currency,
        "metadata": _metadata(user_id, package),
        "description": _description(package),
        "automatic_payment_methods": {"enabled": True},
    }
    key = _idempotency_key("purchase", user_id)
    intent = _call_stripe("start the payment", lambda client: (
        client.v1.payment_intents.create(params=params, options={"idempotency_key": key})))
    log.info("payment intent %s created for user %s (%s)", intent.get("id"), user_id,
             package.id)
    return {"client_secret": intent.get("client_secret"), "payment_intent_id": intent.get("id"),
            "amount": package.amount, "credits": package.credits, "package": package.id}


# --- the webhook ---------------------------------------------------------------------

def verify_event(raw_body: bytes | None, signature: str | None) -> dict:
    """The event, if Stripe signed exactly this body with our secret in the last 5 minutes."""
    if not signature:
        raise BadRequestError("Missing Stripe-Signature header")
    secret = _secret("STRIPE_WEBHOOK_SECRET")
    if secret is None:
        # Not 2xx: Stripe keeps retrying, so no event is lost while this is fixed.
        log.error("stripe webhook refused: STRIPE_WEBHOOK_SECRET is not set")
        raise ServiceUnavailableError("Payments are not configured on this server")
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
    return event


def handle_webhook(raw_body: bytes | None, signature: str | None) -> dict:
    """Verify and act on one Stripe event. Anything we do not act on is acknowledged."""
    event = verify_event(raw_body, signature)
    kind = event["type"]
    obj = event["data"]["object"]
    if kind in CREDIT_EVENTS:
        outcome = _credit_purchase(event, obj)
    elif kind == REFUND_EVENT:
        outcome = _reverse_refund(event, obj)
    else:
        outcome = "ignored (event type not handled)"
    log.info("stripe event %s (%s): %s", event.get("id"), kind, outcome)
    return {"received": True}


def _id_of(value: Any) -> str | None:
    """An object's id whether Stripe sent it expanded or as a bare id."""
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


def _credit_purchase(event: dict, obj: dict) -> str:
    kind = event["type"]
    if kind == "checkout.session.completed" and obj.get("payment_status") != "paid":
        # Delayed payment methods: async_payment_succeeded follows when the money is in.
        return f"not credited yet (payment_status {obj.get('payment_status')!r})"
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
    package = credits.PACKAGES.get(str(metadata.get("package")))
    if payment_id is None or not isinstance(user_id, str) or not user_id:
        return "ignored (not one of our credit purchases)"
    if package is None:
        log.error("stripe payment %s names no package of ours (%r): not credited",
                  payment_id, metadata.get("package"))
        return "not credited (unknown package)"
    reference = obj.get("client_reference_id")
    if kind.startswith("checkout.session.") and reference not in (None, user_id):
        log.error("stripe payment %s: client_reference_id %r is not metadata user %r: "
                  "not credited", payment_id, reference, user_id)
        return "not credited (user mismatch)"
    if paid != package.amount or str(currency).lower() != package.currency:
        log.error("stripe payment %s paid %r %r but package %s costs %s %s: not credited",
                  payment_id, paid, currency, package.id, package.amount, package.currency)
        return "not credited (amount mismatch)"
    details = {
        "reason": f"Bought the {package.id} package",
        "package": package.id,
        "credits": package.credits,
        "amount_paid": package.amount,
        "currency": package.currency,
        "payment_intent_id": payment_id,
        "checkout_session_id": session_id,
        "stripe_event_id": event.get("id"),
        "stripe_event_type": kind,
    }
    # One id per payment for all three events: a Checkout payment and its
    # PaymentIntent event, or any redelivery, land on the same ledger row.
    movement = credits.Movement(f"stripe:{payment_id}", user_id, package.credits, "purchase",
                                {k: v for k, v in details.items() if v is not None})
    try:
        applied = credits.apply(movement)
    except credits.AccountMissing:
        log.error("stripe payment %s is for user %s, who has no account: not credited",
                  payment_id, user_id)
        return "not credited (no such user)"
    if applied.duplicate:
        return f"already credited ({movement.transaction_id})"
    observability.metric("CreditsSold", package.credits, Package=package.id)
    return f"credited {package.credits} to {user_id} ({movement.transaction_id})"


def credits_due(granted: int, refunded: int, paid: int) -> int:
    """Credits to take back for a cumulative refund: proportional, rounded half up."""
    if paid <= 0:
        return 0
    refunded = max(0, min(refunded, paid))
    return min(granted, (2 * granted * refunded + paid) // (2 * paid))


def _refund_rows(charge_id: str) -> list[dict]:
    """This charge's earlier refund rows, read consistently slot by slot."""
    rows = []
    for slot in range(1, MAX_REFUND_SLOTS + 1):
        row = credits.ledger_row(f"stripe-refund:{charge_id}:{slot}")
        if row is None:
            break
        rows.append(row)
    return rows


def _reverse_refund(event: dict, charge: dict) -> str:
    charge_id = _id_of(charge)
    payment_id = _id_of(charge.get("payment_intent"))
    refunded = charge.get("amount_refunded")
    if charge_id is None or payment_id is None or not isinstance(refunded, int):
        return "ignored (not a refund of one of our payments)"
    purchase = credits.ledger_row(f"stripe:{payment_id}")
    ours = (charge.get("metadata") or {}).get("package") in credits.PACKAGES
    if purchase is None and ours:
        # Stripe does not order events: the purchase event may still be on its way.
        # A non-2xx answer makes Stripe deliver this refund again later.
        log.warning("stripe refund of charge %s arrived before payment %s was credited; "
                    "asking Stripe to retry", charge_id, payment_id)
        raise ConflictError("The purchase this refund belongs to is not credited yet; "
                            "retry later")
    if purchase is None or purchase.get("type") != "purchase":
        log.warning("stripe refund of charge %s: payment %s was never credited; nothing to "
                    "take back", charge_id, payment_id)
        return "ignored (payment was never credited)"
    bought = purchase.get("metadata") or {}
    if str(charge.get("currency")).lower() != bought.get("currency"):
        log.error("stripe refund of charge %s is in %r, the purchase was in %r: ignored",
                  charge_id, charge.get("currency"), bought.get("currency"))
        return "ignored (currency mismatch)"
    granted, paid = int(purchase["amount"]), int(bought.get("amount_paid", 0))
    due = credits_due(granted, refunded, paid)
    # Each refund event takes the next numbered slot of this charge. A slot id
    # that two deliveries compete for lets only one of them write it: the other
    # re-reads (consistently) and takes back only what is still due. So partial
    # and full refunds, redelivered or concurrent, never double-count.
    for _ in range(MAX_REFUND_SLOTS):
        earlier = _refund_rows(charge_id)
        accounted = max((int(row["metadata"].get("amount_refunded", 0)) for row in earlier),
                        default=0)
        if accounted >= refunded:
            return f"already taken back (refunds up to {accounted} accounted for)"
        taken = sum(int(row["metadata"].get("credits_reversed", 0)) for row in earlier)
        to_take = due - taken
        if to_take <= 0:
            return f"nothing more to take back ({taken} of {due} already taken)"
        if len(earlier) >= MAX_REFUND_SLOTS:
            break
        movement = credits.Movement(
            f"stripe-refund:{charge_id}:{len(earlier) + 1}", purchase["user_id"], -to_take,
            "adjustment", {
                "reason": f"Stripe refund of the {bought.get('package')} package",
                "package": bought.get("package"),
                "payment_intent_id": payment_id,
                "charge_id": charge_id,
                "amount_refunded": refunded,
                "amount_paid": paid,
                "currency": bought.get("currency"),
                "credits_due": due,
                # Requested, not just applied: a shortfall (balance already spent) is
                # recorded by credits.apply and not claimed again by a later refund.
                "credits_reversed": to_take,
                "stripe_event_id": event.get("id"),
            })
        try:
            applied = credits.apply(movement, floor_at_zero=True)
        except credits.AccountMissing:
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
