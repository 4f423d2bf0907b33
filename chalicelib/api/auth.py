"""POST /auth/*: the sign-in requests (chalicelib.accounts.signin does the flows)."""
from __future__ import annotations

from typing import Any

from chalicelib.accounts import signin
from chalicelib.http import validation

MAX_CODE_LENGTH = 64
MAX_PASSWORD_LENGTH = 256
MAX_REFRESH_TOKEN_LENGTH = 8192
MAX_NAME_LENGTH = 100


def register(body: Any) -> dict[str, Any]:
    body = validation.object_body(body, required=("email", "password"), optional=("name",))
    name = validation.optional_string(body.get("name"), "name",
                                      max_length=MAX_NAME_LENGTH) or ""
    return signin.register(validation.email(body["email"]),
                           signin.check_password(body["password"]), name)


def confirm(body: Any) -> dict[str, Any]:
    body = validation.object_body(body, required=("email", "code"))
    return signin.confirm(validation.email(body["email"]), _code(body))


def login(body: Any) -> dict[str, Any]:
    body = validation.object_body(body, required=("email", "password"))
    return signin.login(validation.email(body["email"]),
                        validation.string(body["password"], "password",
                                          max_length=MAX_PASSWORD_LENGTH))


def refresh(body: Any) -> dict[str, Any]:
    body = validation.object_body(body, required=("refresh_token",))
    return signin.refresh(validation.string(body["refresh_token"], "refresh_token",
                                            max_length=MAX_REFRESH_TOKEN_LENGTH))


def forgot_password(body: Any) -> dict[str, Any]:
    body = validation.object_body(body, required=("email",))
    return signin.forgot_password(validation.email(body["email"]))


def reset_password(body: Any) -> dict[str, Any]:
    body = validation.object_body(body, required=("email", "code", "password"))
    return signin.reset_password(validation.email(body["email"]), _code(body),
                                 signin.check_password(body["password"]))


def _code(body: dict[str, Any]) -> str:
    return validation.string(body["code"], "code", max_length=MAX_CODE_LENGTH)
