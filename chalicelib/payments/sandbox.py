"""The local payments sandbox (docs/DESIGN.md section 10): a whole purchase offline.

In the local stage, with no STRIPE_SECRET_KEY and the sandbox secret that `make run`
sets (PAYMENTS_SANDBOX_SECRET), POST /credits/checkout answers a `checkout_url` to a
page this API serves. Its Pay button builds the `checkout.session.completed` event
Stripe would send, signs it as Stripe does (`t=...,v1=HMAC-SHA256`) with the local
webhook secret, and hands those exact bytes and that header to the webhook handler
(chalicelib.payments.webhook, called by app.py), which verifies it and credits through the ledger as
for a real payment: same checks, same ids, so a second click credits nothing.

Never in dev, staging or prod: there `active()` is False and the pages are 404. A
session is a signed token (no table), valid for 24 hours like Stripe's.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any

from chalicelib.core import config
from chalicelib.core.errors import NotFoundError
from chalicelib.ledger.packages import PACKAGES, Package

log = logging.getLogger(__name__)

SECRET_SETTING = "PAYMENTS_SANDBOX_SECRET"
SESSION_PREFIX = "cs_local_"
SESSION_SECONDS = 24 * 3600
PAGE_PATH = "/sandbox/checkout/"
# The page only shows text and posts its own form.
PAGE_HEADERS: dict[str, str | list[str]] = {
    "Content-Type": "text/html; charset=utf-8",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
                               "form-action 'self'; frame-ancestors 'none'",
    "Cache-Control": "no-store",
}


@dataclass(frozen=True)
class Session:
    session_id: str
    user_id: str
    package: Package
    success_url: str
    cancel_url: str
    created: int


def _secret() -> str | None:
    return config.env(SECRET_SETTING)


def active() -> bool:
    """The local stage, no Stripe key, and `make run`'s sandbox secret."""
    return (config.stage() == "local" and config.env("STRIPE_SECRET_KEY") is None
            and _secret() is not None)


def webhook_secret() -> str | None:
    """The local webhook secret the sandbox signs with (None when it is off)."""
    secret = _secret()
    return f"whsec_local_{secret}" if active() and secret else None


def _mac(data: bytes) -> str:
    key = hashlib.sha256(b"sandbox-session:" + (_secret() or "").encode()).digest()
    return hmac.new(key, data, hashlib.sha256).hexdigest()[:32]


def _encode(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":"), sort_keys=True).encode()
    body = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    return f"{SESSION_PREFIX}{body}.{_mac(body.encode())}"


def create_session(user_id: str, package: Package, success_url: str,
                   cancel_url: str) -> dict[str, Any]:
    """What POST /credits/checkout answers in the sandbox: {checkout_url, session_id}.

    The page's address is the API's own (LOCAL_API_URL, set by `make run`), never one
    taken from the request's Host header."""
    api_url = config.env("LOCAL_API_URL", "http://127.0.0.1:8000") or ""
    session_id = _encode({"u": user_id, "p": package.id, "s": success_url,
                          "c": cancel_url, "t": int(time.time()), "n": uuid.uuid4().hex[:12]})
    log.info("sandbox checkout session created for user %s (%s)", user_id, package.id)
    return {"checkout_url": f"{api_url.rstrip('/')}{PAGE_PATH}{session_id}",
            "session_id": session_id}


def load_session(session_id: str) -> Session:
    """The session behind a sandbox id; 404 for anything else (or outside the sandbox)."""
    missing = NotFoundError("No such checkout session")
    if not active() or not isinstance(session_id, str) or len(session_id) > 4096 \
            or not session_id.startswith(SESSION_PREFIX) or "." not in session_id:
        raise missing
    body, mac = session_id[len(SESSION_PREFIX):].rsplit(".", 1)
    if not hmac.compare_digest(mac, _mac(body.encode())):
        raise missing
    try:
        data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        session = Session(session_id, str(data["u"]), PACKAGES[data["p"]], str(data["s"]),
                          str(data["c"]), int(data["t"]))
    except (ValueError, KeyError, TypeError) as exc:
        raise missing from exc
    if time.time() - session.created > SESSION_SECONDS:
        raise NotFoundError("This checkout session has expired: start a new checkout")
    return session


def payment_intent_id(session: Session) -> str:
    # One payment per session: paying twice lands on the same ledger row.
    return "pi_local_" + hashlib.sha256(session.session_id.encode()).hexdigest()[:24]


def paid_event(session: Session) -> bytes:
    """The checkout.session.completed event Stripe sends for a paid session."""
    now = int(time.time())
    metadata = {"user_id": session.user_id, "package": session.package.id,
                "credits": str(session.package.credits)}
    event = {
        "id": "evt_local_" + uuid.uuid4().hex[:24], "object": "event",
        "type": "checkout.session.completed", "created": now, "livemode": False,
        "data": {"object": {
            "id": session.session_id, "object": "checkout.session", "mode": "payment",
            "status": "complete", "payment_status": "paid",
            "payment_intent": payment_intent_id(session),
            "amount_total": session.package.amount, "currency": session.package.currency,
            "client_reference_id": session.user_id, "metadata": metadata,
            "success_url": session.success_url, "cancel_url": session.cancel_url,
        }},
    }
    return json.dumps(event, separators=(",", ":")).encode()


def signature_header(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """Stripe's Stripe-Signature header: t=<unix time>,v1=<HMAC-SHA256 of "t.payload">."""
    stamp = int(time.time()) if timestamp is None else timestamp
    signed = hmac.new(secret.encode(), f"{stamp}.".encode() + payload, hashlib.sha256)
    return f"t={stamp},v1={signed.hexdigest()}"


def signed_payment(session_id: str) -> tuple[Session, bytes, str]:
    """The Pay button: the session, and the event and Stripe-Signature header Stripe
    would send for it (app.py hands both to the webhook handler)."""
    session = load_session(session_id)
    secret = webhook_secret()
    if secret is None:  # load_session checked active(); kept for type checkers
        raise NotFoundError("No such checkout session")
    payload = paid_event(session)
    return session, payload, signature_header(payload, secret)


def _page(title: str, body: str) -> str:
    return ("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title><style>body{{font-family:system-ui,sans-serif;"
            "max-width:32rem;margin:3rem auto;padding:0 1rem}button{font-size:1.1rem;"
            "padding:.5rem 1.5rem}.note{color:#666;font-size:.9rem}</style></head><body>"
            f"<h1>{html.escape(title)}</h1>{body}"
            "<p class=\"note\">Local payments sandbox: no money moves. This page exists only "
            "in the local stage without Stripe keys.</p></body></html>\n")


def _price(package: Package) -> str:
    return f"{package.amount / 100:.2f} {package.currency.upper()}"


def checkout_page(session_id: str) -> str:
    session = load_session(session_id)
    package = session.package
    return _page("Study Buddy credits", (
        f"<p>{package.credits} credits ({html.escape(package.id)} package): "
        f"<strong>{html.escape(_price(package))}</strong></p>"
        f"<form method=\"post\" action=\"{html.escape(PAGE_PATH + session_id)}/pay\">"
        "<button type=\"submit\">Pay</button></form>"
        f"<p><a href=\"{html.escape(session.cancel_url)}\">Cancel</a></p>"))


def paid_page(session: Session) -> str:
    return _page("Payment received", (
        f"<p>{session.package.credits} credits are added to your balance (once, however "
        "often this is paid).</p>"
        f"<p><a href=\"{html.escape(session.success_url)}\">Back to the app</a></p>"))
