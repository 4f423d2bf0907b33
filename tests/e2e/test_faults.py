"""The fault suite, against the running local stack: contention on a small
balance, a worker killed mid-job, the emulator restarted under load, a poison
job, and a webhook storm. Invariants: credits never negative, the ledger adds
up to the balance, one note and one charge per video, nothing accepted is lost."""
from __future__ import annotations

import concurrent.futures
import json
import socket
import threading
import time
import uuid

import pytest
import requests
import stripe

from testkit.fake_anthropic import FakeAnthropic
from testkit.live_stack import Stack

pytestmark = pytest.mark.slow
PASSWORD = "Fault!Tol3rant"
WEBHOOK_SECRET = "whsec_fault_suite"


def register(api: str) -> dict:
    email = f"fault-{uuid.uuid4().hex[:8]}@example.com"
    response = requests.post(f"{api}/auth/register", timeout=10,
                             json={"email": email, "password": PASSWORD})
    assert response.status_code == 201, response.text
    body = response.json()
    return {**body, "email": email, "headers": {"Authorization": f"Bearer {body['id_token']}"}}


def login(api: str, user: dict) -> dict:
    body = requests.post(f"{api}/auth/login", timeout=10,
                         json={"email": user["email"], "password": PASSWORD}).json()
    return {**user, "headers": {"Authorization": f"Bearer {body['id_token']}"}}


def books(api: str, user: dict) -> tuple[int, int, list[dict]]:
    """(balance, sum of the ledger, ledger rows)."""
    rows, last_key = [], None
    while True:
        page = requests.get(f"{api}/credits/history?limit=100" +
                            (f"&last_key={last_key}" if last_key else ""),
                            headers=user["headers"], timeout=10).json()
        rows += page["transactions"]
        last_key = page["last_key"]
        if not last_key:
            break
    balance = requests.get(f"{api}/credits", headers=user["headers"], timeout=10).json()
    return balance["credits"], sum(r["amount"] for r in rows), rows


def wait_for(api: str, user: dict, video_id: str, statuses=("completed", "failed"),
             timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        video = requests.get(f"{api}/videos/{video_id}", headers=user["headers"],
                             timeout=10).json()
        if video.get("status") in statuses:
            return video
        time.sleep(0.1)
    raise AssertionError(f"video {video_id} stayed {video}")


def seeded(tmp_path, name: str, **kwargs) -> Stack:
    stack = Stack(tmp_path / name, **kwargs).start()
    from infra.local.seed import seed

    seed(json.loads((stack.state_dir / "outputs.json").read_text()))
    return stack


def test_fifty_concurrent_submits_against_three_credits(tmp_path):
    stack = seeded(tmp_path, "contention")
    try:
        user = register(stack.api)
        with concurrent.futures.ThreadPoolExecutor(max_workers=50) as pool:
            responses = list(pool.map(lambda _: requests.post(
                f"{stack.api}/videos", headers=user["headers"], timeout=30,
                # reprocess: each pays for a fresh note (else one is 202, the rest 409)
                json={"url": "https://youtu.be/sbPhysics01", "reprocess": True}), range(50)))
        codes = sorted(r.status_code for r in responses)
        assert codes == [202] * 3 + [402] * 47
        for response in responses:
            if response.status_code == 202:
                wait_for(stack.api, user, response.json()["video_id"])
        balance, total, rows = books(stack.api, user)
        assert balance == total == 0
        assert all(row["balance_after"] >= 0 for row in rows)
    finally:
        stack.stop()


def test_a_worker_killed_mid_job_recovers_with_one_note_and_one_charge(tmp_path):
    with FakeAnthropic() as model:
        release = threading.Event()
        reached = threading.Event()

        def hold(_request):
            reached.set()
            release.wait(30)

        model.on_request = hold
        stack = seeded(tmp_path, "crash", env={
            "ANTHROPIC_API_KEY": "sk-ant-fault", "ANTHROPIC_BASE_URL": model.url,
            # A lease longer than the held model call, as in prod (960 s > the 900 s
            # timeout); short enough that the cleanup rescues the job soon after.
            "JOB_LEASE_SECONDS": "10"}, args=("--cleanup-interval", "1"))
        try:
            user = register(stack.api)
            video_id = requests.post(f"{stack.api}/videos", headers=user["headers"], timeout=10,
                                     json={"url": "https://youtu.be/sbPhysics01"}).json()[
                "video_id"]
            assert reached.wait(30), "the job never reached the model"
            time.sleep(SAVE_MARGIN)
            assert stack.stop(kill=True) != 0  # the worker dies mid-job
            release.set()
            model.on_request = None
            stack.start()
            user = login(stack.api, user)
            done = wait_for(stack.api, user, video_id)
            assert done["status"] == "completed" and done["credits_charged"] == 1, \
                (done, "".join(stack.lines)[-3000:])
            assert requests.get(f"{stack.api}/notes", headers=user["headers"],
                                timeout=10).json()["count"] == 1
            balance, total, rows = books(stack.api, user)
            assert balance == total == 2
            assert len([r for r in rows if r["type"] == "usage"]) == 1
        finally:
            release.set()
            stack.stop()


SAVE_MARGIN = 6  # the stack saves its state every 5 s


def test_the_stack_restarted_under_load_loses_nothing(tmp_path):
    stack = seeded(tmp_path, "restart", env={"SIGNUP_CREDITS": "100"})
    try:
        user = register(stack.api)
        accepted: list[str] = []
        stop = threading.Event()

        def submit_forever() -> None:
            while not stop.is_set() and len(accepted) < 15:
                try:
                    response = requests.post(f"{stack.api}/videos", headers=user["headers"],
                                             timeout=5, json={"url": "https://youtu.be/sbHistory01",
                                                              "reprocess": True})
                    if response.status_code == 202:
                        accepted.append(response.json()["video_id"])
                except requests.RequestException:
                    time.sleep(0.2)  # the stack is restarting: try again

        loader = threading.Thread(target=submit_forever)
        loader.start()
        while len(accepted) < 5:
            time.sleep(0.05)
        stack.restart()
        loader.join(timeout=60)
        stop.set()
        user = login(stack.api, user)
        for video_id in accepted:
            assert wait_for(stack.api, user, video_id)["status"] == "completed"
        listed = requests.get(f"{stack.api}/videos?limit=100", headers=user["headers"],
                              timeout=10).json()["videos"]
        assert set(accepted) <= {v["video_id"] for v in listed}
        assert {v["status"] for v in listed} == {"completed"}
        balance, total, _ = books(stack.api, user)
        assert balance == total == 100 - len(listed)
    finally:
        stack.stop()


def _hanging_up_proxy() -> tuple[str, socket.socket]:
    """A proxy that accepts and hangs up at once: YouTube "reachable" but never
    answering, a transient failure on every attempt (a refused connection would be
    "offline", which fails at once locally)."""

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)

    def serve() -> None:
        while True:
            try:
                connection, _ = server.accept()
            except OSError:
                return
            connection.close()

    threading.Thread(target=serve, daemon=True).start()
    return f"http://127.0.0.1:{server.getsockname()[1]}", server


