"""GET /notes/export for a large library: 202 and an export id, the worker (the
processor, from the video queue) builds the file, GET /notes/export/{id} gives its
status and link. A small library is still answered at once."""
from __future__ import annotations

import io
import json
import time
import zipfile

import pytest
import requests

from chalicelib.core import aws, config
from chalicelib.notes import export_jobs
from infra.local.worker import poll_once
from tests.conftest import call
from tests.notes.test_export import assert_every_link_resolves, save
from tests.processing.test_pipeline import drain

LIMIT = 3  # EXPORT_SYNC_MAX_NOTES in these tests: 3 notes at once, 4 by the worker


@pytest.fixture
def limit(stack, monkeypatch) -> int:
    monkeypatch.setenv("EXPORT_SYNC_MAX_NOTES", str(LIMIT))
    drain(stack["VideoQueueUrl"])  # only this test's messages for the worker below
    return LIMIT


def library(user, count: int) -> list[str]:
    """count notes, linked in a chain (each mentions the one before)."""
    titles = [f"Lecture {i}: Entropy part {i}" for i in range(count)]
    for i, title in enumerate(titles):
        save(user, title, "Physics" if i % 2 else "Chemistry",
             related=titles[max(0, i - 1):i], mentions=titles[max(0, i - 1):i])
    return titles


def start(client, user, query: str = "") -> dict:
    response = call(client, "GET", f"/notes/export{query}", token=user["id_token"])
    assert response.status_code == 202, response.body
    return response.json_body


def get_status(client, user, export_id: str) -> dict:
    response = call(client, "GET", f"/notes/export/{export_id}", token=user["id_token"])
    assert response.status_code == 200, response.body
    return response.json_body


def export_messages(stack) -> list[dict]:
    """The export messages on the video queue, left there (visible again at once)."""
    sqs, found = aws.client("sqs"), []
    while True:
        batch = sqs.receive_message(QueueUrl=stack["VideoQueueUrl"], MaxNumberOfMessages=10,
                                    VisibilityTimeout=5).get("Messages", [])
        if not batch:
            break
        found += batch
    for message in found:
        sqs.change_message_visibility(QueueUrl=stack["VideoQueueUrl"],
                                      ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0)
    return [json.loads(m["Body"]) for m in found if export_jobs.is_job(m["Body"])]


def work(stack, client, user, export_id: str, rounds: int = 40) -> dict:
    """The worker as Lambda runs it (app.process_video on the video queue) until the
    export is no longer building."""
    from app import process_video

    for _ in range(rounds):
        poll_once(aws.client("sqs"), stack["VideoQueueUrl"], process_video)
        body = get_status(client, user, export_id)
        if body["status"] != "building":
            return body
        time.sleep(0.05)
    raise AssertionError(f"export {export_id} still building")


def export_objects(user) -> dict[str, dict]:
    listed = aws.client("s3").list_objects_v2(Bucket=config.notes_bucket(),
                                              Prefix=f"exports/{user['user_id']}/")
    return {item["Key"]: item for item in listed.get("Contents", [])}


def test_a_small_library_is_still_exported_at_once(stack, client, user, limit):
    library(user, limit)
    response = call(client, "GET", "/notes/export", token=user["id_token"])
    assert response.status_code == 200, response.body
    body = response.json_body
    assert body["note_count"] == limit and body["format"] == "obsidian"
    vault = zipfile.ZipFile(io.BytesIO(requests.get(body["url"], timeout=10).content))
    assert len([n for n in vault.namelist() if "/Lecture " in n]) == limit
    assert export_messages(stack) == []


