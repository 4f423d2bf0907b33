"""chalicelib.secrets: Secrets Manager and SSM in AWS, the environment locally.

The stores are the emulator's (moto's Secrets Manager and SSM, over HTTP).
"""
from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from chalicelib.core import aws, config, secrets
from chalicelib.core.errors import ServiceUnavailableError
from chalicelib.notes import claude, generators
from chalicelib.payments import stripe_client
from tests.conftest import REGION

NAMES = config.SECRET_NAMES


@pytest.fixture
def store(stack: dict, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """Secrets Manager and SSM clients of the emulator; no secret setting set."""
    for name in NAMES:
        for suffix in ("", secrets.SECRET_ARN_SUFFIX, secrets.PARAMETER_SUFFIX):
            monkeypatch.delenv(name + suffix, raising=False)
    monkeypatch.delenv("SECRETS_CACHE_SECONDS", raising=False)
    secrets.clear_cache()
    session = boto3.session.Session()
    yield {
        "sm": session.client("secretsmanager", region_name=REGION,
                             endpoint_url=stack["endpoint"]),
        "ssm": session.client("ssm", region_name=REGION, endpoint_url=stack["endpoint"]),
        "endpoint": stack["endpoint"],
    }
    secrets.clear_cache()


def new_secret(store: dict, value: str | None = None) -> str:
    request: dict[str, Any] = {"Name": f"study-buddy/test/{uuid.uuid4().hex}"}
    if value is not None:
        request["SecretString"] = value
    return store["sm"].create_secret(**request)["ARN"]


def test_locally_the_environment_holds_the_value(store, monkeypatch):
    assert secrets.get("STRIPE_SECRET_KEY") is None
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_local")
    assert secrets.get("STRIPE_SECRET_KEY") == "sk_test_local"
    assert config.env("STRIPE_SECRET_KEY") == "sk_test_local"
    monkeypatch.setenv("STRIPE_SECRET_KEY", "")
    assert secrets.get("STRIPE_SECRET_KEY") is None
    assert secrets.source("STRIPE_SECRET_KEY") is None


def test_secrets_manager_value_is_read_once_per_container(store, monkeypatch):
    arn = new_secret(store, "sk-ant-first")
    monkeypatch.setenv("ANTHROPIC_API_KEY_SECRET_ARN", arn)
    # The ARN wins over a stray plain value: the store is the source of truth.
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-stale-plain")
    assert secrets.get("ANTHROPIC_API_KEY") == "sk-ant-first"
    assert config.env("ANTHROPIC_API_KEY") == "sk-ant-first"
    store["sm"].put_secret_value(SecretId=arn, SecretString="sk-ant-rotated")
    assert secrets.get("ANTHROPIC_API_KEY") == "sk-ant-first"  # cached
    secrets.clear_cache()
    assert secrets.get("ANTHROPIC_API_KEY") == "sk-ant-rotated"


def test_cache_expiry_picks_up_a_rotated_value(store, monkeypatch):
    arn = new_secret(store, "whsec_one")
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET_SECRET_ARN", arn)
    monkeypatch.setenv("SECRETS_CACHE_SECONDS", "0")
    assert secrets.get("STRIPE_WEBHOOK_SECRET") == "whsec_one"
    store["sm"].put_secret_value(SecretId=arn, SecretString="whsec_two")
    assert secrets.get("STRIPE_WEBHOOK_SECRET") == "whsec_two"


def test_an_empty_secret_is_none_and_prod_refuses_it(store, monkeypatch):
    arn = new_secret(store)  # what CloudFormation creates before `make deploy` fills it
    monkeypatch.setenv("STRIPE_SECRET_KEY_SECRET_ARN", arn)
    # "No value" is remembered for a minute only (here: not at all).
    monkeypatch.setattr(secrets, "MISSING_CACHE_SECONDS", 0.0)
    assert secrets.get("STRIPE_SECRET_KEY") is None
    with pytest.raises(config.ConfigError, match="STRIPE_SECRET_KEY is not set: "
                                                 "Secrets Manager secret .* has no value"):
        config.required("STRIPE_SECRET_KEY")
    # A missing secret is asked for again soon, so filling it in needs no redeploy;
    # a value is then kept for SECRETS_CACHE_SECONDS.
    store["sm"].put_secret_value(SecretId=arn, SecretString="sk_live_filled")
    assert secrets.get("STRIPE_SECRET_KEY") == "sk_live_filled"
    store["sm"].put_secret_value(SecretId=arn, SecretString="sk_live_rotated")
    assert secrets.get("STRIPE_SECRET_KEY") == "sk_live_filled"


def test_ssm_secure_string(store, monkeypatch):
    name = f"/study-buddy/test/{uuid.uuid4().hex}"
    store["ssm"].put_parameter(Name=name, Value="pagination-key-from-ssm", Type="SecureString")
    monkeypatch.setenv("PAGINATION_SECRET_PARAMETER", name)
    assert secrets.get("PAGINATION_SECRET") == "pagination-key-from-ssm"
    assert config.pagination_secret() == b"pagination-key-from-ssm"
    assert secrets.describe("PAGINATION_SECRET") == f"SSM parameter {name}"
    monkeypatch.setenv("STRIPE_SECRET_KEY_PARAMETER", f"/study-buddy/test/{uuid.uuid4().hex}")
    assert secrets.get("STRIPE_SECRET_KEY") is None  # ParameterNotFound: not set


def test_one_json_secret_holds_the_proxy_settings(store, monkeypatch):
    arn = new_secret(store, json.dumps({"WEBSHARE_PROXY_USERNAME": "user",
                                        "WEBSHARE_PROXY_PASSWORD": " pass "}))
    for name in ("YOUTUBE_PROXY_URL", "WEBSHARE_PROXY_USERNAME", "WEBSHARE_PROXY_PASSWORD"):
        monkeypatch.setenv(name + "_SECRET_ARN", arn)
    assert secrets.get("WEBSHARE_PROXY_USERNAME") == "user"
    assert secrets.get("WEBSHARE_PROXY_PASSWORD") == "pass"
    assert secrets.get("YOUTUBE_PROXY_URL") is None
    # Through config.env, as the transcript fetcher reads them.
    from chalicelib.youtube import transcript_api

    proxy = transcript_api.proxy_config()
    assert type(proxy).__name__ == "WebshareProxyConfig"


def test_plain_text_is_used_whole_and_trimmed(store, monkeypatch):
    arn = new_secret(store, "sk_live_abc\n")
    monkeypatch.setenv("STRIPE_SECRET_KEY_SECRET_ARN", arn)
    assert secrets.get("STRIPE_SECRET_KEY") == "sk_live_abc"


class _Broken:
    """A store that refuses every read, as IAM would without GetSecretValue."""

    calls = 0

    def get_secret_value(self, **_: Any) -> dict:
        _Broken.calls += 1
        raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}},
                          "GetSecretValue")


