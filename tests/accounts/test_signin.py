"""Sign-up, sign-in and token verification (docs/DESIGN.md section 4)."""
from __future__ import annotations

import concurrent.futures
import os
import time
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from app import app
from chalicelib.accounts import signin
from testkit import tokens as tokens_util
from tests.conftest import PASSWORD, call, register


def new_email() -> str:
    return f"s-{uuid.uuid4().hex[:12]}@example.com"


def test_register_in_local_stage_confirms_and_signs_in(client):
    email = new_email()
    response = call(client, "POST", "/auth/register",
                    body={"email": email.upper(), "password": PASSWORD, "name": "Ada"})
    assert response.status_code == 201
    body = response.json_body
    assert body["email"] == email and body["confirmation_required"] is False
    assert body["token_type"] == "Bearer" and body["refresh_token"]
    claims = jwt.decode(body["id_token"], options={"verify_signature": False})
    assert claims["sub"] == body["user_id"] and claims["token_use"] == "id"
    verified = call(client, "GET", "/auth/verify", token=body["id_token"])
    assert verified.status_code == 200
    assert verified.json_body["valid"] is True
    assert verified.json_body["user_id"] == body["user_id"]
    assert verified.json_body["email"] == email
    assert verified.json_body["expires_at"].endswith("Z")


def test_register_refuses_duplicates_weak_passwords_and_bad_emails(client, user):
    duplicate = call(client, "POST", "/auth/register",
                     body={"email": user["email"], "password": PASSWORD})
    assert duplicate.status_code == 409
    assert "already exists" in duplicate.json_body["Message"]
    for weak in ("short1!", "alllowercase1!", "NoNumbers!!", "NoSymbols123", "x" * 300):
        response = call(client, "POST", "/auth/register",
                        body={"email": new_email(), "password": weak})
        assert response.status_code == 400, weak
        assert response.json_body["Message"] == signin.PASSWORD_POLICY
    for bad in ("not-an-email", "a@b", "@example.com", "a b@example.com", 42, ""):
        response = call(client, "POST", "/auth/register",
                        body={"email": bad, "password": PASSWORD})
        assert response.status_code == 400, bad
        assert "Exception" not in response.json_body["Message"]
    for name in ([], False, 0, {"first": "Ada"}):  # never a name silently dropped
        response = call(client, "POST", "/auth/register",
                        body={"email": new_email(), "password": PASSWORD, "name": name})
        assert response.status_code == 400, name
        assert response.json_body["Message"] == "'name' must be a string"


def test_login_refresh_and_wrong_credentials(client, user):
    ok = call(client, "POST", "/auth/login", body={"email": user["email"], "password": PASSWORD})
    assert ok.status_code == 200
    assert set(ok.json_body) >= {"id_token", "access_token", "refresh_token", "expires_in"}
    wrong = call(client, "POST", "/auth/login",
                 body={"email": user["email"], "password": "Wr0ng!Password"})
    unknown = call(client, "POST", "/auth/login",
                   body={"email": new_email(), "password": PASSWORD})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json_body["Message"] == unknown.json_body["Message"] == signin.BAD_CREDENTIALS

    refreshed = call(client, "POST", "/auth/refresh",
                     body={"refresh_token": ok.json_body["refresh_token"]})
    assert refreshed.status_code == 200
    assert "refresh_token" not in refreshed.json_body
    assert call(client, "GET", "/user",
                token=refreshed.json_body["id_token"]).status_code == 200
    garbage = call(client, "POST", "/auth/refresh", body={"refresh_token": "not-a-token"})
    assert garbage.status_code == 401


def test_forgot_password_does_not_reveal_accounts_and_reset_works(client, user):
    known = call(client, "POST", "/auth/forgot-password", body={"email": user["email"]})
    unknown = call(client, "POST", "/auth/forgot-password", body={"email": new_email()})
    assert known.status_code == unknown.status_code == 202
    assert known.json_body == unknown.json_body

    new_password = "An0ther!Passw0rd"
    weak = call(client, "POST", "/auth/reset-password",
                body={"email": user["email"], "code": "123456", "password": "weak"})
    assert weak.status_code == 400 and weak.json_body["Message"] == signin.PASSWORD_POLICY
    reset = call(client, "POST", "/auth/reset-password",
                 body={"email": user["email"], "code": "123456", "password": new_password})
    assert reset.status_code == 200
    assert call(client, "POST", "/auth/login",
                body={"email": user["email"], "password": new_password}).status_code == 200
    assert call(client, "POST", "/auth/login",
                body={"email": user["email"], "password": PASSWORD}).status_code == 401


