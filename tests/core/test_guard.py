"""The prod guard at every entry point (docs/DESIGN.md sections 3 and 9).

The functions run through chalice's test client exactly as Lambda calls them:
the SQS processor, the dead-letter handler and the scheduled cleanup, not only
the HTTP middleware.
"""
from __future__ import annotations

import json
import uuid

import pytest

from chalicelib.core import aws, config, db
from chalicelib.core.config import ConfigError
from tests.conftest import call, register

PROD_SECRETS = ("PAGINATION_SECRET", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET",
                "ANTHROPIC_API_KEY")


@pytest.fixture
def prod(monkeypatch, stack):
    """Prod with every secret present: only the setting under test is unsafe."""
    monkeypatch.setenv("STAGE", "prod")
    for name in PROD_SECRETS:
        monkeypatch.setenv(name, "set")
    return monkeypatch


def _job(user_id: str) -> str:
    return json.dumps({"video_id": f"vid-{uuid.uuid4().hex}", "user_id": user_id,
                       "youtube_video_id": "dQw4w9WgXcQ", "attempt": 1})


@pytest.mark.parametrize("function", ["process_video", "dead_letter", "cleanup"])
def test_every_function_refuses_prod_with_a_local_endpoint(client, prod, function):
    # The conftest's AWS_ENDPOINT_URL points at the emulator: prod must not use it.
    if function == "cleanup":
        payload = client.events.generate_cw_event(
            source="aws.events", detail_type="Scheduled Event", detail={}, resources=[])
    else:
        payload = client.events.generate_sqs_event(message_bodies=[_job("someone")],
                                                   queue_name="study-buddy-dev-videos")
    with pytest.raises(ConfigError, match="prod refuses local-only settings: "
                                          "AWS_ENDPOINT_URL"):
        client.lambda_.invoke(function, payload)


@pytest.mark.parametrize("setting,value", [
    ("ANTHROPIC_BASE_URL", "https://collector.example/"),
    ("STRIPE_API_BASE", "https://collector.example/"),
    ("COGNITO_JWKS_URL", "https://collector.example/jwks.json"),
])
@pytest.mark.parametrize("function", ["process_video", "dead_letter", "cleanup"])
def test_prod_refuses_base_url_overrides_everywhere(client, prod, function, setting, value):
    # Only the override is unsafe here: the emulator endpoint is moved out of the way.
    prod.delenv("AWS_ENDPOINT_URL")
    prod.setenv(setting, value)
    payload = client.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]) \
        if function == "cleanup" else client.events.generate_sqs_event(
            message_bodies=[_job("someone")], queue_name="study-buddy-dev-videos")
    with pytest.raises(ConfigError, match=setting):
        client.lambda_.invoke(function, payload)


def test_the_http_api_refuses_a_base_url_override_in_prod(client, prod, caplog):
    prod.delenv("AWS_ENDPOINT_URL")
    prod.setenv("ANTHROPIC_BASE_URL", "https://collector.example/")
    assert client.http.get("/health").status_code == 500
    assert "prod refuses local-only settings: ANTHROPIC_BASE_URL" in caplog.text


def test_a_refused_dead_letter_leaves_the_video_untouched(client, prod, monkeypatch):
    """Nothing runs before the guard: the video is neither failed nor refunded."""
    monkeypatch.setenv("STAGE", "local")
    user = register(client)
    assert call(client, "GET", "/credits", token=user["id_token"]).status_code == 200
    video_id = f"vid-{uuid.uuid4().hex}"
    aws.client("dynamodb").put_item(TableName=config.videos_table(), Item=db.to_item({
        "video_id": video_id, "user_id": user["user_id"], "status": "processing",
        "created_at": db.now_iso(), "credits_charged": 1}))
    monkeypatch.setenv("STAGE", "prod")
    body = json.dumps({"video_id": video_id, "user_id": user["user_id"],
                       "youtube_video_id": "dQw4w9WgXcQ", "attempt": 1})
    with pytest.raises(ConfigError):
        client.lambda_.invoke("dead_letter", client.events.generate_sqs_event(
            message_bodies=[body], queue_name="study-buddy-dev-videos-dlq"))
    monkeypatch.setenv("STAGE", "local")
    assert db.get(config.videos_table(), {"video_id": video_id})["status"] == "processing"


def test_off_prod_the_overrides_are_honoured(client, monkeypatch, stack):
    monkeypatch.setenv("STAGE", "dev")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("STRIPE_API_BASE", "http://127.0.0.1:9")
    payload = client.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={}, resources=[])
    client.lambda_.invoke("cleanup", payload)  # no ConfigError
