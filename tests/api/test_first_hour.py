"""What a newcomer's first hour hit (issue 14), on the real app and emulator: unknown
routes, access tokens, JSON newlines, a failed video's charge, two-way related notes,
transient errors in the worker's log, LOG_LEVEL (docs/DESIGN.md sections 4, 7, 10)."""
from __future__ import annotations

import logging
import uuid

import pytest

from chalicelib.core import aws, observability
from chalicelib.notes import markdown, note_store
from chalicelib.videos import lifecycle, video_store
from chalicelib.youtube import transcripts
from infra.local import worker
from testkit import tokens as tokens_util
from tests.conftest import PASSWORD, balance, call


@pytest.mark.parametrize("method, path", [
    ("GET", "/no-such-route"), ("POST", "/videos/abc/nothing"), ("DELETE", "/health"),
    ("PUT", "/credits"), ("PATCH", "/user"),
])
def test_an_unknown_route_or_method_is_404_and_echoes_nothing(client, user, method, path):
    token = user["id_token"]
    for headers in ({}, {"Authorization": f"Bearer {token}"}):
        response = getattr(client.http, method.lower())(path, headers=headers)
        assert response.status_code == 404, (method, path, response.body)
        assert response.json_body["Code"] == "NotFound"
        assert token.encode() not in response.body and path.encode() not in response.body
        assert response.body.endswith(b"\n")


def test_json_replies_end_with_a_newline(client, user):
    for response in (client.http.get("/health"),
                     call(client, "GET", "/credits", token=user["id_token"]),
                     call(client, "GET", "/user", token="not-a-token")):
        assert response.body.endswith(b"}\n"), response.body
        assert response.json_body  # still one JSON document
    assert call(client, "GET", "/user", token="x").status_code == 401


def test_a_real_access_token_gets_the_id_token_hint(client, user, stack):
    signed_in = call(client, "POST", "/auth/login",
                     body={"email": user["email"], "password": PASSWORD}).json_body
    response = call(client, "GET", "/user", token=signed_in["access_token"])
    assert response.status_code == 401
    assert "Send the ID token" in response.json_body["Message"]
    # A forged one (another key) gets no hint: only our pool's tokens are described.
    forged = tokens_util.sign({**tokens_util.claims(stack["UserPoolId"],
                                                    stack["UserPoolClientId"],
                                                    user["user_id"]),
                               "token_use": "access", "aud": None,
                               "client_id": stack["UserPoolClientId"]},
                              key=tokens_util.OTHER_KEY)
    refused = call(client, "GET", "/user", token=forged)
    assert refused.status_code == 401 and "Send the ID token" not in refused.json_body["Message"]


def test_a_failed_video_shows_nothing_charged_after_its_refund(client, user):
    submitted = call(client, "POST", "/videos", token=user["id_token"],
                     body={"url": "https://youtu.be/dQw4w9WgXcQ"}).json_body
    assert submitted["credits_charged"] == 1 and balance(client, user) == 2
    record = video_store.load(submitted["video_id"], user["user_id"])
    assert lifecycle.fail(record, "no_captions", "This video has no captions")
    video = call(client, "GET", f"/videos/{submitted['video_id']}",
                 token=user["id_token"]).json_body
    assert video["status"] == "failed" and video["credits_charged"] == 0
    assert balance(client, user) == 3
    assert not lifecycle.fail(video_store.load(submitted["video_id"], user["user_id"]),
                              "again", "twice")  # once
    assert balance(client, user) == 3


def _note(user: dict, title: str) -> dict:
    content = f"# {title}\n\n## Summary\nS.\n"
    return note_store.save_note(user_id=user["user_id"], video_id=uuid.uuid4().hex,
                                title=title, category="Physics", content=content)


def test_an_older_related_note_gains_the_link_back_once(client, user, other_user):
    older, newer = _note(user, "Entropy"), _note(user, "Entropy: part 2")
    link = {"note_id": newer["note_id"], "title": newer["title"]}
    assert note_store.link_back(user["user_id"], older["note_id"], link,
                                markdown.add_related)
    assert not note_store.link_back(user["user_id"], older["note_id"], link,
                                    markdown.add_related)  # once
    read = call(client, "GET", f"/notes/{older['note_id']}?include_content=true",
                token=user["id_token"]).json_body
    assert read["related"] == [link]
    assert read["content"].endswith("## Related Notes\n- [[Entropy part 2|Entropy: part 2]]\n")
    assert read["content_length"] == len(read["content"].encode())
    # Another user's note is never touched.
    theirs = _note(other_user, "Entropy")
    assert not note_store.link_back(user["user_id"], theirs["note_id"], link,
                                    markdown.add_related)


def test_back_links_are_bounded(user):
    older = _note(user, "Thermodynamics")
    for number in range(note_store.MAX_BACKLINKS + 3):
        note_store.link_back(user["user_id"], older["note_id"],
                             {"note_id": f"n{number}", "title": f"Note {number}"},
                             markdown.add_related)
    record = note_store.owned_record(user["user_id"], older["note_id"])
    assert len(record["related"]) == note_store.MAX_BACKLINKS
    assert record["related"][-1]["note_id"] == f"n{note_store.MAX_BACKLINKS + 2}"


def test_add_related_keeps_the_section_order():
    text = "# T\n\n## Summary\nS.\n\n## Related Notes\n- [[A]]\n"
    assert markdown.add_related(text, "B") == "# T\n\n## Summary\nS.\n\n## Related Notes\n" \
        "- [[A]]\n- [[B]]\n"
    assert markdown.add_related(markdown.add_related(text, "B"), "B").count("[[B]]") == 1


def test_an_expected_transient_error_is_one_line_with_its_cause(stack, caplog):
    sqs = aws.client("sqs")
    queue = sqs.create_queue(QueueName=f"first-hour-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    sqs.send_message(QueueUrl=queue, MessageBody="{}")

    def busy(event, context):
        try:
            raise ConnectionResetError("connection reset by peer")
        except ConnectionResetError as cause:
            raise transcripts.TranscriptTemporarilyUnavailable(
                "YouTube could not be reached from the server") from cause

    with caplog.at_level(logging.INFO):
        assert worker.poll_once(sqs, queue, busy, name="worker-1") == 0
    # At INFO the worker adds nothing to the job's own one line: no traceback.
    assert [r for r in caplog.records if r.name == "infra.local.worker"] == []
    caplog.clear()
    sqs.send_message(QueueUrl=queue, MessageBody="{}")
    with caplog.at_level(logging.DEBUG, logger="infra.local.worker"):
        while worker.poll_once(sqs, queue, busy, name="worker-1") == 0 and not [
                r for r in caplog.records if r.name == "infra.local.worker"]:
            pass
    [record] = [r for r in caplog.records if r.name == "infra.local.worker"]
    assert record.levelno == logging.DEBUG and record.exc_info is not None
    message = record.getMessage()
    assert "YouTube could not be reached" in message
    assert "cause: ConnectionResetError: connection reset by peer" in message
    assert "\n" not in message and len(message) < 800


@pytest.mark.parametrize("value, level", [("DEBUG", logging.DEBUG), ("warning", logging.WARNING),
                                          (None, logging.INFO), ("nonsense", logging.INFO)])
def test_log_level_is_honoured(monkeypatch, value, level):
    if value is None:
        monkeypatch.delenv("LOG_LEVEL", raising=False)
    else:
        monkeypatch.setenv("LOG_LEVEL", value)
    assert observability.level() == level
