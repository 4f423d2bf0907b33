"""Courses through the API (docs/DESIGN.md sections 4 and 14): playlist links, listing in
the worker with the real yt-dlp, the estimate before any charge, ownership, paging."""
from __future__ import annotations

import pytest

from chalicelib.core import aws, config, db
from chalicelib.core.errors import BadRequestError
from chalicelib.courses import course_store, playlist
from tests.conftest import balance, call, ledger_total, register
from tests.courses.conftest import course_of, grant, listed_course, start, work

LIST = "PLUl4u3cNGP61Oq3tWYp6V_F-5jb5L2iHb"


@pytest.mark.parametrize("link", [
    f"https://www.youtube.com/playlist?list={LIST}",
    f"https://m.youtube.com/playlist?list={LIST}&feature=share",
    f"https://music.youtube.com/playlist?list={LIST}",
    f"https://www.youtube.com/watch?v=dQw4w9WgXcQ&list={LIST}&index=3",
    f"https://youtu.be/dQw4w9WgXcQ?list={LIST}",
    f"youtube.com/playlist?list={LIST}",
    LIST,
])
def test_playlist_link_forms_give_the_list_id(link: str) -> None:
    assert playlist.parse_list_id(link) == LIST


@pytest.mark.parametrize("link", [
    "https://evil.example/playlist?list=" + LIST,
    "https://www.youtube.com.evil.example/playlist?list=" + LIST,
    "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
    f"https://www.youtube.com/playlist?list={LIST}&list=PLother0000000000",
    "https://www.youtube.com/playlist?list=<script>",
    f"https://user@www.youtube.com/playlist?list={LIST}",
    f"https://www.youtube.com:8443/playlist?list={LIST}",
    f"ftp://www.youtube.com/playlist?list={LIST}",
    "https://www.youtube.com/watch?v=dQw4w9WgXcQ&list=RDdQw4w9WgXcQ",
    "", "x" * 3000,
])
def test_bad_or_foreign_playlist_links_are_refused(link: str) -> None:
    with pytest.raises(BadRequestError):
        playlist.parse_list_id(link)


def test_a_bad_link_is_a_400_that_says_what_to_send(client, user) -> None:
    response = call(client, "POST", "/courses", token=user["id_token"],
                    body={"url": "https://vimeo.com/12345"})
    assert response.status_code == 400
    assert "playlist" in response.json_body["Message"]
    mix = call(client, "POST", "/courses", token=user["id_token"],
               body={"url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ&list=RDdQw4w9WgXcQ"})
    assert mix.status_code == 400 and "Mix" in mix.json_body["Message"]
    both = call(client, "POST", "/courses", token=user["id_token"],
                body={"url": LIST, "title": "x", "videos": ["dQw4w9WgXcQ"]})
    assert both.status_code == 400
    bad_video = call(client, "POST", "/courses", token=user["id_token"],
                     body={"title": "Mine", "videos": ["dQw4w9WgXcQ", "not a link"]})
    assert bad_video.status_code == 400 and "videos[2]" in bad_video.json_body["Message"]


def test_a_playlist_is_listed_in_the_worker_with_skipped_entries(client, stack, user,
                                                                 youtube) -> None:
    ids = youtube.playlist("PLcourse00000000000001", 5, minutes=20,
                           unavailable={2: "[Private video]", 4: "[Deleted video]"})
    course = listed_course(client, stack, user, "PLcourse00000000000001")
    assert course["status"] == "ready"
    assert course["title"] == "Introduction to Algorithms"
    assert course["source_url"] == "https://www.youtube.com/playlist?list=PLcourse00000000000001"
    assert [lecture["youtube_video_id"] for lecture in course["lectures"]] == ids
    statuses = [(lecture["position"], lecture["status"]) for lecture in course["lectures"]]
    assert statuses == [(1, "pending"), (2, "skipped"), (3, "pending"), (4, "skipped"),
                        (5, "pending")]
    assert course["lectures"][1]["message"] == "This video is private"
    assert course["lectures"][3]["message"] == "This video was deleted"
    assert course["lectures"][0]["duration_seconds"] == 1200
    assert course["lecture_count"] == 5 and course["credits_estimate"] == 3
    assert course["skipped_count"] == 2
    listed = call(client, "GET", "/courses", token=user["id_token"]).json_body["courses"]
    assert [(c["lecture_count"], c["skipped_count"]) for c in listed] == [(5, 2)]
    # A course kept before skipped_count was: counted from its lectures.
    aws.client("dynamodb").update_item(
        TableName=config.required("COURSES_TABLE"),
        Key={"course_id": {"S": course["course_id"]}}, UpdateExpression="REMOVE skipped_count")
    listed = call(client, "GET", "/courses", token=user["id_token"]).json_body["courses"]
    assert [(c["lecture_count"], c["skipped_count"]) for c in listed] == [(5, 2)]
    assert course["credits_charged"] == 0
    # Only the list id travelled: yt-dlp asked YouTube for the playlist page we built.
    assert youtube.ytdlp.requests[0].url == \
        "https://www.youtube.com/playlist?list=PLcourse00000000000001"
    assert youtube.ytdlp.unexpected == []
    assert ledger_total(client, user) == (3, 3)  # nothing charged by listing


