"""Sign-up and sign-in through Amazon Cognito (boto3 cognito-idp).

Cognito's exception names never reach the client: each is mapped to a 4xx
with a message a person can act on. Outside the local stage, register, confirm
and forgot-password answer the same whether or not the email has an account, so
they cannot be used to discover accounts (issue 13; the local stage auto-confirms
and signs in at once, so it cannot hide that anyway).
"""
from __future__ import annotations

import re
import uuid
from typing import Any, NoReturn

from chalicelib.core import aws, config
from chalicelib.core.errors import (
    BadRequestError,
    ConflictError,
    ForbiddenError,
    TooManyRequestsError,
    UnauthorizedError,
)

PASSWORD_POLICY = ("Password must be 8 to 256 characters and include an upper-case letter, "
                   "a lower-case letter, a number and a symbol")
BAD_CREDENTIALS = "Incorrect email or password"
BAD_CODE = "The code is incorrect or has expired; request a new one"
RESET_ACCEPTED = "If an account exists for that email, a reset code has been sent to it"
# One answer for a wrong code, an expired one, an unknown account and an account
# that is already confirmed (outside the local stage).
CONFIRM_FAILED = ("The code is incorrect or has expired, or the account is already "
                  "confirmed: check the code in the email, or sign in")
# Cognito answers these only for an account that exists: outside the local stage
# they are answered as if it did not.
_EXISTENCE_ERRORS = ("UserNotFoundException", "NotAuthorizedException",
                     "CodeMismatchException", "ExpiredCodeException",
                     "AliasExistsException", "LimitExceededException",
                     "TooManyFailedAttemptsException")

_SYMBOL_RE = re.compile(r"[\^$*.\[\]{}()?\"!@#%&/\\,><':;|_~`=+\- ]")


def check_password(value: Any, field: str = "password") -> str:
    """Cognito's policy, checked first so the message can say exactly what is wrong."""
    if not isinstance(value, str):
        raise BadRequestError(f"'{field}' must be a string")
    if not 8 <= len(value) <= 256 or value != value.strip() or not (
            re.search(r"[A-Z]", value) and re.search(r"[a-z]", value)
            and re.search(r"[0-9]", value) and _SYMBOL_RE.search(value)):
        raise BadRequestError(PASSWORD_POLICY)
    return value


def _cognito() -> Any:
    return aws.client("cognito-idp")


def _raise_mapped(exc: Exception, **overrides: Exception) -> NoReturn:
    """Turn a Cognito error into the HTTP error a person can act on."""
    code = aws.error_code(exc)
    if code in overrides:
        raise overrides[code] from exc
    if code == "InvalidPasswordException":
        raise BadRequestError(PASSWORD_POLICY) from exc
    if code in ("TooManyRequestsException", "LimitExceededException",
                "TooManyFailedAttemptsException"):
        raise TooManyRequestsError("Too many attempts; wait a few minutes and try again") \
            from exc
    if code in ("CodeMismatchException", "ExpiredCodeException"):
        raise BadRequestError(BAD_CODE) from exc
    if code == "InvalidParameterException":
        raise BadRequestError("The request was not accepted; check the email and password") \
            from exc
    raise exc


def _tokens(result: dict[str, Any]) -> dict[str, Any]:
    tokens = {
        "id_token": result["IdToken"],
        "access_token": result["AccessToken"],
        "expires_in": int(result.get("ExpiresIn", 3600)),
        "token_type": "Bearer",
    }
    if result.get("RefreshToken"):
        tokens["refresh_token"] = result["RefreshToken"]
    return tokens


def _authenticate(flow: str, parameters: dict[str, Any], **overrides: Exception) -> dict[str, Any]:
    try:
        response = _cognito().initiate_auth(
            ClientId=config.user_pool_client_id(), AuthFlow=flow, AuthParameters=parameters)
    except Exception as exc:  # noqa: BLE001 - mapped or re-raised
        _raise_mapped(exc, **overrides)
    if "AuthenticationResult" not in response:
        challenge = response.get("ChallengeName", "an extra step")
        raise ForbiddenError(
            f"Sign-in needs {challenge}, which this API does not support yet; "
            "use the hosted sign-in page")
    return _tokens(response["AuthenticationResult"])


