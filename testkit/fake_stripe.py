"""A fake Stripe API on 127.0.0.1 for the real stripe SDK to talk to.

It records every request (path, decoded form parameters, Idempotency-Key),
creates Checkout Sessions and PaymentIntents the way Stripe answers them,
replays the stored answer for a repeated idempotency key as Stripe does, and
can be told to fail the next requests with a Stripe error.
"""
from __future__ import annotations

import collections
import itertools
import json
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Recorded:
    method: str
    path: str
    params: dict[str, str]  # flat, as sent: {"metadata[user_id]": "..."}
    idempotency_key: str | None
    headers: dict[str, str]

    def nested(self, prefix: str) -> dict[str, str]:
        """The one-level dict sent under `prefix`: nested("metadata") -> {"user_id": ...}."""
        start = f"{prefix}["
        return {key[len(start):-1]: value for key, value in self.params.items()
                if key.startswith(start) and key.endswith("]")
                and "[" not in key[len(start):-1]}


@dataclass
class Failure:
    status: int
    error: dict
    headers: dict[str, str] = field(default_factory=dict)


class FakeStripe:
    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self._failures: collections.deque[Failure] = collections.deque()
        self._replays: dict[str, tuple[int, dict]] = {}
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                fake._handle(self)

            def do_POST(self) -> None:
                fake._handle(self)

            def log_message(self, *_args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> FakeStripe:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def fail_next(self, status: int, error_type: str, message: str, *, code: str | None = None,
                  times: int = 1, should_retry: bool | None = False) -> None:
        """Answer the next `times` requests with a Stripe error.

        should_retry sets Stripe-Should-Retry (None leaves it out, so the SDK
        decides from the status code).
        """
        error = {"type": error_type, "message": message}
        if code:
            error["code"] = code
        headers = {} if should_retry is None else \
            {"Stripe-Should-Retry": "true" if should_retry else "false"}
        with self._lock:
            self._failures.extend(Failure(status, error, headers) for _ in range(times))

    def calls(self, path: str) -> list[Recorded]:
        with self._lock:
            return [request for request in self.requests if request.path == path]

    # --- serving ---------------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length).decode() if length else ""
        split = urlsplit(handler.path)
        params = dict(parse_qsl(raw or split.query, keep_blank_values=True))
        key = handler.headers.get("Idempotency-Key")
        recorded = Recorded(handler.command, split.path, params, key,
                            {name.lower(): value for name, value in handler.headers.items()})
        headers: dict[str, str] = {}
        with self._lock:
            self.requests.append(recorded)
            failure = self._failures.popleft() if self._failures else None
            replay = self._replays.get(key) if key else None
        if failure is not None:
            status, body, headers = failure.status, {"error": failure.error}, failure.headers
        elif replay is not None:
            (status, body), headers = replay, {"Idempotent-Replayed": "true"}
        else:
            status, body = self._answer(recorded)
            if key and status < 500:
                with self._lock:
                    self._replays.setdefault(key, (status, body))
                    status, body = self._replays[key]
        payload = json.dumps(body).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(payload)))
        handler.send_header("Request-Id", f"req_fake{next(self._ids)}")
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(payload)

    def _answer(self, request: Recorded) -> tuple[int, dict]:
        if request.method == "POST" and request.path == "/v1/checkout/sessions":
            return 200, self._session(request)
        if request.method == "POST" and request.path == "/v1/payment_intents":
            return 200, self._payment_intent(request)
        return 404, {"error": {"type": "invalid_request_error",
                               "message": f"Unrecognized request URL ({request.method}: "
                                          f"{request.path})"}}

    @staticmethod
    def _session(request: Recorded) -> dict:
        session_id = f"cs_test_{uuid.uuid4().hex}"
        params = request.params
        return {
            "id": session_id, "object": "checkout.session", "livemode": False,
            "url": f"https://checkout.stripe.com/c/pay/{session_id}",
            "mode": params.get("mode"), "status": "open", "payment_status": "unpaid",
            "amount_total": int(params.get("line_items[0][price_data][unit_amount]", 0)),
            "currency": params.get("line_items[0][price_data][currency]"),
            "client_reference_id": params.get("client_reference_id"),
            "metadata": request.nested("metadata"), "payment_intent": None,
            "success_url": params.get("success_url"), "cancel_url": params.get("cancel_url"),
        }

    @staticmethod
    def _payment_intent(request: Recorded) -> dict:
        intent_id = f"pi_{uuid.uuid4().hex[:24]}"
        return {
            "id": intent_id, "object": "payment_intent", "livemode": False,
            "amount": int(request.params.get("amount", 0)),
            "currency": request.params.get("currency"),
            "client_secret": f"{intent_id}_secret_{uuid.uuid4().hex[:24]}",
            "metadata": request.nested("metadata"), "status": "requires_payment_method",
        }


# --- events, in the shape Stripe sends them -------------------------------------
# The envelope of a webhook event (https://docs.stripe.com/api/events/object) and
# the objects our webhook reads: Charge, Refund, Dispute. Fields we do not read are
# kept where they matter to the shape (balance_transactions, evidence_details...).

API_VERSION = "2024-06-20"


def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:24]}"


def event(kind: str, obj: dict, *, previous_attributes: dict | None = None,
          api_version: str = API_VERSION) -> dict:
    """A webhook event as Stripe delivers it."""
    import time

    data: dict[str, Any] = {"object": obj}
    if previous_attributes is not None:
        data["previous_attributes"] = previous_attributes
    return {
        "id": new_id("evt"), "object": "event", "api_version": api_version,
        "created": int(time.time()), "data": data, "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": new_id("req"), "idempotency_key": str(uuid.uuid4())},
        "type": kind,
    }


def refund(charge: str, payment_intent: str, amount: int, *, status: str = "succeeded",
           failure_reason: str | None = None, refund_id: str | None = None,
           currency: str = "usd") -> dict:
    """A Refund object (status pending, requires_action, succeeded, failed, canceled)."""
    failed = status == "failed"
    return {
        "id": refund_id or new_id("re"), "object": "refund", "amount": amount,
        "balance_transaction": new_id("txn"), "charge": charge, "created": 1_700_000_000,
        "currency": currency, "destination_details": {"type": "card", "card": {
            "type": "refund", "reference_status": "pending"}},
        "failure_balance_transaction": new_id("txn") if failed else None,
        "failure_reason": (failure_reason or "expired_or_canceled_card") if failed else None,
        "metadata": {}, "payment_intent": payment_intent, "reason": "requested_by_customer",
        "receipt_number": None, "source_transfer_reversal": None, "status": status,
        "transfer_reversal": None,
    }


def dispute(charge: str, payment_intent: str, amount: int, *, status: str = "needs_response",
            dispute_id: str | None = None, currency: str = "usd",
            reason: str = "fraudulent") -> dict:
    """A Dispute object (status warning_needs_response, warning_under_review,
    warning_closed, needs_response, under_review, won, lost)."""
    return {
        "id": dispute_id or new_id("du"), "object": "dispute", "amount": amount,
        "balance_transactions": [], "charge": charge, "created": 1_700_000_000,
        "currency": currency, "evidence": {"uncategorized_text": None},
        "evidence_details": {"due_by": 1_701_000_000, "has_evidence": False,
                             "past_due": False, "submission_count": 0},
        "is_charge_refundable": False, "livemode": False, "metadata": {},
        "payment_intent": payment_intent, "reason": reason, "status": status,
    }