def test_at_most_200_lectures_are_listed(client, stack, user, youtube) -> None:
    youtube.playlist("PLcourse00000000000250", 250, minutes=1)
    course = listed_course(client, stack, user, "PLcourse00000000000250")
    assert course["status"] == "ready" and course["lecture_count"] == 200
    assert "first 200" in course["message"]
    assert course["lectures"][-1]["position"] == 200


def test_a_missing_playlist_fails_with_a_message(client, stack, user, youtube) -> None:
    course = listed_course(client, stack, user, "PLnosuchplaylist000001")
    assert course["status"] == "failed"
    assert "does not exist" in course["message"]
    # Never listed: it keeps the name it had while waiting.
    assert course["title"] == "YouTube playlist PLnosuchplaylist000001"
    assert start(client, user, course["course_id"]).status_code == 409


def test_a_list_of_links_is_ready_at_once(client, user) -> None:
    response = call(client, "POST", "/courses", token=user["id_token"], body={
        "title": "My <b>picks</b>", "subject": "Physics",
        "videos": ["https://youtu.be/dQw4w9WgXcQ", "https://www.youtube.com/watch?v=9bZkp7q19f0",
                   "dQw4w9WgXcQ"]})
    assert response.status_code == 202, response.body
    course = response.json_body
    assert course["status"] == "ready" and course["lecture_count"] == 2  # repeats once
    assert course["credits_estimate"] == 2 and course["subject"] == "Physics"
    assert [lecture["status"] for lecture in course["lectures"]] == ["pending", "pending"]


def test_another_users_course_is_404_and_lists_are_paged(client, user, other_user) -> None:
    made = [call(client, "POST", "/courses", token=user["id_token"],
                 body={"title": f"Course {n}", "videos": ["dQw4w9WgXcQ"]}).json_body
            for n in range(3)]
    theirs = made[0]["course_id"]
    for method, path in (("GET", f"/courses/{theirs}"), ("DELETE", f"/courses/{theirs}"),
                         ("POST", f"/courses/{theirs}/start")):
        assert call(client, method, path, token=other_user["id_token"]).status_code == 404
    assert call(client, "GET", "/courses/not-an-id!", token=user["id_token"]).status_code == 404
    first = call(client, "GET", "/courses?limit=2", token=user["id_token"]).json_body
    assert first["count"] == 2 and first["last_key"]
    assert "lectures" not in first["courses"][0]
    rest = call(client, "GET", f"/courses?limit=2&last_key={first['last_key']}",
                token=user["id_token"]).json_body
    shown = [c["course_id"] for c in first["courses"] + rest["courses"]]
    assert shown == [c["course_id"] for c in reversed(made)]  # newest first
    stolen = call(client, "GET", f"/courses?limit=2&last_key={first['last_key']}",
                  token=other_user["id_token"])
    assert stolen.status_code == 400
    assert call(client, "GET", "/courses", token=other_user["id_token"]).json_body["count"] == 0


def test_start_is_402_without_credits_and_409_twice(client, stack, user, youtube,
                                                    monkeypatch) -> None:
    # Short lectures (1 credit each): the test is about starting, and the queue it
    # leaves is drained at its end.
    youtube.playlist("PLcourse00000000000003", 3, minutes=5)
    monkeypatch.setenv("SIGNUP_CREDITS", "0")
    poor = register(client)
    course = listed_course(client, stack, poor, "PLcourse00000000000003")
    assert course["credits_estimate"] == 3
    refused = start(client, poor, course["course_id"])
    assert refused.status_code == 402 and "1 credit" in refused.json_body["Message"]
    assert course_of(client, poor, course["course_id"])["status"] == "ready"
    assert balance(client, poor) == 0

    grant(client, user, 10)
    course = listed_course(client, stack, user, "PLcourse00000000000003")
    started = start(client, user, course["course_id"])
    assert started.status_code == 202, started.body
    assert started.json_body["status"] == "running"
    assert start(client, user, course["course_id"]).status_code == 409
    work(stack)


