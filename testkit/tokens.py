"""Tokens we sign ourselves, to test each verification rule on its own.

The emulator signs Cognito tokens with a key that ships inside moto (public by
design); signing with it lets a test change exactly one claim of a token that is
otherwise valid, so only the rule under test can fail it.
"""
from __future__ import annotations

import time
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from moto.utilities.utils import load_resource

EMULATOR_KEY = jwt.PyJWK.from_dict(
    load_resource("cognitoidp/resources/jwks-private.json"), algorithm="RS256").key
EMULATOR_KID = "dummy"
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def claims(pool_id: str, client_id: str, sub: str, **overrides: Any) -> dict:
    now = int(time.time())
    base = {
        "iss": f"https://cognito-idp.us-east-1.amazonaws.com/{pool_id}",
        "sub": sub, "aud": client_id, "token_use": "id", "iat": now, "auth_time": now,
        "exp": now + 3600, "email": f"{sub}@example.com",
    }
    base.update(overrides)
    return {key: value for key, value in base.items() if value is not None}


def sign(payload: dict, key: Any = EMULATOR_KEY, kid: str = EMULATOR_KID,
         algorithm: str = "RS256") -> str:
    return jwt.encode(payload, key, algorithm=algorithm, headers={"kid": kid})


def unsigned(payload: dict) -> str:
    """An `alg: none` token."""
    return jwt.encode(payload, None, algorithm="none",  # type: ignore[arg-type]
                      headers={"kid": EMULATOR_KID})
