"""Profile, health, CORS, body limits, malformed input and the cold-start import."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from app import app
from tests.conftest import ORIGIN, call


def test_health(client):
    response = call(client, "GET", "/health")
    assert response.status_code == 200
    assert response.json_body["status"] == "ok" and response.json_body["stage"] == "local"
    assert "version" in response.json_body


def test_profile_defaults_and_validated_updates(client, user):
    profile = call(client, "GET", "/user", token=user["id_token"]).json_body
    assert profile["user_id"] == user["user_id"] and profile["email"] == user["email"]
    assert profile["name"] == "Ada Student" and profile["credits"] == 3
    assert profile["preferences"] == {"language": "en", "note_style": "detailed",
                                      "include_questions": True, "default_subject": None,
                                      "desired_retention": 0.9, "new_cards_per_day": 20,
                                      "reviews_per_day": 200, "timezone": "UTC"}
    updated = call(client, "PUT", "/user", token=user["id_token"], body={
        "name": "Ada L.", "preferences": {"note_style": "concise", "language": "pt-BR",
                                          "default_subject": "Physics"}}).json_body
    assert updated["name"] == "Ada L."
    assert updated["preferences"] == {"language": "pt-BR", "note_style": "concise",
                                      "include_questions": True, "default_subject": "Physics",
                                      "desired_retention": 0.9, "new_cards_per_day": 20,
                                      "reviews_per_day": 200, "timezone": "UTC"}
    cleared = call(client, "PUT", "/user", token=user["id_token"],
                   body={"preferences": {"default_subject": None,
                                         "include_questions": False}}).json_body
    assert cleared["preferences"]["default_subject"] is None
    assert cleared["preferences"]["include_questions"] is False
    assert cleared["preferences"]["note_style"] == "concise"
    assert cleared["credits"] == 3
    # An empty preferences object changes nothing (schemathesis found it was a 500).
    unchanged = call(client, "PUT", "/user", token=user["id_token"], body={"preferences": {}})
    assert unchanged.status_code == 200
    assert unchanged.json_body["preferences"] == cleared["preferences"]


@pytest.mark.parametrize("body,fragment", [
    ({"preferences": {"theme": "dark"}}, "unknown field(s): theme"),
    ({"preferences": {"note_style": "verbose"}}, "one of: concise, detailed"),
    ({"preferences": {"include_questions": "yes"}}, "true or false"),
    ({"preferences": {"language": "x" * 40}}, "at most 16"),
    ({"preferences": {"default_subject": "s" * 101}}, "at most 100"),
    ({"preferences": "concise"}, "must be a JSON object"),
    ({"name": "n" * 101}, "at most 100"),
    ({"name": ["Ada"]}, "must be a string"),
    ({"credits": 1000}, "unknown field(s): credits"),
    ({}, "Nothing to update"),
])
def test_profile_refuses_bad_updates(client, user, body, fragment):
    response = call(client, "PUT", "/user", token=user["id_token"], body=body)
    assert response.status_code == 400
    assert fragment in response.json_body["Message"]
    assert call(client, "GET", "/user", token=user["id_token"]).json_body["credits"] == 3


def test_cors_answers_only_configured_origins(client):
    allowed = client.http.get("/health", headers={"Origin": ORIGIN})
    assert allowed.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "Origin" in allowed.headers["Vary"]
    other = client.http.get("/health", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
    second = client.http.get("/health", headers={"Origin": "https://app.example.org"})
    assert second.headers["Access-Control-Allow-Origin"] == "https://app.example.org"

    preflight = client.http.request(method="OPTIONS", path="/videos/abc", headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "DELETE"})
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert set(preflight.headers["Access-Control-Allow-Methods"].split(",")) == \
        {"GET", "DELETE", "OPTIONS"}
    assert "Authorization" in preflight.headers["Access-Control-Allow-Headers"]
    refused = client.http.request(method="OPTIONS", path="/videos", headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
    assert "Access-Control-Allow-Origin" not in refused.headers


def test_every_path_has_a_preflight():
    for path, methods in app.routes.items():
        assert "OPTIONS" in methods, path


def test_oversized_bodies_are_413(client, user):
    huge = json.dumps({"url": "x" * (70 * 1024)})
    # POST /videos alone accepts uploaded captions of up to 2 MiB (DESIGN section 4).
    response = call(client, "POST", "/videos", token=user["id_token"],
                    body=json.dumps({"url": "x" * (3 * 1024 * 1024 + 1)}))
    assert response.status_code == 413
    assert response.json_body["Code"] == "PayloadTooLargeError"
    assert call(client, "POST", "/auth/login", body=huge).status_code == 413


MALFORMED = [b"{not json", b"[]", b'"text"', b"42", b"null", b"\xff\xfe", b'{"a":' * 50,
             json.dumps({"email": ["x"], "password": {"a": 1}, "url": 3, "name": None,
                         "code": 1, "refresh_token": 5, "preferences": []}).encode(),
             json.dumps({"email": "e" * 10000 + "@x.org", "password": "P" * 10000,
                         "url": "u" * 10000, "refresh_token": "r" * 10000}).encode()]


def _concrete(path: str) -> str:
    return path.replace("{video_id}", "0" * 32).replace("{note_id}", "0" * 32)


@pytest.mark.parametrize("raw", MALFORMED)
def test_malformed_input_never_gets_a_5xx(client, user, raw):
    for path, methods in app.routes.items():
        for method in methods:
            if method not in ("POST", "PUT"):
                continue
            response = client.http.request(
                method=method, path=_concrete(path), body=raw,
                headers={"Content-Type": "application/json",
                         "Authorization": f"Bearer {user['id_token']}"})
            assert 400 <= response.status_code < 500, (method, path, response.body)
            body = json.loads(response.body)
            assert set(body) == {"Code", "Message"}
            assert "Traceback" not in body["Message"]


def test_bad_query_values_never_get_a_5xx(client, user):
    for path in ("/videos", "/notes", "/credits/history", "/notes/x", "/videos/x"):
        for query in ("limit=-1", "limit=99999999999", "last_key=%00", "status=%ff",
                      "category=" + "c" * 500, "include_content=2", "unknown=1"):
            response = call(client, "GET", f"{path}?{query}", token=user["id_token"])
            assert response.status_code < 500, (path, query)


def test_importing_app_loads_no_sdk():
    """Every cold start pays for what app.py imports (docs/ARCHITECTURE.md)."""
    code = ("import sys, app; heavy = ['boto3', 'botocore', 'anthropic', 'stripe', 'yt_dlp', "
            "'youtube_transcript_api', 'numpy', 'torch', 'jwt', 'cryptography', 'pydantic']; "
            "from chalicelib.knowledge import embeddings, filing; "
            "loaded = len(embeddings._models) > 0 or filing._taxonomy is not None; "
            "print([m for m in heavy if m in sys.modules] + ['the model'] * loaded)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "[]"


PROD_SECRETS = {"PAGINATION_SECRET": "s3cret", "STRIPE_SECRET_KEY": "sk_live_x",
                "STRIPE_WEBHOOK_SECRET": "whsec_x", "ANTHROPIC_API_KEY": "sk-ant-x"}


@pytest.mark.parametrize("setting", ["AWS_ENDPOINT_URL", "COGNITO_JWKS_URL"])
def test_prod_refuses_to_serve_with_local_settings(client, monkeypatch, caplog, setting):
    monkeypatch.setenv("STAGE", "prod")
    for name, value in PROD_SECRETS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    monkeypatch.setenv(setting, "http://127.0.0.1:4566")
    response = client.http.get("/health")
    assert response.status_code == 500
    assert response.json_body["Code"] == "InternalServerError"
    assert f"prod refuses local-only settings: {setting}" in caplog.text


@pytest.mark.parametrize("missing", sorted(PROD_SECRETS))
def test_prod_refuses_to_serve_without_its_secrets(client, monkeypatch, caplog, missing):
    monkeypatch.setenv("STAGE", "prod")
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    for name, value in PROD_SECRETS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv(missing)
    assert client.http.get("/health").status_code == 500
    assert f"{missing} is not set" in caplog.text
    monkeypatch.setenv(missing, "present")
    assert client.http.get("/health").json_body["stage"] == "prod"


def test_prod_with_bedrock_needs_a_model_instead_of_an_api_key(client, monkeypatch, caplog):
    monkeypatch.setenv("STAGE", "prod")
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    for name, value in PROD_SECRETS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    monkeypatch.setenv("NOTES_PROVIDER", "bedrock")
    monkeypatch.delenv("NOTES_MODEL", raising=False)
    assert client.http.get("/health").status_code == 500
    assert "NOTES_MODEL is not set" in caplog.text
    monkeypatch.setenv("NOTES_MODEL", "us.anthropic.claude-sonnet-5-5-v1:0")
    assert client.http.get("/health").status_code == 200


def test_logs_are_json_lines_with_the_request_id():
    import io
    import logging

    from chalicelib.core import observability

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(observability.JsonFormatter())
    logger = logging.getLogger("chalicelib.test-json")
    logger.addHandler(handler)
    try:
        with observability.context(request_id="req-123"):
            logger.warning("hello %s", "world")
        with observability.context(job_id="video-9"):
            logger.warning("processing")
    finally:
        logger.removeHandler(handler)
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["message"] == "hello world" and first["request_id"] == "req-123"
    assert first["level"] == "WARNING" and first["stage"] == "local" and "job_id" not in first
    assert second["job_id"] == "video-9" and "request_id" not in second


def test_metrics_are_embedded_metric_format(capsys):
    from chalicelib.core import observability

    observability.metric("VideosFailed", 1, ErrorCode="timed_out")
    record = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    definition = record["_aws"]["CloudWatchMetrics"][0]
    assert definition["Namespace"] == "StudyBuddy"
    assert definition["Metrics"] == [{"Name": "VideosFailed", "Unit": "Count"}]
    assert definition["Dimensions"] == [["Stage"], ["Stage", "ErrorCode"]]
    assert record["VideosFailed"] == 1 and record["ErrorCode"] == "timed_out"
