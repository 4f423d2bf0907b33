"""Jobs that never kill healthy work, and note files under the attempt's guard
(docs/DESIGN.md section 6): a video waiting for its retry is not stuck; every rescue,
fail and dead-letter write is conditioned on the live attempt; the note file of a
superseded attempt never replaces the committed one; failed and deleted videos leave
no file behind."""
from __future__ import annotations

import json
import time

import pytest

from chalicelib.core import aws, config, db
from chalicelib.notes import wikilinks
from chalicelib.processing import cleanup, handlers, job
from chalicelib.videos import lifecycle
from testkit.fake_anthropic import OVERLOADED
from testkit.lectures import lecture
from tests.conftest import call, ledger_total
from tests.processing.test_pipeline import (  # noqa: F401  (fixtures)
    claude,
    drain,
    note_of,
    submit,
    video_of,
    work,
    youtube,
)


def raw(video_id: str) -> dict:
    return db.get(config.videos_table(), {"video_id": video_id}, consistent=True)


def force(video_id: str, **fields) -> None:
    names = {f"#f{i}": key for i, key in enumerate(fields)}
    aws.client("dynamodb").update_item(
        TableName=config.videos_table(), Key=db.to_item({"video_id": video_id}),
        UpdateExpression="SET " + ", ".join(f"#f{i} = :f{i}" for i in range(len(fields))),
        ExpressionAttributeNames=names,
        ExpressionAttributeValues=db.values(**{f"f{i}": v for i, v in enumerate(fields.values())}))


def note_files(stack, user_id: str, video_id: str) -> list[str]:
    listed = aws.client("s3").list_objects_v2(Bucket=stack["NotesBucketName"],
                                              Prefix=f"notes/{user_id}/{video_id}")
    return sorted(item["Key"] for item in listed.get("Contents", []))


def dead_letter_body(user: dict, video_id: str) -> str:
    return json.dumps({"video_id": video_id, "user_id": user["user_id"]})


def test_a_video_waiting_for_its_retry_is_not_stuck(client, stack, user, youtube, claude,
                                                    monkeypatch):
    monkeypatch.setenv("ANTHROPIC_MAX_RETRIES", "0")
    claude.failures.append(OVERLOADED)
    video_id = submit(client, user, youtube.add(lecture(10)))["video_id"]
    work(stack, rounds=1)  # the first receive fails transiently; SQS will retry
    waiting = raw(video_id)
    assert waiting["status"] == "processing" and waiting["retry_pending"]
    assert int(waiting["lease_until"]) > time.time()  # the retry's deadline, kept
    for minutes in (2, 10):  # cleanup runs while the retry is pending
        cleanup.cleanup(now=time.time() + minutes * 60)
        current = raw(video_id)
        assert current["status"] == "processing" and "requeued" not in current
        assert current["attempt_id"] == waiting["attempt_id"]
    work(stack)  # the retry claims it at once and finishes
    done = video_of(client, user, video_id)
    assert done["status"] == "completed"
    assert ledger_total(client, user) == (2, 2)
    assert call(client, "GET", "/notes", token=user["id_token"]).json_body["count"] == 1


@pytest.mark.parametrize("requeued_before", [False, True])
def test_cleanup_never_undoes_or_fails_a_claim_taken_after_it_read(client, stack, user,
                                                                    youtube, requeued_before):
    video_id = submit(client, user, youtube.add(lecture(10)))["video_id"]
    drain(stack["VideoQueueUrl"])
    force(video_id, status="processing", user_status=f"{user['user_id']}#processing",
          lease_until=1, attempt_id="crashed-attempt",
          **({"requeued": 1} if requeued_before else {}))
    stale = raw(video_id)  # cleanup reads it as stuck...
    fresh = lifecycle.claim(stale)  # ...and a redelivery claims it before cleanup writes
    assert fresh is not None
    assert cleanup._rescue(stale, time.time()) == "skipped"
    current = raw(video_id)
    assert current["status"] == "processing" and current["attempt_id"] == fresh["attempt_id"]
    assert ledger_total(client, user) == (2, 2)  # nothing refunded under the live attempt