def test_outside_local_stage_sign_up_needs_the_emailed_code(client, monkeypatch):
    monkeypatch.setenv("STAGE", "dev")
    email = new_email()
    response = call(client, "POST", "/auth/register", body={"email": email, "password": PASSWORD})
    assert response.status_code == 201
    assert response.json_body["confirmation_required"] is True
    assert "id_token" not in response.json_body
    early = call(client, "POST", "/auth/login", body={"email": email, "password": PASSWORD})
    assert early.status_code == 403 and "Confirm your email" in early.json_body["Message"]
    confirmed = call(client, "POST", "/auth/confirm", body={"email": email, "code": "123456"})
    assert confirmed.status_code == 200 and confirmed.json_body == {"confirmed": True}
    assert call(client, "POST", "/auth/login",
                body={"email": email, "password": PASSWORD}).status_code == 200


def _protected_routes():
    return sorted((path, method) for path, methods in app.routes.items()
                  for method, entry in methods.items() if entry.authorizer is not None)


@pytest.mark.parametrize("path,method", _protected_routes())
def test_every_protected_route_refuses_a_request_without_a_token(client, path, method):
    concrete = path.replace("{video_id}", "v" * 32).replace("{note_id}", "n" * 32)
    response = call(client, method, concrete, body={} if method in ("POST", "PUT") else None)
    assert response.status_code == 401
    assert response.json_body["Code"] == "UnauthorizedError"


def _bad_tokens(stack: dict, user: dict) -> dict[str, str]:
    pool, client_id, sub = stack["UserPoolId"], stack["UserPoolClientId"], user["user_id"]
    good = tokens_util.claims(pool, client_id, sub)
    public_pem = tokens_util.EMULATOR_KEY.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return {
        "garbage": "not.a.token",
        "empty bearer": "",
        "forged with another key": tokens_util.sign(good, key=tokens_util.OTHER_KEY),
        "unknown key id": tokens_util.sign(good, key=tokens_util.OTHER_KEY, kid="rotated"),
        "alg none": tokens_util.unsigned(good),
        "hs256 with the public key as secret": _hs256_confusion(good, public_pem),
        "expired": tokens_util.sign({**good, "exp": int(time.time()) - 600,
                                     "iat": int(time.time()) - 4000}),
        "wrong issuer": tokens_util.sign(
            {**good, "iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_other"}),
        "wrong audience": tokens_util.sign({**good, "aud": "another-app-client"}),
        "access token": tokens_util.sign({**good, "token_use": "access", "aud": None,
                                          "client_id": client_id}),
        "no expiry": tokens_util.sign({**good, "exp": None}),
        "id token of another pool's client": tokens_util.sign(
            tokens_util.claims("us-east-1_elsewhere", "elsewhere-client", sub)),
    }


def _hs256_confusion(claims: dict, secret: bytes) -> str:
    import base64
    import hashlib
    import hmac
    import json

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
    head = b64(json.dumps({"alg": "HS256", "kid": "dummy", "typ": "JWT"}).encode())
    body = b64(json.dumps(claims).encode())
    signature = hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64(signature)}"


def test_token_matrix_is_401_and_a_valid_self_signed_token_passes(client, stack, user):
    valid = tokens_util.sign(tokens_util.claims(stack["UserPoolId"], stack["UserPoolClientId"],
                                                user["user_id"]))
    assert call(client, "GET", "/user", token=valid).status_code == 200
    for name, token in _bad_tokens(stack, user).items():
        response = call(client, "GET", "/user", token=token)
        assert response.status_code == 401, name
        assert response.json_body["Code"] == "UnauthorizedError", name
    real_access = call(client, "POST", "/auth/login",
                       body={"email": user["email"], "password": PASSWORD}).json_body
    assert call(client, "GET", "/user", token=real_access["access_token"]).status_code == 401
    bare = client.http.get("/user", headers={"Authorization": user["id_token"]})
    assert bare.status_code == 200


def test_first_sight_creates_the_user_with_the_bonus_exactly_once(client):
    fresh = register(client)
    with concurrent.futures.ThreadPoolExecutor(max_workers=10) as pool:
        responses = list(pool.map(
            lambda _: call(client, "GET", "/user", token=fresh["id_token"]), range(10)))
    assert {r.status_code for r in responses} == {200}
    assert {r.json_body["credits"] for r in responses} == {int(os.environ["SIGNUP_CREDITS"])}
    history = call(client, "GET", "/credits/history", token=fresh["id_token"]).json_body
    bonuses = [t for t in history["transactions"] if t["type"] == "signup_bonus"]
    assert len(bonuses) == 1 and bonuses[0]["amount"] == 3