def register(email: str, password: str, name: str = "") -> dict[str, Any]:
    attributes = [{"Name": "email", "Value": email}]
    if name:
        attributes.append({"Name": "name", "Value": name})
    try:
        response = _cognito().sign_up(ClientId=config.user_pool_client_id(), Username=email,
                                      Password=password, UserAttributes=attributes)
    except Exception as exc:  # noqa: BLE001 - mapped or re-raised
        if not config.is_local() and aws.is_error(exc, "UsernameExistsException"):
            return _already_registered(email)
        _raise_mapped(exc, UsernameExistsException=ConflictError(
            "An account with this email already exists; sign in or reset the password"))
    result: dict[str, Any] = {"user_id": response["UserSub"], "email": email}
    if config.is_local():
        # The local stage has no mail: confirm at once and sign the user in.
        pool = config.user_pool_id()
        _cognito().admin_confirm_sign_up(UserPoolId=pool, Username=email)
        _cognito().admin_update_user_attributes(
            UserPoolId=pool, Username=email,
            UserAttributes=[{"Name": "email_verified", "Value": "true"}])
        result["confirmation_required"] = False
        result.update(login(email, password))
    else:
        result["confirmation_required"] = not response.get("UserConfirmed", False)
    return result


def _already_registered(email: str) -> dict[str, Any]:
    """What register answers outside the local stage when the email has an account:
    the shape of a new sign-up, with a user id that names nobody, so the answer does
    not say the account exists. Nothing is changed or sent."""
    return {"user_id": str(uuid.uuid4()), "email": email, "confirmation_required": True}


def confirm(email: str, code: str) -> dict[str, Any]:
    try:
        _cognito().confirm_sign_up(ClientId=config.user_pool_client_id(), Username=email,
                                   ConfirmationCode=code)
    except Exception as exc:  # mapped or re-raised
        if not config.is_local() and aws.is_error(exc, *_EXISTENCE_ERRORS):
            raise BadRequestError(CONFIRM_FAILED) from exc
        _raise_mapped(exc, UserNotFoundException=BadRequestError(BAD_CODE),
                      NotAuthorizedException=ConflictError(
                          "This account is already confirmed; sign in"))
    return {"confirmed": True}


def login(email: str, password: str) -> dict[str, Any]:
    return _authenticate(
        "USER_PASSWORD_AUTH", {"USERNAME": email, "PASSWORD": password},
        NotAuthorizedException=UnauthorizedError(BAD_CREDENTIALS),
        UserNotFoundException=UnauthorizedError(BAD_CREDENTIALS),
        InvalidParameterException=UnauthorizedError(BAD_CREDENTIALS),
        UserNotConfirmedException=ForbiddenError(
            "Confirm your email first: enter the code we sent you"),
        PasswordResetRequiredException=ForbiddenError(
            "A password reset is required: use forgot-password"),
    )


def refresh(token: str) -> dict[str, Any]:
    expired = UnauthorizedError("The refresh token is invalid or expired; sign in again")
    tokens = _authenticate("REFRESH_TOKEN_AUTH", {"REFRESH_TOKEN": token},
                           NotAuthorizedException=expired, UserNotFoundException=expired,
                           InvalidParameterException=expired)
    tokens.pop("refresh_token", None)
    return tokens


def forgot_password(email: str) -> dict[str, Any]:
    try:
        _cognito().forgot_password(ClientId=config.user_pool_client_id(), Username=email)
    except Exception as exc:  # all but throttling look like success
        # LimitExceededException counts attempts per account, so outside the local
        # stage it would tell an existing account apart: it looks like success too.
        per_account = () if not config.is_local() else ("LimitExceededException",)
        if aws.is_error(exc, "TooManyRequestsException", *per_account):
            _raise_mapped(exc)
        if not aws.error_code(exc):
            raise
    return {"message": RESET_ACCEPTED}


def reset_password(email: str, code: str, password: str) -> dict[str, Any]:
    try:
        _cognito().confirm_forgot_password(
            ClientId=config.user_pool_client_id(), Username=email,
            ConfirmationCode=code, Password=password)
    except Exception as exc:  # noqa: BLE001 - mapped or re-raised
        _raise_mapped(exc, UserNotFoundException=BadRequestError(BAD_CODE),
                      ResourceNotFoundException=BadRequestError(BAD_CODE),
                      NotAuthorizedException=BadRequestError(BAD_CODE))
    return {"password_reset": True}
