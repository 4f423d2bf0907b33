"""Submitting, listing, reading and deleting videos, with their credits (docs/DESIGN.md 4, 5, 8)."""
from __future__ import annotations

import concurrent.futures

import pytest

from chalicelib.core import aws, config, db
from chalicelib.core.errors import BadRequestError
from chalicelib.notes import note_store
from chalicelib.youtube import links
from testkit.lectures import new_video_id
from tests.conftest import balance, call, ledger, queued_jobs, register
from tests.reviews.conftest import dynamodb_calls  # noqa: F401  (fixture)

VIDEO_ID = "dQw4w9WgXcQ"


@pytest.mark.parametrize("link", [
    VIDEO_ID,
    f"https://www.youtube.com/watch?v={VIDEO_ID}",
    f"https://youtube.com/watch?v={VIDEO_ID}&t=42s&list=PL123",
    f"https://www.youtube.com/watch?feature=share&v={VIDEO_ID}",
    f"http://m.youtube.com/watch?v={VIDEO_ID}",
    f"https://music.youtube.com/watch?v={VIDEO_ID}&si=abc",
    f"https://youtu.be/{VIDEO_ID}",
    f"https://youtu.be/{VIDEO_ID}?si=xyz&t=10",
    f"https://www.youtube.com/shorts/{VIDEO_ID}",
    f"https://www.youtube.com/embed/{VIDEO_ID}",
    f"https://www.youtube.com/live/{VIDEO_ID}?feature=share",
    f"www.youtube.com/watch?v={VIDEO_ID}",
    f"youtu.be/{VIDEO_ID}",
    f"  https://WWW.YOUTUBE.COM/watch?v={VIDEO_ID}  ",
])
def test_every_accepted_link_form_names_the_video(link):
    assert links.parse_video_id(link) == VIDEO_ID


@pytest.mark.parametrize("link", [
    "", "dQw4w9WgXc", "dQw4w9WgXcQQ", "dQw4w9WgXc!", None, 42,
    f"https://www.youtube.com.evil.example/watch?v={VIDEO_ID}",
    f"https://evil.example/watch?v={VIDEO_ID}",
    f"https://youtube.com@evil.example/watch?v={VIDEO_ID}",
    f"https://user:pass@www.youtube.com/watch?v={VIDEO_ID}",
    f"https://www.youtube.com:8443/watch?v={VIDEO_ID}",
    f"https://169.254.169.254/latest/meta-data?v={VIDEO_ID}",
    f"http://127.0.0.1/watch?v={VIDEO_ID}",
    f"javascript:alert(1)//www.youtube.com/watch?v={VIDEO_ID}",
    f"file:///www.youtube.com/watch?v={VIDEO_ID}",
    f"ftp://www.youtube.com/watch?v={VIDEO_ID}",
    "https://www.youtube.com/watch?v=short",
    f"https://www.youtube.com/watch?v={VIDEO_ID}&v=aaaaaaaaaaa",
    f"https://www.youtube.com/channel/{VIDEO_ID}",
    f"https://www.youtube.com/watch/{VIDEO_ID}",
    f"https://youtu.be/{VIDEO_ID}/extra",
    "https://www.youtube.com/watch?v=" + "a" * 3000,
])
def test_anything_else_is_refused(link):
    with pytest.raises(BadRequestError):
        links.parse_video_id(link)


def submit(client, user, link=None, **extra):
    """Submit a link (by default a video the user has not submitted: duplicates are 409)."""
    return call(client, "POST", "/videos", token=user["id_token"],
                body={"url": link or new_video_id(), **extra})


def test_submit_reserves_a_credit_and_queues_the_job(client, stack, user):
    queued_jobs(stack)
    response = submit(client, user, f"https://youtu.be/{VIDEO_ID}?t=3",
                      subject="Physics", languages=["en", "de"])
    assert response.status_code == 202
    video = response.json_body
    assert video["status"] == "queued" and video["progress"] == 0
    assert video["url"] == f"https://www.youtube.com/watch?v={VIDEO_ID}"
    assert video["youtube_video_id"] == VIDEO_ID and video["subject"] == "Physics"
    assert video["credits_charged"] == 1 and video["credits_remaining"] == 2
    assert video["created_at"].endswith("Z")
    assert {"video_id": video["video_id"], "user_id": user["user_id"]} in queued_jobs(stack)
    fetched = call(client, "GET", f"/videos/{video['video_id']}", token=user["id_token"])
    assert fetched.status_code == 200 and fetched.json_body["status"] == "queued"
    usage = [row for row in ledger(client, user) if row["type"] == "usage"]
    assert usage == [{**usage[0], "amount": -1, "balance_after": 2}]
    assert usage[0]["metadata"]["video_id"] == video["video_id"]