def test_the_dead_letter_handler_leaves_a_live_attempt_alone(client, stack, user, youtube):
    video_id = submit(client, user, youtube.add(lecture(10)))["video_id"]
    drain(stack["VideoQueueUrl"])
    claimed = lifecycle.claim(raw(video_id))  # another delivery is running it
    outcome = handlers.handle_dead_letter(dead_letter_body(user, video_id))
    assert outcome.startswith("left alone: processing")
    current = raw(video_id)
    assert current["status"] == "processing" and current["attempt_id"] == claimed["attempt_id"]
    assert ledger_total(client, user) == (2, 2)
    force(video_id, retry_pending=1)  # once it only waits for the retry SQS gave up on
    assert handlers.handle_dead_letter(dead_letter_body(user, video_id)) == "failed"
    assert ledger_total(client, user) == (3, 3)


def test_a_superseded_attempt_never_overwrites_the_committed_note(client, stack, user,
                                                                  youtube, monkeypatch):
    video_id = submit(client, user, youtube.add(lecture(10)))["video_id"]
    drain(stack["VideoQueueUrl"])
    real_link = wikilinks.link_mentions
    outcomes = []

    def meanwhile(*args, **kwargs):
        if not outcomes:  # attempt A is about to save: its lease ran out, B takes over
            outcomes.append("B started")
            response = call(client, "PUT", "/user", token=user["id_token"],
                            body={"preferences": {"include_questions": False}})
            assert response.status_code == 200, response.body
            force(video_id, lease_until=1)
            outcomes.append(job.process(job.Job(video_id, user["user_id"])))
        return real_link(*args, **kwargs)

    monkeypatch.setattr(wikilinks, "link_mentions", meanwhile)
    first = job.process(job.Job(video_id, user["user_id"]))
    assert outcomes[1] == "completed" and first.startswith("cancelled")
    done = video_of(client, user, video_id)
    content = note_of(client, user, done["note_id"])["content"]
    assert "## Review Questions" not in content  # B's note, not A's
    prefix = f"notes/{user['user_id']}/{video_id}"
    assert note_files(stack, user["user_id"], video_id) == [f"{prefix}.json", f"{prefix}.md"]


def crash_while_saving(stack, user, monkeypatch) -> None:
    real_transact = db.transact

    def crash_once(items):
        monkeypatch.setattr(db, "transact", real_transact)
        raise SystemExit("worker killed while saving the note")

    monkeypatch.setattr(db, "transact", crash_once)
    with pytest.raises(SystemExit):
        work(stack, rounds=1)


def test_a_video_failed_after_a_crash_leaves_no_file(client, stack, user, youtube,
                                                     monkeypatch):
    video_id = submit(client, user, youtube.add(lecture(10)))["video_id"]
    crash_while_saving(stack, user, monkeypatch)
    assert note_files(stack, user["user_id"], video_id)  # the crashed attempt's files
    force(video_id, lease_until=1)  # its lease ran out; SQS gave up on the message
    assert handlers.handle_dead_letter(dead_letter_body(user, video_id)) == "failed"
    assert note_files(stack, user["user_id"], video_id) == []
    assert ledger_total(client, user) == (3, 3)


def test_deleting_a_video_removes_every_file_it_had(client, stack, user, youtube,
                                                    monkeypatch):
    video_id = submit(client, user, youtube.add(lecture(10)))["video_id"]
    crash_while_saving(stack, user, monkeypatch)
    assert note_files(stack, user["user_id"], video_id)
    upload = f"uploads/{user['user_id']}/{video_id}.json"  # uploaded captions, if any
    aws.client("s3").put_object(Bucket=stack["NotesBucketName"], Key=upload, Body=b"{}")
    response = call(client, "DELETE", f"/videos/{video_id}", token=user["id_token"])
    assert response.status_code == 204
    assert note_files(stack, user["user_id"], video_id) == []
    listed = aws.client("s3").list_objects_v2(Bucket=stack["NotesBucketName"], Prefix=upload)
    assert listed.get("KeyCount", 0) == 0
    drain(stack["VideoQueueUrl"])