def test_a_student_creates_at_most_the_daily_number_of_courses(client, user, other_user,
                                                                monkeypatch) -> None:
    # Each playlist is listed from the service's address, under a pace every student
    # shares: one student cannot create courses without end.
    monkeypatch.setenv("COURSES_DAILY_LIMIT", "2")

    def create(who: dict):
        return call(client, "POST", "/courses", token=who["id_token"],
                    body={"url": "https://www.youtube.com/playlist?list=PLdaily000000000001"})

    assert [create(user).status_code for _ in range(2)] == [202, 202]
    refused = create(user)
    assert refused.status_code == 429
    assert "at most 2 courses a day" in refused.json_body["Message"]
    assert call(client, "GET", "/courses", token=user["id_token"]).json_body["count"] == 2
    assert create(other_user).status_code == 202  # a count of its own


def test_a_playlist_whose_listing_cannot_be_queued_leaves_no_course_and_no_count(
        client, user, monkeypatch, stack) -> None:
    monkeypatch.setenv("COURSES_DAILY_LIMIT", "1")
    body = {"url": "https://www.youtube.com/playlist?list=PLqueue0000000000001"}
    monkeypatch.setenv("VIDEO_QUEUE_URL", stack["VideoQueueUrl"] + "-missing")
    refused = call(client, "POST", "/courses", token=user["id_token"], body=body)
    assert refused.status_code == 503
    assert "no course was made" in refused.json_body["Message"]
    assert call(client, "GET", "/courses", token=user["id_token"]).json_body["count"] == 0
    # The queue is back: the day's one course is still the student's to make.
    monkeypatch.setenv("VIDEO_QUEUE_URL", stack["VideoQueueUrl"])
    made = call(client, "POST", "/courses", token=user["id_token"], body=body)
    assert made.status_code == 202 and made.json_body["status"] == "listing"


def test_courses_dynamodb_leaves_unread_are_read_again(client, user, monkeypatch) -> None:
    # Over its capacity DynamoDB answers a BatchGetItem with keys left in UnprocessedKeys:
    # they are asked again after a jittered wait, and every course shows its count.
    made = [call(client, "POST", "/courses", token=user["id_token"],
                 body={"title": f"Course {n}", "videos": ["dQw4w9WgXcQ"]}).json_body
            for n in range(3)]
    for course in made:
        aws.client("dynamodb").update_item(
            TableName=config.required("COURSES_TABLE"),
            Key={"course_id": {"S": course["course_id"]}},
            UpdateExpression="SET skipped_count = :n", ExpressionAttributeValues={
                ":n": {"N": str(int(course["title"][-1]) + 1)}})
    answered: list[int] = []

    def leave_unread(parsed: dict, **_) -> None:
        answered.append(len(answered))
        if len(answered) > 2:
            return
        for table_name, rows in parsed.get("Responses", {}).items():
            kept, left = rows[:1], rows[1:]  # one answered, the rest left for later
            parsed["Responses"][table_name] = kept
            parsed.setdefault("UnprocessedKeys", {})[table_name] = {
                "Keys": [{"course_id": row["course_id"]} for row in left]}

    waits: list[float] = []
    monkeypatch.setattr(db.time, "sleep", waits.append)
    events = aws.client("dynamodb").meta.events
    events.register("after-call.dynamodb.BatchGetItem", leave_unread)
    try:
        listed = call(client, "GET", "/courses", token=user["id_token"]).json_body["courses"]
    finally:
        events.unregister("after-call.dynamodb.BatchGetItem", leave_unread)
    assert sorted((c["title"], c["skipped_count"]) for c in listed) == [
        ("Course 0", 1), ("Course 1", 2), ("Course 2", 3)]
    assert len(answered) == 3 and len(waits) == 2
    assert all(0 <= wait <= min(course_store.BATCH_GET_CAP_SECONDS,
                                course_store.BATCH_GET_BACKOFF_SECONDS * 2 ** attempt)
               for attempt, wait in enumerate(waits, start=1))


def test_a_retry_waits_a_random_share_of_its_bound() -> None:
    waits = [db.backoff_seconds(3, base=0.05, cap=1.0) for _ in range(200)]
    assert all(0 <= wait <= 0.4 for wait in waits) and len(set(waits)) > 100
    assert max(db.backoff_seconds(30, base=0.05, cap=1.0) for _ in range(50)) <= 1.0
