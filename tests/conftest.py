"""Shared fixtures: one AWS emulator (moto server over HTTP) per test session,
provisioned from infra/template.yaml, and the app behind chalice's test client.

Tests stay independent by using fresh Cognito users (fresh ids), not by
resetting the emulator.

The suite runs on pytest-xdist (pytest.ini: `-n auto --dist loadgroup`): one worker
process per usable CPU, each with its own session here (its own emulator on a free
port, its own os.environ, its own moto state), so `stack` is shared by the tests of
one worker only. What costs more than a test to set up and is shared wider than one
test is kept on one worker: see pytest_collection_modifyitems below. `-n 0` runs
everything in this process (for --pdb, or to debug an ordering question).
"""
from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from chalice.test import Client

from infra.local.chalice_local import harden_chalice_local
from infra.local.emulator import Emulator
from infra.local.provision import provision
from infra.template import app_environment

harden_chalice_local()

REGION = "us-east-1"
PASSWORD = "Str0ng!Passw0rd"
ORIGIN = "http://localhost:3000"


@pytest.fixture(scope="session")
def stack() -> Iterator[dict]:
    emulator = Emulator(port=0)
    emulator.start()
    env = {
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION,
        "AWS_ENDPOINT_URL": emulator.url,
    }
    saved = dict(os.environ)
    os.environ.update(env)
    outputs = provision("local", region=REGION, endpoint_url=emulator.url)
    os.environ.update(app_environment(outputs))
    os.environ.update({
        "STAGE": "local",
        "ALLOWED_ORIGINS": f"{ORIGIN},https://app.example.org",
        "SIGNUP_CREDITS": "3",
    })
    os.environ.pop("COGNITO_JWKS_URL", None)
    try:
        yield {**outputs, "endpoint": emulator.url}
    finally:
        emulator.stop()
        os.environ.clear()
        os.environ.update(saved)


# --- pytest-xdist ------------------------------------------------------------------------

@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto`: one worker per CPU this process may use (xdist's own default counts
    physical cores when psutil is installed, which may be one on a 2-vCPU machine).
    PYTEST_XDIST_AUTO_NUM_WORKERS=n still wins."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS", "").isdigit():
        return int(os.environ["PYTEST_XDIST_AUTO_NUM_WORKERS"])
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


# Fixtures that are per worker by design (this file's `stack`), or pytest's and
# plugins' own (tmp_path_factory, worker_id...), do not pin anything.
_PER_WORKER_BASEIDS = {"", "tests"}


def xdist_group_of(item: pytest.Item) -> str | None:
    """The group an item must share a worker with, if any: the tests of a module that
    use a module-scoped fixture (test_security's live stack, test_infra's emulator),
    or the tests that use a session-scoped fixture of a directory's conftest (those of
    tests/browser/conftest.py: the stack process, the static server and Chromium).
    Split over two workers, each would start its own copy; kept together, once. Every
    other test is scheduled on its own (`--dist loadgroup`), so the workers stay evenly
    busy. A cheap session fixture in a directory's conftest would pin every test using
    it to one worker: put it in this file instead (one per worker)."""
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return None
    group = None
    for name in info.names_closure:
        definitions = info.name2fixturedefs.get(name)
        if not definitions:
            continue
        fixture = definitions[-1]
        if fixture.baseid in _PER_WORKER_BASEIDS:
            continue
        if fixture.scope in ("session", "package"):
            return fixture.baseid  # the widest: a whole directory
        if fixture.scope in ("module", "class"):
            group = item.nodeid.split("::", 1)[0]
    return group


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("xdist_group") is None:
            group = xdist_group_of(item)
            if group is not None:
                item.add_marker(pytest.mark.xdist_group(group))


_REAL_ENVIRON = os.environ


@pytest.fixture
def client(stack: dict) -> Iterator[Client]:
    from app import app

    # "test" is no stage of .chalice/config.json, so the client adds no stage env.
    with Client(app, stage_name="test") as test_client:
        yield test_client
    # chalice.test swaps os.environ for a copy during each call and puts the previous
    # object back after; concurrent calls can leave a copy in place, which then keeps
    # the test's monkeypatched settings (STRIPE_API_BASE...) for every later test.
    os.environ = _REAL_ENVIRON  # noqa: B003 - puts back the mapping chalice.test swapped


def call(client: Client, method: str, path: str, token: str | None = None,
         body: Any = None, headers: dict | None = None) -> Any:
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    if token is not None:
        all_headers["Authorization"] = f"Bearer {token}"
    raw = body if isinstance(body, (bytes, str)) or body is None else json.dumps(body)
    return getattr(client.http, method.lower())(path, headers=all_headers, body=raw)


def register(client: Client, name: str = "Ada Student") -> dict:
    """A new, confirmed user with tokens (the local stage auto-confirms)."""
    email = f"student-{uuid.uuid4().hex[:12]}@example.com"
    response = call(client, "POST", "/auth/register",
                    body={"email": email, "password": PASSWORD, "name": name})
    assert response.status_code == 201, response.body
    return {**response.json_body, "email": email}


def balance(client: Client, user: dict) -> int:
    return call(client, "GET", "/credits", token=user["id_token"]).json_body["credits"]


def ledger(client: Client, user: dict) -> list[dict]:
    """Every row of the user's credit history, through the paged API."""
    rows, last_key = [], None
    while True:
        path = "/credits/history?limit=100" + (f"&last_key={last_key}" if last_key else "")
        page = call(client, "GET", path, token=user["id_token"]).json_body
        rows += page["transactions"]
        last_key = page["last_key"]
        if not last_key:
            return rows


def queued_jobs(stack: dict) -> list[dict]:
    """Every job message visible on the video queue (other tests' stuck videos too),
    taken off the queue."""
    from chalicelib.core import aws

    sqs, found = aws.client("sqs"), []
    while True:
        batch = sqs.receive_message(QueueUrl=stack["VideoQueueUrl"], MaxNumberOfMessages=10,
                                    VisibilityTimeout=30).get("Messages", [])
        if not batch:
            return found
        for message in batch:
            found.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=stack["VideoQueueUrl"],
                               ReceiptHandle=message["ReceiptHandle"])


def ledger_total(client: Client, user: dict) -> tuple[int, int]:
    """(sum of the ledger's amounts, balance): equal whenever the books add up."""
    return sum(row["amount"] for row in ledger(client, user)), balance(client, user)


@pytest.fixture
def user(client: Client) -> dict:
    return register(client)


@pytest.fixture
def other_user(client: Client) -> dict:
    return register(client, name="Other Student")
