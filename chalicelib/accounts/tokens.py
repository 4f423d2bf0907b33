"""Verification of Cognito ID tokens, done by the app itself in every stage.

`chalice local` and the test client never check tokens, and API Gateway's
authorizer is only one layer: every protected route verifies here, in one place.
The pool's JWKS is fetched once per container and refetched when a token names
a key id we do not know (Cognito rotated its keys), at most once per
REFRESH_INTERVAL so forged tokens cannot make us hammer the endpoint.
"""
from __future__ import annotations

import json
import threading
import time
import urllib.request
from dataclasses import dataclass
from typing import Any

from chalicelib.core import config
from chalicelib.core.errors import ServiceUnavailableError, UnauthorizedError

REFRESH_INTERVAL = 60.0
FETCH_TIMEOUT = 5.0
MAX_TOKEN_LENGTH = 8192
INVALID = "The sign-in token is missing or invalid; sign in again"


@dataclass(frozen=True)
class Identity:
    user_id: str
    email: str
    name: str
    expires_at: int
    # Cognito's `email_verified` (true once the user confirmed the emailed code, or
    # when a federated provider vouched for the address): the sign-up bonus needs it.
    email_verified: bool = False


class _KeyCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._url: str | None = None
        self._keys: dict[str, Any] = {}
        self._fetched_at = 0.0

    def key(self, kid: str) -> Any | None:
        url = config.jwks_url()
        with self._lock:
            if url != self._url:
                self._url, self._keys, self._fetched_at = url, {}, 0.0
            stale = time.monotonic() - self._fetched_at >= REFRESH_INTERVAL
            if not self._fetched_at or (kid not in self._keys and stale):
                self._keys = self._fetch(url)
                self._fetched_at = time.monotonic()
            return self._keys.get(kid)

    @staticmethod
    def _fetch(url: str) -> dict[str, Any]:
        import jwt

        try:
            with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT) as response:  # noqa: S310
                document = json.load(response)
        except (OSError, ValueError) as exc:
            raise ServiceUnavailableError(
                "Sign-in keys are unavailable right now; try again shortly") from exc
        keys = {}
        for entry in document.get("keys", []):
            if entry.get("kty") == "RSA" and entry.get("kid"):
                keys[entry["kid"]] = jwt.PyJWK.from_dict(entry, algorithm="RS256").key
        return keys


_keys = _KeyCache()


def bearer_token(header: str | None) -> str:
    """The token from an Authorization header: `Bearer <token>` or the bare token."""
    if not header or not isinstance(header, str):
        raise UnauthorizedError(INVALID)
    parts = header.strip().split()
    if len(parts) == 2 and parts[0].lower() == "bearer":
        token = parts[1]
    elif len(parts) == 1:
        token = parts[0]
    else:
        raise UnauthorizedError(INVALID)
    if len(token) > MAX_TOKEN_LENGTH:
        raise UnauthorizedError(INVALID)
    return token


def verify(token: str) -> Identity:
    """Check signature (RS256 only), exp, iss, aud (our client) and token_use=id."""
    import jwt

    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise UnauthorizedError(INVALID) from exc
    kid = header.get("kid")
    if header.get("alg") != "RS256" or not isinstance(kid, str):
        raise UnauthorizedError(INVALID)
    key = _keys.key(kid)
    if key is None:
        raise UnauthorizedError(INVALID)
    try:
        claims = jwt.decode(
            token, key, algorithms=["RS256"],
            audience=config.user_pool_client_id(), issuer=config.token_issuer(),
            options={"require": ["exp", "iat", "iss", "aud", "sub", "token_use"]},
            leeway=5,
        )
    except jwt.ExpiredSignatureError as exc:
        raise UnauthorizedError("The sign-in token has expired; refresh it or sign in again") \
            from exc
    except jwt.PyJWTError as exc:
        if _is_our_access_token(jwt, token, key):
            raise UnauthorizedError(ACCESS_TOKEN_HINT) from exc
        raise UnauthorizedError(INVALID) from exc
    if claims.get("token_use") != "id":
        raise UnauthorizedError(ACCESS_TOKEN_HINT)
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        raise UnauthorizedError(INVALID)
    email = claims.get("email")
    return Identity(
        user_id=sub,
        email=email if isinstance(email, str) else "",
        name=name if isinstance(name := claims.get("name"), str) else "",
        expires_at=int(claims["exp"]),
        # A boolean in Cognito's ID tokens; the string "true" from some providers'
        # attribute mappings (and from the emulator).
        email_verified=claims.get("email_verified") in (True, "true"),
    )


ACCESS_TOKEN_HINT = "Send the ID token (not the access token) as the Bearer token"


def _is_our_access_token(jwt: Any, token: str, key: Any) -> bool:
    """A real Cognito access token of our app client: it has no `aud` (it carries
    `client_id`), so the ID-token check above refused it; signed by our pool, it
    deserves the hint rather than the generic 401."""
    try:
        claims = jwt.decode(token, key, algorithms=["RS256"], issuer=config.token_issuer(),
                            options={"verify_aud": False,
                                     "require": ["exp", "iss", "sub", "token_use"]},
                            leeway=5)
    except jwt.PyJWTError:
        return False
    return bool(claims.get("token_use") == "access"
                and claims.get("client_id") == config.user_pool_client_id())
