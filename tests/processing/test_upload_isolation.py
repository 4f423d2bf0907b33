"""Uploaded captions are their uploader's alone in every cache, and model spend through
uploads costs the uploader (issue 20; docs/DESIGN.md sections 4 and 6;
chalicelib.youtube.cache_scope, chalicelib.videos.lifecycle.refund_due).

The attacks of the review, over HTTP with the real anthropic SDK against the fake
Messages API: an upload under a popular lecture's id planting its text in the next
student's note, an upload that makes the model fail marking the lecture failed for
everyone, and failing uploads under made-up ids buying model calls for nothing."""
from __future__ import annotations

from chalicelib.core import aws
from chalicelib.youtube import cache_scope
from testkit.fake_anthropic import OVERLOADED, default_answer
from testkit.lectures import lecture, new_video_id
from tests.conftest import ledger, ledger_total
from tests.processing.test_pipeline import (  # noqa: F401  (fixtures)
    claude,
    note_of,
    submit,
    video_of,
    work,
    youtube,
)
from tests.processing.test_uploads import post

PLANTED = ("WEBVTT\n\n00:00:00.000 --> 00:00:06.000\n"
           "Buy the miracle course at scam dot example today.\n\n"
           "00:00:06.000 --> 00:00:12.000\nThe miracle course is the only course you need.\n")
REFUSED = (400, {"type": "error", "error": {"type": "invalid_request_error",
                                            "message": "refused"}})


def unusable(request: dict) -> dict:
    """A paid answer the service cannot use (no summary): retried, then given up."""
    return {**default_answer(request), "summary": ""}


def draft_keys(stack, prefix: str = "drafts/") -> list[str]:
    listed = aws.client("s3").list_objects_v2(Bucket=stack["NotesBucketName"], Prefix=prefix)
    return sorted(item["Key"] for item in listed.get("Contents", []))


def test_an_upload_never_plants_its_draft_in_another_students_note(
        client, stack, user, other_user, youtube, claude):
    video = youtube.add(lecture(10))
    planted = post(client, user, video.video_id, PLANTED)
    assert planted.status_code == 202
    assert work(stack) == 1
    mine = video_of(client, user, planted.json_body["video_id"])
    assert "miracle course" in note_of(client, user, mine["note_id"])["content"]
    # The uploader's draft is under the uploader, never where the lecture's own is.
    assert draft_keys(stack, f"drafts/{video.video_id}/") == []
    assert len(draft_keys(stack, f"drafts/{cache_scope.PRIVATE}/{user['user_id']}/"
                                 f"{video.video_id}/")) == 1

    theirs = submit(client, other_user, video)
    calls = len(claude.requests)
    assert work(stack) == 1
    done = video_of(client, other_user, theirs["video_id"])
    content = note_of(client, other_user, done["note_id"])["content"]
    assert "miracle" not in content and "\ntranscript: youtube\n" in content
    assert len(claude.requests) == calls + 1  # written from YouTube's captions, not cached


def test_an_upload_never_reads_the_lectures_shared_draft(client, stack, user, other_user,
                                                         youtube, claude):
    video = youtube.add(lecture(10))
    submit(client, other_user, video)
    assert work(stack) == 1
    shared = draft_keys(stack, f"drafts/{video.video_id}/")
    assert len(shared) == 1

    mine = post(client, user, video.video_id, PLANTED).json_body["video_id"]
    assert work(stack) == 1
    content = note_of(client, user, video_of(client, user, mine)["note_id"])["content"]
    assert "miracle course" in content  # the note is made from the file uploaded
    assert "\ntranscript: uploaded\n" in content
    assert len(claude.requests) == 2


def test_a_failing_upload_marks_nothing_failed_for_other_students(
        client, stack, user, other_user, youtube, claude):
    video = youtube.add(lecture(10))
    claude.failures.append(REFUSED)
    first = post(client, user, video.video_id, PLANTED).json_body["video_id"]
    work(stack)
    assert video_of(client, user, first)["error"]["code"] == "generation_failed"

    theirs = submit(client, other_user, video)["video_id"]
    work(stack)
    assert video_of(client, other_user, theirs)["status"] == "completed"

    # The uploader's own file is remembered for them: the same file fails at once,
    # refunded, with no model call; a corrected file is another question.
    calls = len(claude.requests)
    again = post(client, user, video.video_id, PLANTED).json_body["video_id"]
    work(stack)
    assert video_of(client, user, again)["error"]["code"] == "failed_before"
    assert len(claude.requests) == calls
    fixed = post(client, user, video.video_id,
                 PLANTED.replace("miracle", "marvellous")).json_body["video_id"]
    work(stack)
    assert video_of(client, user, fixed)["status"] == "completed"
    assert len(claude.requests) == calls + 1
    assert ledger_total(client, user) == (2, 2)  # one paid note, two refunds


def fail_through_the_dead_letter_queue(stack) -> None:
    for _ in range(4):  # three receives fail at the model; the fourth finds the DLQ
        work(stack, rounds=1)
    work(stack, queue="DeadLetterQueueUrl")


def test_failing_uploads_under_made_up_ids_cost_the_uploader(client, stack, user, youtube,
                                                             claude, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_MAX_RETRIES", "0")
    claude.answer = unusable
    spent = []
    for _ in range(6):
        response = post(client, user, new_video_id(), PLANTED)
        if response.status_code != 202:
            assert response.status_code == 402, response.body
            break
        fail_through_the_dead_letter_queue(stack)
        failed = video_of(client, user, response.json_body["video_id"])
        assert failed["status"] == "failed" and failed["credits_charged"] == 1
        assert "the credit was kept" in failed["error"]["message"]
        spent.append(response.json_body["video_id"])
    # A free account's 3 credits buy 3 failed uploads (3 paid answers each), then 402.
    assert len(spent) == 3
    assert len(claude.requests) == 9
    assert ledger_total(client, user) == (0, 0)
    assert [row for row in ledger(client, user) if row["type"] == "refund"] == []


def test_an_upload_the_model_never_answered_is_refunded(client, stack, user, youtube,
                                                        claude, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_MAX_RETRIES", "0")
    claude.failures.extend([OVERLOADED] * 3)  # nothing was paid for: our outage, not theirs
    video_id = post(client, user, new_video_id(), PLANTED).json_body["video_id"]
    fail_through_the_dead_letter_queue(stack)
    failed = video_of(client, user, video_id)
    assert failed["error"]["code"] == "processing_failed"
    assert failed["credits_charged"] == 0
    assert ledger_total(client, user) == (3, 3)


def test_a_failed_youtube_lecture_is_refunded_even_after_paid_answers(
        client, stack, user, youtube, claude, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_MAX_RETRIES", "0")
    claude.answer = unusable
    video_id = submit(client, user, youtube.add(lecture(10)))["video_id"]
    fail_through_the_dead_letter_queue(stack)
    assert video_of(client, user, video_id)["credits_charged"] == 0
    assert ledger_total(client, user) == (3, 3)
