"""Named settings, read lazily: plain variables (chalicelib.core.environment) and
secrets (chalicelib.core.secrets: Secrets Manager or SSM in AWS, the environment
locally).

Chalice sets the stage's environment only when the function runs, not when tests
import app.py, so nothing here is read at import time.
"""
from __future__ import annotations

from chalicelib.core import environment, secrets
from chalicelib.core.environment import (  # re-exported: one place for settings
    LOCAL_STAGES as LOCAL_STAGES,
)
from chalicelib.core.environment import (
    ConfigError as ConfigError,
)
from chalicelib.core.environment import (
    is_local as is_local,
)
from chalicelib.core.environment import (
    is_prod as is_prod,
)
from chalicelib.core.environment import (
    region as region,
)
from chalicelib.core.environment import (
    stage as stage,
)

DEFAULT_SIGNUP_CREDITS = 3


# Settings that are secrets: in AWS the environment holds where each one is stored
# (NAME_SECRET_ARN or NAME_PARAMETER), and env(NAME) reads it from there through
# chalicelib.core.secrets; locally the environment holds the value itself.
SECRET_NAMES = ("ANTHROPIC_API_KEY", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET",
                "PAGINATION_SECRET", "YOUTUBE_PROXY_URL", "WEBSHARE_PROXY_USERNAME",
                "WEBSHARE_PROXY_PASSWORD")


def env(name: str, default: str | None = None) -> str | None:
    value = secrets.get(name) if name in SECRET_NAMES else environment.variable(name)
    return value if value not in (None, "") else default


def required(name: str) -> str:
    value = env(name)
    if value is None:
        if name in SECRET_NAMES:
            if secrets.source(name) is not None:
                raise ConfigError(f"{name} is not set: {secrets.describe(name)} has no value")
        raise ConfigError(f"{name} is not set")
    return value


def version() -> str:
    return env("APP_VERSION", "dev") or "dev"


def users_table() -> str:
    return required("USERS_TABLE")


def videos_table() -> str:
    return required("VIDEOS_TABLE")


def notes_table() -> str:
    return required("NOTES_TABLE")


def transactions_table() -> str:
    return required("TRANSACTIONS_TABLE")


def notes_bucket() -> str:
    return required("NOTES_BUCKET")


def video_queue_url() -> str:
    return required("VIDEO_QUEUE_URL")


def user_pool_id() -> str:
    return required("USER_POOL_ID")


def user_pool_client_id() -> str:
    return required("USER_POOL_CLIENT_ID")


def signup_credits() -> int:
    raw = env("SIGNUP_CREDITS", str(DEFAULT_SIGNUP_CREDITS))
    try:
        value = int(raw or DEFAULT_SIGNUP_CREDITS)
    except ValueError as exc:
        raise ConfigError(f"SIGNUP_CREDITS must be a whole number, not {raw!r}") from exc
    if value < 0:
        raise ConfigError("SIGNUP_CREDITS must not be negative")
    return value


DEFAULT_ASK_DAILY_LIMIT = 50
DEFAULT_COURSES_DAILY_LIMIT = 20


def ask_daily_limit() -> int:
    """Questions (POST /ask) a student may ask per day (docs/DESIGN.md section 13)."""
    return _daily_limit("ASK_DAILY_LIMIT", DEFAULT_ASK_DAILY_LIMIT)


def courses_daily_limit() -> int:
    """Courses (POST /courses) a student may create per day (docs/DESIGN.md section
    14): each playlist is listed from the service's address."""
    return _daily_limit("COURSES_DAILY_LIMIT", DEFAULT_COURSES_DAILY_LIMIT)


def _daily_limit(name: str, default: int) -> int:
    raw = env(name, str(default))
    try:
        value = int(raw or default)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from exc
    if value < 0:
        raise ConfigError(f"{name} must not be negative")
    return value


def allowed_origins() -> tuple[str, ...]:
    raw = env("ALLOWED_ORIGINS", "http://localhost:3000") or ""
    return tuple(origin.strip().rstrip("/") for origin in raw.split(",") if origin.strip())


def token_issuer() -> str:
    return f"https://cognito-idp.{region()}.amazonaws.com/{user_pool_id()}"


def jwks_url() -> str:
    """Where the pool's signing keys are published.

    Locally the emulator serves them (COGNITO_JWKS_URL, or derived from
    AWS_ENDPOINT_URL); the emulator's key is public, so prod refuses either.
    """
    override = env("COGNITO_JWKS_URL")
    endpoint = env("AWS_ENDPOINT_URL")
    if is_prod() and (override or endpoint):
        raise ConfigError("prod must not use a JWKS override or a local AWS endpoint")
    if override:
        return override
    if endpoint:
        return f"{endpoint.rstrip('/')}/{user_pool_id()}/.well-known/jwks.json"
    return f"{token_issuer()}/.well-known/jwks.json"


def pagination_secret() -> bytes:
    """HMAC key for list cursors. A fixed development key is fine off prod only."""
    secret = secrets.get("PAGINATION_SECRET")
    if secret is None:
        if is_prod():
            raise ConfigError("PAGINATION_SECRET must be set in prod")
        secret = f"study-buddy-{stage()}-pagination"
    return secret.encode()