@pytest.mark.parametrize("body,fragment", [
    ({}, "missing required field(s): url"),
    ({"url": "https://vimeo.com/123"}, "Not a YouTube video link"),
    ({"url": VIDEO_ID, "languages": "en"}, "'languages'"),
    ({"url": VIDEO_ID, "languages": ["english!"]}, "'languages'"),
    ({"url": VIDEO_ID, "languages": ["en"] * 6}, "at most 5"),
    ({"url": VIDEO_ID, "subject": "x" * 101}, "'subject' must be at most 100"),
    ({"url": VIDEO_ID, "subject": 7}, "'subject' must be a string"),
    ({"url": VIDEO_ID, "priority": "high"}, "unknown field(s): priority"),
    ([VIDEO_ID], "must be a JSON object"),
])
def test_bad_submissions_are_400_and_cost_nothing(client, user, body, fragment):
    response = call(client, "POST", "/videos", token=user["id_token"], body=body)
    assert response.status_code == 400
    assert fragment in response.json_body["Message"]
    assert balance(client, user) == 3


def test_402_when_the_credits_run_out(client, user):
    for _ in range(3):
        assert submit(client, user).status_code == 202
    response = submit(client, user)
    assert response.status_code == 402
    assert response.json_body["Code"] == "PaymentRequired"
    assert "Buy a credit package" in response.json_body["Message"]


