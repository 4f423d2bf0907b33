"""Nesting and size limits on JSON bodies (issue 13, point 9): a clear 400, never a
RecursionError 500 that pages the on-call through the 5xx alarm."""
from __future__ import annotations

import pytest

from chalicelib.core.errors import BadRequestError
from chalicelib.http import validation
from tests.conftest import call

# 58 KiB of nested arrays: under the 64 KiB body limit, far past Python's recursion limit.
DEEP_ARRAYS = "[" * (29 * 1024) + "]" * (29 * 1024)


@pytest.mark.parametrize("path", ["/auth/login", "/auth/register", "/auth/confirm",
                                  "/auth/refresh", "/auth/forgot-password",
                                  "/auth/reset-password"])
def test_deeply_nested_arrays_on_the_public_auth_routes_are_400(client, path):
    assert len(DEEP_ARRAYS) == 58 * 1024
    response = call(client, "POST", path, body=DEEP_ARRAYS)
    assert response.status_code == 400, response.body[:200]
    assert response.json_body["Code"] == "BadRequestError"
    assert "more than 20 levels deep" in response.json_body["Message"]


@pytest.mark.parametrize("body", [
    '{"email": ' + "[" * 5000 + "]" * 5000 + ', "password": "x"}',
    '{"a":' * 3000 + "1" + "}" * 3000,
    '[{"a": [' * 2000,  # unterminated as well as deep
])
def test_deep_objects_and_mixed_nesting_are_400(client, body):
    response = call(client, "POST", "/auth/login", body=body)
    assert response.status_code == 400
    assert response.json_body["Code"] == "BadRequestError"


def test_deep_nesting_on_a_protected_route_is_400(client, user):
    response = call(client, "PUT", "/user", token=user["id_token"],
                    body='{"preferences": ' + "[" * 4000 + "]" * 4000 + "}")
    assert response.status_code == 400
    assert "levels deep" in response.json_body["Message"]


def test_brackets_inside_strings_do_not_count():
    text = '{"name": "' + "[" * 500 + '\\"' + "{" * 500 + '", "x": [[1]]}'
    assert validation.json_depth(text) == 3
    assert validation.parse_json(text.encode())["x"] == [[1]]


def test_the_limit_is_exact():
    assert validation.parse_json("[" * 20 + "]" * 20) == \
        eval("[" * 20 + "]" * 20)  # a literal of nested lists
    with pytest.raises(BadRequestError, match="more than 20 levels"):
        validation.parse_json("[" * 21 + "]" * 21)


def test_a_body_that_is_not_utf8_is_400():
    with pytest.raises(BadRequestError, match="not UTF-8"):
        validation.parse_json(b"\xff\xfe{}")