def test_a_large_library_gets_an_export_id_and_the_worker_builds_every_note(
        stack, client, user, other_user, limit):
    titles = library(user, limit + 2)
    save(other_user, "Their own lecture", "Physics")
    body = start(client, user)
    assert set(body) >= {"export_id", "status", "note_count", "format"}
    assert (body["status"], body["note_count"], body["format"]) == \
        ("building", limit + 2, "obsidian")
    assert "url" not in body
    assert get_status(client, user, body["export_id"])["status"] == "building"
    assert [m["export_id"] for m in export_messages(stack)] == [body["export_id"]]

    ready = work(stack, client, user, body["export_id"])
    assert ready["status"] == "ready" and ready["note_count"] == limit + 2
    assert ready["expires_in"] == 900 and ready["filename"].startswith("study-buddy-vault-")
    data = requests.get(ready["url"], timeout=10)
    assert data.status_code == 200
    vault = zipfile.ZipFile(io.BytesIO(data.content))
    notes = sorted(name.rsplit("/", 1)[1][:-3] for name in vault.namelist()
                   if "/Lecture " in name)
    assert notes == sorted(title.replace(":", "") for title in titles)
    assert assert_every_link_resolves(vault) >= limit + 1
    assert "Their own lecture" not in " ".join(vault.namelist())
    # One file, under the user's exports, named by the export.
    files = [key for key in export_objects(user) if key.endswith(".zip")]
    assert files == [f"exports/{user['user_id']}/{body['export_id']}-{ready['filename']}"]
    assert export_messages(stack) == []


def test_a_large_anki_export_is_built_by_the_worker(stack, client, user, limit):
    library(user, limit + 1)
    body = start(client, user, "?format=anki")
    assert body["format"] == "anki"
    ready = work(stack, client, user, body["export_id"])
    assert ready["status"] == "ready" and ready["card_count"] == 2 * (limit + 1)
    deck = requests.get(ready["url"], timeout=10).content.decode().splitlines()
    assert deck[0] == "#separator:tab" and len(deck) == 4 + 2 * (limit + 1)


def test_asking_again_while_it_builds_gets_the_same_export(stack, client, user, limit):
    library(user, limit + 1)
    first = start(client, user)
    again = start(client, user)
    assert again["export_id"] == first["export_id"] and again["status"] == "building"
    anki = start(client, user, "?format=anki")  # another format is another export
    assert anki["export_id"] != first["export_id"]
    queued = sorted(m["export_id"] for m in export_messages(stack))
    assert queued == sorted([first["export_id"], anki["export_id"]])
    work(stack, client, user, first["export_id"])
    work(stack, client, user, anki["export_id"])
    later = start(client, user)  # the last one is finished: a new request is a new export
    assert later["export_id"] != first["export_id"]


def test_another_users_export_and_bad_ids_are_404(stack, client, user, other_user, limit):
    library(user, limit + 1)
    export_id = start(client, user)["export_id"]
    for who, path in ((other_user, export_id), (user, "0" * 32), (user, export_id.upper()),
                      (user, "running-obsidian"), (user, "not-an-export"),
                      (user, export_id + ".json"), (user, "download")):
        response = call(client, "GET", f"/notes/export/{path}", token=who["id_token"])
        assert response.status_code == 404, (path, response.body)
        assert response.json_body == {"Code": "NotFoundError", "Message": "Export not found"}
    assert call(client, "GET", f"/notes/export/{export_id}").status_code == 401


def test_a_redelivered_message_builds_the_file_once(stack, client, user, limit):
    library(user, limit + 1)
    body = start(client, user)
    [message] = export_messages(stack)
    work(stack, client, user, body["export_id"])
    before = export_objects(user)
    # SQS delivers at least once: the same message again, through the worker.
    aws.client("sqs").send_message(QueueUrl=stack["VideoQueueUrl"],
                                   MessageBody=json.dumps(message))
    from app import process_video

    assert poll_once(aws.client("sqs"), stack["VideoQueueUrl"], process_video) == 1
    assert export_jobs.handle_message(json.dumps(message)) == "already ready"
    after = export_objects(user)
    assert after.keys() == before.keys()
    assert [k for k in after if k.endswith(".zip")] and all(
        after[k]["ETag"] == before[k]["ETag"] and after[k]["LastModified"] ==
        before[k]["LastModified"] for k in after)
    assert get_status(client, user, body["export_id"])["status"] == "ready"


def _claimed(user, export_id: str, seconds_ago: float) -> None:
    """The export as an attempt leaves it while it builds (claimed that long ago)."""
    key = export_jobs.status_key(user["user_id"], export_id)
    s3 = aws.client("s3")
    record = json.loads(s3.get_object(Bucket=config.notes_bucket(), Key=key)["Body"].read())
    record["claimed_at"] = time.time() - seconds_ago
    s3.put_object(Bucket=config.notes_bucket(), Key=key, Body=json.dumps(record).encode())