def test_twenty_concurrent_submits_with_three_credits_accept_exactly_three(client, user):
    with concurrent.futures.ThreadPoolExecutor(max_workers=20) as pool:
        responses = list(pool.map(lambda _: submit(client, user), range(20)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [202] * 3 + [402] * 17
    assert balance(client, user) == 0
    rows = ledger(client, user)
    assert sum(row["amount"] for row in rows) == 0
    assert len([row for row in rows if row["type"] == "usage"]) == 3
    listed = call(client, "GET", "/videos?limit=100", token=user["id_token"]).json_body
    assert listed["count"] == 3


def test_a_failed_queue_send_undoes_the_reservation(client, user, monkeypatch, stack):
    monkeypatch.setenv("VIDEO_QUEUE_URL", stack["VideoQueueUrl"] + "-missing")
    response = submit(client, user)
    assert response.status_code == 503
    assert "credit was returned" in response.json_body["Message"]
    assert balance(client, user) == 3
    assert call(client, "GET", "/videos", token=user["id_token"]).json_body["count"] == 0
    assert sum(row["amount"] for row in ledger(client, user)) == 3


def test_listing_pages_newest_first_filters_by_status_and_signs_its_cursor(client, user,
                                                                           other_user):
    ids = [submit(client, user).json_body["video_id"] for _ in range(3)]
    _set_status(ids[0], user["user_id"], "completed")
    first = call(client, "GET", "/videos?limit=2", token=user["id_token"]).json_body
    assert [v["video_id"] for v in first["videos"]] == [ids[2], ids[1]]
    assert first["count"] == 2 and first["last_key"]
    second = call(client, "GET", f"/videos?limit=2&last_key={first['last_key']}",
                  token=user["id_token"]).json_body
    assert [v["video_id"] for v in second["videos"]] == [ids[0]]
    assert second["last_key"] is None

    done = call(client, "GET", "/videos?status=completed", token=user["id_token"]).json_body
    assert [v["video_id"] for v in done["videos"]] == [ids[0]]
    queued = call(client, "GET", "/videos?status=queued", token=user["id_token"]).json_body
    assert {v["video_id"] for v in queued["videos"]} == set(ids[1:])

    cursor = first["last_key"]
    tampered = cursor[:-2] + ("AA" if not cursor.endswith("AA") else "BB")
    for bad in (tampered, "garbage", "a.b.c", "x" * 5000):
        response = call(client, "GET", f"/videos?last_key={bad}", token=user["id_token"])
        assert response.status_code == 400, bad
        assert "last_key" in response.json_body["Message"]
    foreign = call(client, "GET", f"/videos?last_key={cursor}", token=other_user["id_token"])
    assert foreign.status_code == 400
    other_query = call(client, "GET", f"/videos?status=queued&last_key={cursor}",
                       token=user["id_token"])
    assert other_query.status_code == 400
    for query in ("limit=0", "limit=101", "limit=ten", "status=done", "sort=asc"):
        assert call(client, "GET", f"/videos?{query}",
                    token=user["id_token"]).status_code == 400, query


def _set_status(video_id: str, user_id: str, status: str, **fields) -> None:
    """Stands in for the worker (a later issue) moving a video along."""
    names = {"#s": "status"}
    sets = ["#s = :s", "user_status = :us"]
    vals = {"s": status, "us": f"{user_id}#{status}"}
    for i, (key, value) in enumerate(fields.items()):
        names[f"#f{i}"] = key
        sets.append(f"#f{i} = :f{i}")
        vals[f"f{i}"] = value
    aws.client("dynamodb").update_item(
        TableName=config.videos_table(), Key=db.to_item({"video_id": video_id}),
        UpdateExpression="SET " + ", ".join(sets), ExpressionAttributeNames=names,
        ExpressionAttributeValues=db.values(**vals))


def test_another_users_video_is_404_on_every_route_and_left_alone(client, user, other_user):
    video_id = submit(client, user).json_body["video_id"]
    for method in ("GET", "DELETE"):
        response = call(client, method, f"/videos/{video_id}", token=other_user["id_token"])
        assert response.status_code == 404
        assert response.json_body == {"Code": "NotFoundError", "Message": "Video not found"}
    assert call(client, "GET", f"/videos/{video_id}", token=user["id_token"]).status_code == 200
    assert balance(client, user) == 2 and balance(client, other_user) == 3
    for unknown in ("0" * 32, "not-a-real-id", "%2e%2e", "x" * 200):
        assert call(client, "GET", f"/videos/{unknown}",
                    token=user["id_token"]).status_code == 404


def test_deleting_a_queued_video_refunds_once_even_when_called_twice(client, user):
    video_id = submit(client, user).json_body["video_id"]
    assert balance(client, user) == 2
    first = call(client, "DELETE", f"/videos/{video_id}", token=user["id_token"])
    second = call(client, "DELETE", f"/videos/{video_id}", token=user["id_token"])
    assert (first.status_code, second.status_code) == (204, 404)
    assert balance(client, user) == 3
    refunds = [row for row in ledger(client, user) if row["type"] == "refund"]
    assert len(refunds) == 1 and refunds[0]["amount"] == 1
    assert call(client, "GET", f"/videos/{video_id}", token=user["id_token"]).status_code == 404


def test_deleting_a_video_reads_its_record_once(client, user, dynamodb_calls):
    video_id = submit(client, user).json_body["video_id"]
    dynamodb_calls.clear()
    assert call(client, "DELETE", f"/videos/{video_id}",
                token=user["id_token"]).status_code == 204
    reads = [params for operation, params in dynamodb_calls if operation == "GetItem"
             and params["TableName"] == config.videos_table()]
    assert len(reads) == 1 and reads[0]["ConsistentRead"] is True


def test_concurrent_deletes_refund_once(client, user):
    video_id = submit(client, user).json_body["video_id"]
    with concurrent.futures.ThreadPoolExecutor(max_workers=6) as pool:
        responses = list(pool.map(
            lambda _: call(client, "DELETE", f"/videos/{video_id}", token=user["id_token"]),
            range(6)))
    assert sorted(r.status_code for r in responses) == [204] + [404] * 5
    assert balance(client, user) == 3
    assert sum(row["amount"] for row in ledger(client, user)) == 3


def test_deleting_a_processing_video_refunds_everything_it_was_charged(client, user):
    video_id = submit(client, user).json_body["video_id"]
    _set_status(video_id, user["user_id"], "processing", credits_charged=2)
    assert call(client, "DELETE", f"/videos/{video_id}",
                token=user["id_token"]).status_code == 204
    refund = [row for row in ledger(client, user) if row["type"] == "refund"]
    assert refund[0]["amount"] == 2


def test_deleting_a_completed_video_removes_its_note_and_file_without_refund(client, stack,
                                                                             user):
    video_id = submit(client, user).json_body["video_id"]
    note = note_store.save_note(user_id=user["user_id"], video_id=video_id, title="Entropy",
                           category="Physics", content="# Entropy\n")
    _set_status(video_id, user["user_id"], "completed", note_id=note["note_id"])
    assert call(client, "DELETE", f"/videos/{video_id}",
                token=user["id_token"]).status_code == 204
    assert balance(client, user) == 2
    assert call(client, "GET", f"/notes/{note['note_id']}",
                token=user["id_token"]).status_code == 404
    listing = aws.client("s3").list_objects_v2(
        Bucket=stack["NotesBucketName"], Prefix=f"notes/{user['user_id']}/")
    assert listing.get("KeyCount", 0) == 0


def test_credits_catalogue_and_history(client, user):
    credits = call(client, "GET", "/credits", token=user["id_token"]).json_body
    assert credits["credits"] == 3
    assert [(p["id"], p["credits"], p["amount"], p["currency"]) for p in credits["packages"]] \
        == [("basic", 10, 999, "usd"), ("standard", 25, 1999, "usd"),
            ("premium", 50, 2999, "usd")]
    submit(client, user)
    submit(client, user)
    page = call(client, "GET", "/credits/history?limit=2", token=user["id_token"]).json_body
    assert [row["type"] for row in page["transactions"]] == ["usage", "usage"]
    assert page["last_key"]
    rest = call(client, "GET", f"/credits/history?limit=2&last_key={page['last_key']}",
                token=user["id_token"]).json_body
    assert [row["type"] for row in rest["transactions"]] == ["signup_bonus"]
    assert rest["transactions"][0]["balance_after"] == 3
    assert page["transactions"][0]["balance_after"] == 1
    fresh = register(client)
    assert call(client, "GET", f"/credits/history?last_key={page['last_key']}",
                token=fresh["id_token"]).status_code == 400