def test_an_unreadable_store_fails_loudly_or_serves_the_cached_value(store, monkeypatch):
    arn = new_secret(store, "sk_live_cached")
    monkeypatch.setenv("STRIPE_SECRET_KEY_SECRET_ARN", arn)
    monkeypatch.setenv("SECRETS_CACHE_SECONDS", "0")
    assert secrets.get("STRIPE_SECRET_KEY") == "sk_live_cached"
    real_client = aws.client
    monkeypatch.setattr(aws, "client", lambda service: _Broken() if service ==
                        "secretsmanager" else real_client(service))
    # Expired but the store is down: the last good value, not an outage.
    assert secrets.get("STRIPE_SECRET_KEY") == "sk_live_cached"
    secrets.clear_cache()
    with pytest.raises(secrets.SecretError, match="AccessDeniedException") as raised:
        secrets.get("STRIPE_SECRET_KEY")
    assert "sk_live" not in str(raised.value)
    assert isinstance(raised.value, config.ConfigError)
    # Payments answer 503 (Stripe retries its webhooks), not 500.
    with pytest.raises(ServiceUnavailableError):
        stripe_client.client()


def test_notes_use_claude_when_the_key_is_in_secrets_manager(store, monkeypatch):
    """generators.provider() reads the key through config.env: with only the ARN
    in the environment (as deployed), the notes still come from Claude."""
    monkeypatch.delenv("NOTES_PROVIDER", raising=False)
    assert generators.provider() == "extractive"
    arn = new_secret(store, "sk-ant-from-secrets-manager")
    monkeypatch.setenv("ANTHROPIC_API_KEY_SECRET_ARN", arn)
    assert generators.provider() == "anthropic"
    client = claude.client(bedrock=False)
    assert client.api_key == "sk-ant-from-secrets-manager"


PROD_REFS = ("PAGINATION_SECRET", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET",
             "ANTHROPIC_API_KEY")


def test_prod_serves_with_its_secrets_in_secrets_manager(client, store, monkeypatch, caplog):
    """The deployed shape: no secret value in the environment, only ARNs. Prod
    refuses a local endpoint, so the secrets client is pointed at the emulator
    directly."""
    emulator_sm = store["sm"]
    real_client = aws.client
    monkeypatch.setattr(aws, "client", lambda service: emulator_sm if service ==
                        "secretsmanager" else real_client(service))
    monkeypatch.setenv("STAGE", "prod")
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    arns = {name: new_secret(store, f"value-of-{name.lower()}") for name in PROD_REFS}
    empty = new_secret(store)
    for name, arn in arns.items():
        monkeypatch.setenv(name + "_SECRET_ARN", arn if name != "STRIPE_WEBHOOK_SECRET"
                           else empty)
    assert client.http.get("/health").status_code == 500
    assert "STRIPE_WEBHOOK_SECRET is not set: Secrets Manager secret" in caplog.text
    emulator_sm.put_secret_value(SecretId=empty, SecretString="whsec_live")
    secrets.clear_cache()
    assert client.http.get("/health").json_body["stage"] == "prod"
    assert config.pagination_secret() == b"value-of-pagination_secret"


def test_prod_refuses_per_service_endpoints(client, stack, monkeypatch, caplog):
    monkeypatch.setenv("STAGE", "prod")
    for name in PROD_REFS:
        monkeypatch.setenv(name, "set")
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    monkeypatch.setenv("AWS_ENDPOINT_URL_SECRETSMANAGER", "http://127.0.0.1:4566")
    assert client.http.get("/health").status_code == 500
    assert "prod refuses local-only settings: AWS_ENDPOINT_URL_SECRETSMANAGER" in caplog.text