def test_an_export_another_attempt_is_building_is_left_to_it(stack, client, user, limit):
    library(user, limit + 1)
    body = start(client, user)
    [message] = export_messages(stack)
    _claimed(user, body["export_id"], seconds_ago=5)
    assert export_jobs.handle_message(json.dumps(message), receive_count=2) == \
        "left alone: another attempt is building it"
    assert not [k for k in export_objects(user) if k.endswith(".zip")]
    assert get_status(client, user, body["export_id"])["status"] == "building"
    # An attempt killed at the processor's timeout: failed, and never built again.
    _claimed(user, body["export_id"], seconds_ago=export_jobs.CLAIM_SECONDS + 1)
    failed = get_status(client, user, body["export_id"])
    assert failed["status"] == "failed" and failed["error"]["code"] == "export_timed_out"
    assert export_jobs.handle_message(json.dumps(message), receive_count=3).startswith("failed")
    assert not [k for k in export_objects(user) if k.endswith(".zip")]
    assert start(client, user)["export_id"] != body["export_id"]  # asking again starts anew


def test_a_build_that_fails_is_retried_then_failed(stack, client, user, limit, monkeypatch,
                                                   tmp_path):
    library(user, limit + 1)
    body = start(client, user)
    [message] = export_messages(stack)
    monkeypatch.setenv("EXPORT_TMP_DIR", str(tmp_path / "missing"))  # nowhere to write
    with pytest.raises(OSError):
        export_jobs.handle_message(json.dumps(message), receive_count=1)
    retried = get_status(client, user, body["export_id"])
    assert retried["status"] == "building"  # the claim given back: the retry may build it
    assert export_jobs.handle_message(json.dumps(message),
                                      receive_count=export_jobs.MAX_RECEIVES) == "failed"
    failed = get_status(client, user, body["export_id"])
    assert failed["status"] == "failed" and failed["error"]["code"] == "export_failed"
    assert "url" not in failed
    monkeypatch.delenv("EXPORT_TMP_DIR")
    assert start(client, user)["export_id"] != body["export_id"]


def test_the_video_side_of_the_queue_ignores_export_messages(stack):
    from chalicelib.processing import handlers

    message = json.dumps({"kind": "export", "user_id": "u", "export_id": "a" * 32})
    assert export_jobs.is_job(message) and not export_jobs.is_job('{"video_id": "v"}')
    assert handlers.handle_dead_letter(message) == "dropped"  # never fails a video
    assert export_jobs.handle_message(json.dumps({"kind": "export"})) == \
        "dropped: malformed message"


def test_the_threshold_is_a_setting(monkeypatch):
    monkeypatch.delenv("EXPORT_SYNC_MAX_NOTES", raising=False)
    assert export_jobs.sync_max_notes() == export_jobs.DEFAULT_SYNC_MAX_NOTES
    monkeypatch.setenv("EXPORT_SYNC_MAX_NOTES", "1500")
    assert export_jobs.sync_max_notes() == 1500
    for bad in ("many", "-1"):
        monkeypatch.setenv("EXPORT_SYNC_MAX_NOTES", bad)
        with pytest.raises(config.ConfigError):
            export_jobs.sync_max_notes()


def test_the_job_follows_the_queue_and_the_processor():
    """MAX_RECEIVES is the video queue's maxReceiveCount, and a claim outlives the
    processor's timeout in every stage (so a live attempt is never taken for dead)."""
    from pathlib import Path

    from infra.template import load_template

    queue = load_template()["Resources"]["VideoQueue"]["Properties"]
    assert queue["RedrivePolicy"]["maxReceiveCount"] == export_jobs.MAX_RECEIVES
    chalice = json.loads((Path(__file__).resolve().parents[2] / ".chalice" / "config.json")
                         .read_text())
    for stage in ("dev", "staging", "prod"):
        timeout = chalice["stages"][stage]["lambda_functions"]["process_video"]["lambda_timeout"]
        assert timeout < export_jobs.CLAIM_SECONDS
        assert queue["VisibilityTimeout"] > export_jobs.CLAIM_SECONDS


def test_the_description_has_the_queued_answer():
    from chalicelib.http import openapi

    paths = openapi.document()["paths"]
    assert set(paths["/notes/export"]["get"]["responses"]) >= {"200", "202"}
    assert paths["/notes/export/{export_id}"]["get"]["responses"]["200"]["content"][
        "application/json"]["schema"] == {"$ref": "#/components/schemas/ExportJob"}
