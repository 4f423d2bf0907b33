"""Schemathesis against the running local stack, as a signed-in user: no 5xx, no
response that breaks the OpenAPI description, bad input refused (docs/DESIGN.md 4)."""
from __future__ import annotations

import uuid

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi import checks

from testkit.live_stack import Stack

EXAMPLES_PER_OPERATION = 12


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    stack = Stack(tmp_path_factory.mktemp("schemathesis-state")).start()
    email = f"fuzz-{uuid.uuid4().hex[:8]}@example.com"
    registered = requests.post(f"{stack.api}/auth/register", timeout=10,
                               json={"email": email, "password": "Fuzz!Passw0rd"})
    assert registered.status_code == 201, registered.text
    yield stack, registered.json()["id_token"]
    assert stack.stop() == 0


OPERATIONS = None  # filled from the live document, so new routes are fuzzed too
CHECKS = [checks.status_code_conformance, checks.response_schema_conformance,
          checks.content_type_conformance, checks.negative_data_rejection]


@pytest.mark.slow
def test_the_api_keeps_its_contract(live):
    """Every operation, a bounded number of generated requests each.

    schemathesis's pytest plugin does not run on pytest 9, so its Python API and
    hypothesis drive the same cases here; every failure is collected."""
    stack, token = live
    schema = schemathesis.openapi.from_url(f"{stack.api}/openapi.json")
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def exercise(case):
            case.call_and_validate(base_url=stack.api, checks=CHECKS,
                                   headers={"Authorization": f"Bearer {token}"})

        try:
            exercise()
        except Exception as exc:  # noqa: BLE001 - collect every operation's failure
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}"[:2000])
    assert not failures, "\n\n".join(failures)