def test_a_poison_job_ends_in_the_dead_letter_queue_failed_and_refunded(tmp_path):
    proxy, server = _hanging_up_proxy()
    stack = seeded(tmp_path, "poison", env={"YOUTUBE_PROXY_URL": proxy})
    try:
        user = register(stack.api)
        video_id = requests.post(f"{stack.api}/videos", headers=user["headers"], timeout=10,
                                 json={"url": "https://youtu.be/notCached01"}).json()["video_id"]
        failed = wait_for(stack.api, user, video_id, statuses=("failed",))
        assert failed["error"]["code"] == "processing_failed"
        balance, total, rows = books(stack.api, user)
        assert balance == total == 3
        assert len([r for r in rows if r["type"] == "refund"]) == 1
    finally:
        stack.stop()
        server.close()


def test_a_webhook_storm_credits_once(tmp_path):
    stack = seeded(tmp_path, "storm", env={"STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET})
    try:
        user = register(stack.api)
        requests.get(f"{stack.api}/user", headers=user["headers"], timeout=10)
        payment = f"pi_{uuid.uuid4().hex[:16]}"
        metadata = {"user_id": user["user_id"], "package": "basic", "credits": "10"}
        events = [{"id": f"evt_{uuid.uuid4().hex[:12]}", "type": kind, "object": "event",
                   "data": {"object": obj}} for kind, obj in (
            ("checkout.session.completed", {
                "id": f"cs_{uuid.uuid4().hex[:12]}", "object": "checkout.session",
                "payment_status": "paid", "payment_intent": payment, "amount_total": 999,
                "currency": "usd", "client_reference_id": user["user_id"],
                "metadata": metadata}),
            ("payment_intent.succeeded", {
                "id": payment, "object": "payment_intent", "status": "succeeded",
                "amount": 999, "amount_received": 999, "currency": "usd",
                "metadata": metadata}))]

        def deliver(number: int) -> int:
            payload = json.dumps(events[number % 2])
            header = stripe.WebhookSignature.generate_signature_header(payload, WEBHOOK_SECRET)
            return requests.post(f"{stack.api}/webhooks/stripe", data=payload, timeout=30,
                                 headers={"Stripe-Signature": header,
                                          "Content-Type": "application/json"}).status_code

        with concurrent.futures.ThreadPoolExecutor(max_workers=25) as pool:
            codes = list(pool.map(deliver, range(50)))
        assert codes == [200] * 50
        balance, total, rows = books(stack.api, user)
        assert balance == total == 13
        assert len([r for r in rows if r["type"] == "purchase"]) == 1
    finally:
        stack.stop()
