"""Duplicate submissions (docs/DESIGN.md section 4): 409 AlreadySubmitted with the
existing video's id, charging nothing, while the user has the video queued, processing
or completed; a failed or deleted one may be submitted again; reprocess pays for a
fresh note; concurrent submits of one video accept one."""
from __future__ import annotations

import concurrent.futures

import pytest

from chalicelib.videos import lifecycle, video_store
from testkit.lectures import new_video_id
from tests.conftest import balance, call, ledger_total


def post(client, user, body):
    return call(client, "POST", "/videos", token=user["id_token"], body=body)


@pytest.mark.parametrize("second", ["https://www.youtube.com/watch?v={id}&t=42s",
                                    "https://youtu.be/{id}", "{id}",
                                    "https://m.youtube.com/shorts/{id}"])
def test_the_same_video_again_is_409_with_its_id_and_costs_nothing(client, user, second):
    youtube_id = new_video_id()
    first = post(client, user, {"url": youtube_id})
    assert first.status_code == 202
    again = post(client, user, {"url": second.format(id=youtube_id)})
    assert again.status_code == 409, again.body
    body = again.json_body
    assert body["Code"] == "AlreadySubmitted" and body["video_id"] == first.json_body["video_id"]
    assert "reprocess" in body["Message"]
    assert balance(client, user) == 2
    assert call(client, "GET", "/videos", token=user["id_token"]).json_body["count"] == 1


@pytest.mark.parametrize("status", ["processing", "completed"])
def test_processing_and_completed_videos_are_also_already_submitted(client, user, status):
    youtube_id = new_video_id()
    video_id = post(client, user, {"url": youtube_id}).json_body["video_id"]
    record = video_store.owned_record(user["user_id"], video_id, consistent=True)
    lifecycle._update(video_id, {"status": status}, condition="#st = :queued",
                      values={"queued": "queued"})
    assert video_store.owned_record(user["user_id"], video_id)["status"] == status != \
        record["status"]
    response = post(client, user, {"url": youtube_id})
    assert response.status_code == 409 and response.json_body["video_id"] == video_id


def test_a_user_out_of_credits_still_hears_409_not_402(client, user):
    youtube_id = new_video_id()
    post(client, user, {"url": youtube_id})
    post(client, user, {"url": new_video_id()})
    post(client, user, {"url": new_video_id()})
    assert balance(client, user) == 0
    assert post(client, user, {"url": youtube_id}).status_code == 409


def test_a_failed_or_deleted_video_may_be_submitted_again(client, user):
    youtube_id = new_video_id()
    first = post(client, user, {"url": youtube_id}).json_body
    record = video_store.owned_record(user["user_id"], first["video_id"], consistent=True)
    assert lifecycle.fail(record, "no_transcript", "no captions")
    second = post(client, user, {"url": youtube_id})
    assert second.status_code == 202
    assert call(client, "DELETE", f"/videos/{second.json_body['video_id']}",
                token=user["id_token"]).status_code == 204
    third = post(client, user, {"url": youtube_id})
    assert third.status_code == 202
    assert post(client, user, {"url": youtube_id}).status_code == 409
    assert ledger_total(client, user) == (2, 2)  # two refunded, one charged


def test_reprocess_pays_for_a_fresh_note(client, user):
    youtube_id = new_video_id()
    first = post(client, user, {"url": youtube_id}).json_body
    fresh = post(client, user, {"url": youtube_id, "reprocess": True})
    assert fresh.status_code == 202 and fresh.json_body["video_id"] != first["video_id"]
    assert fresh.json_body["credits_remaining"] == 1
    again = post(client, user, {"url": youtube_id})
    assert again.status_code == 409 and again.json_body["video_id"] == fresh.json_body["video_id"]
    bad = post(client, user, {"url": youtube_id, "reprocess": "yes"})
    assert bad.status_code == 400 and "'reprocess'" in bad.json_body["Message"]


def test_concurrent_submits_of_one_video_accept_exactly_one(client, user):
    youtube_id = new_video_id()
    links = [youtube_id, f"https://youtu.be/{youtube_id}",
             f"https://www.youtube.com/watch?v={youtube_id}"]
    with concurrent.futures.ThreadPoolExecutor(max_workers=12) as pool:
        responses = list(pool.map(lambda n: post(client, user, {"url": links[n % 3]}),
                                  range(12)))
    codes = sorted(response.status_code for response in responses)
    assert codes == [202] + [409] * 11, [r.body for r in responses]
    accepted = next(r for r in responses if r.status_code == 202).json_body["video_id"]
    assert {r.json_body["video_id"] for r in responses if r.status_code == 409} == {accepted}
    assert ledger_total(client, user) == (2, 2)
    assert call(client, "GET", "/videos", token=user["id_token"]).json_body["count"] == 1


def test_another_users_submission_of_the_same_video_is_theirs(client, user, other_user):
    youtube_id = new_video_id()
    assert post(client, user, {"url": youtube_id}).status_code == 202
    assert post(client, other_user, {"url": youtube_id}).status_code == 202
