"""No account enumeration outside the local stage (issue 13, point 7): register,
confirm and forgot-password answer the same whether the email has an account or not.

Cognito runs in the emulator (moto). Where moto answers differently from Cognito
(it confirms an already-confirmed account again, and keeps no per-account attempt
limit), botocore's own Stubber gives the answer Cognito documents for that call.
"""
from __future__ import annotations

import uuid

import pytest
from botocore.stub import Stubber

from chalicelib.accounts import signin
from chalicelib.core import aws
from tests.conftest import PASSWORD, call


def new_email() -> str:
    return f"e-{uuid.uuid4().hex[:12]}@example.com"


@pytest.fixture
def dev(monkeypatch, stack):
    monkeypatch.setenv("STAGE", "dev")
    return monkeypatch


def _shape(response) -> tuple:
    body = response.json_body
    return response.status_code, sorted(body), body.get("confirmation_required"), \
        body.get("Code"), body.get("Message")


def test_register_answers_the_same_for_an_existing_email(client, dev):
    email = new_email()
    first = call(client, "POST", "/auth/register", body={"email": email, "password": PASSWORD})
    again = call(client, "POST", "/auth/register", body={"email": email, "password": PASSWORD})
    other = call(client, "POST", "/auth/register",
                 body={"email": new_email(), "password": PASSWORD})
    assert first.status_code == again.status_code == other.status_code == 201
    assert _shape(first) == _shape(again) == _shape(other)
    assert again.json_body["email"] == email
    # The stand-in user id names nobody: it is not the real account's.
    assert again.json_body["user_id"] != first.json_body["user_id"]
    uuid.UUID(again.json_body["user_id"])
    # The real account is untouched: it confirms and signs in with its own password.
    assert call(client, "POST", "/auth/confirm",
                body={"email": email, "code": "123456"}).status_code == 200
    assert call(client, "POST", "/auth/login",
                body={"email": email, "password": PASSWORD}).status_code == 200


def test_register_of_a_confirmed_account_looks_like_a_new_sign_up(client, user, dev):
    # `user` was registered (and confirmed) by the local stage; now we are on dev.
    response = call(client, "POST", "/auth/register",
                    body={"email": user["email"], "password": "Other!Passw0rd"})
    assert response.status_code == 201
    assert response.json_body["confirmation_required"] is True
    assert "id_token" not in response.json_body
    # Its password did not change.
    assert call(client, "POST", "/auth/login",
                body={"email": user["email"], "password": PASSWORD}).status_code == 200


def test_the_local_stage_still_says_the_account_exists(client, user):
    response = call(client, "POST", "/auth/register",
                    body={"email": user["email"], "password": PASSWORD})
    assert response.status_code == 409


def _confirm_with_cognito_error(client, email: str, code: str, message: str):
    cognito = aws.client("cognito-idp")
    with Stubber(cognito) as stub:
        stub.add_client_error("confirm_sign_up", service_error_code=code,
                              service_message=message, http_status_code=400)
        return call(client, "POST", "/auth/confirm", body={"email": email, "code": "123456"})


def test_confirm_answers_the_same_for_unknown_and_already_confirmed(client, user, dev):
    unknown = call(client, "POST", "/auth/confirm",
                   body={"email": new_email(), "code": "123456"})  # the emulator's answer
    confirmed = _confirm_with_cognito_error(
        client, user["email"], "NotAuthorizedException",
        "User cannot be confirmed. Current status is CONFIRMED")
    wrong_code = _confirm_with_cognito_error(
        client, user["email"], "CodeMismatchException",
        "Invalid verification code provided, please try again.")
    assert unknown.status_code == confirmed.status_code == wrong_code.status_code == 400
    assert unknown.json_body == confirmed.json_body == wrong_code.json_body == \
        {"Code": "BadRequestError", "Message": signin.CONFIRM_FAILED}


def test_forgot_password_hides_the_per_account_attempt_limit(client, user, dev):
    cognito = aws.client("cognito-idp")
    unknown = call(client, "POST", "/auth/forgot-password", body={"email": new_email()})
    with Stubber(cognito) as stub:
        stub.add_client_error("forgot_password", service_error_code="LimitExceededException",
                              service_message="Attempt limit exceeded, please try after "
                                              "some time.", http_status_code=400)
        limited = call(client, "POST", "/auth/forgot-password", body={"email": user["email"]})
    assert unknown.status_code == limited.status_code == 202
    assert unknown.json_body == limited.json_body


def test_forgot_password_still_answers_429_when_cognito_throttles_everyone(client, dev):
    cognito = aws.client("cognito-idp")
    with Stubber(cognito) as stub:
        stub.add_client_error("forgot_password", service_error_code="TooManyRequestsException",
                              service_message="Rate exceeded", http_status_code=400)
        response = call(client, "POST", "/auth/forgot-password", body={"email": new_email()})
    assert response.status_code == 429
