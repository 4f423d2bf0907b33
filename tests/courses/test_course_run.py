"""A course run end to end (docs/DESIGN.md section 14): lectures become ordinary videos in
order, a few in flight, paced across the service; credits run out and come back;
YouTube refuses one and the student's upload takes its place; the index note, the
course's cards and its review."""
from __future__ import annotations

import io
import json
import time
import zipfile

import requests

from chalicelib.core import db
from chalicelib.courses import course_store, pace
from testkit.lectures import lecture
from tests.conftest import call, ledger_total, queued_jobs
from tests.courses.conftest import (
    completed_course,
    course_of,
    grant,
    listed_course,
    start,
    work,
)
from tests.processing.test_uploads import rolling_vtt


def videos_of(client, user) -> list[dict]:
    return call(client, "GET", "/videos?limit=100", token=user["id_token"]).json_body["videos"]


def test_a_course_runs_in_order_with_its_index_note_and_cards(client, stack, user, youtube,
                                                              monkeypatch):
    grant(client, user, 10)
    ids = youtube.playlist("PLrun0000000000000001", 4, unavailable={3: "[Deleted video]"})
    course = listed_course(client, stack, user, "PLrun0000000000000001")
    started = start(client, user, course["course_id"]).json_body
    # Two in flight (the default), in order; nothing else submitted yet.
    assert [lecture["status"] for lecture in started["lectures"]] == \
        ["queued", "queued", "skipped", "pending"]
    assert [v["youtube_video_id"] for v in videos_of(client, user)] == [ids[1], ids[0]]
    work(stack)
    done = course_of(client, user, course["course_id"])
    assert done["status"] == "completed", done
    assert [lecture["status"] for lecture in done["lectures"]] == \
        ["completed", "completed", "skipped", "completed"]
    assert done["completed_count"] == 3 and done["progress"] == 100
    assert done["credits_charged"] == 3
    assert ledger_total(client, user) == (10, 10)  # 3 + 10 granted - 3 used
    # The index note: lectures in order with [[links]], and where each concept is first
    # explained (the same lecture text: every concept is first met in lecture 1).
    note = call(client, "GET", f"/notes/{done['index_note_id']}?include_content=true",
                token=user["id_token"]).json_body
    content = note["content"]
    titles = [call(client, "GET", f"/notes/{lec['note_id']}", token=user["id_token"])
              .json_body["title"] for lec in done["lectures"] if lec.get("note_id")]
    assert "## Lectures" in content and "## Concept index" in content
    order = [content.index(f"[[{title}]]") for title in titles]
    assert order == sorted(order)
    assert any(line.startswith("3. ") and line.endswith("(skipped)")
               for line in content.splitlines())
    concepts = [line for line in content.splitlines() if line.startswith("- **")]
    assert concepts and all("first explained in lecture 1," in line for line in concepts)
    assert f"https://www.youtube.com/watch?v={ids[0]}&t=" in content
    # Its cards are the course's: reviewed alone.
    due = call(client, "GET", f"/reviews/due?course_id={course['course_id']}&limit=100",
               token=user["id_token"]).json_body
    assert due["count"] > 0
    assert {card["course_id"] for card in due["cards"]} == {course["course_id"]}
    assert {card["note_id"] for card in due["cards"]} == \
        {lec["note_id"] for lec in done["lectures"] if lec.get("note_id")}
    stats = call(client, "GET", f"/reviews/stats?course_id={course['course_id']}",
                 token=user["id_token"]).json_body
    assert stats["cards"] == sum(1 for _ in call(
        client, "GET", f"/reviews/due?course_id={course['course_id']}&limit=100",
        token=user["id_token"]).json_body["cards"]) or stats["cards"] >= due["count"]
    # The vault export: the course is a folder of its own, its index note and its lectures'
    # notes in it, in place of their categories' folders.
    names = vault_names(client, user)
    folder = f"Study Buddy/{done['title']}/"
    assert f"{folder}{note['title']}.md" in names
    assert {f"{folder}{title}.md" for title in titles} <= names
    assert not any(name.endswith(f"/{title}.md") and not name.startswith(folder)
                   for name in names for title in titles)
    # The index note is the course's own: deleted with it, even when its lectures'
    # notes are kept (the default), never left behind without a way to delete it.
    assert call(client, "DELETE", f"/courses/{course['course_id']}",
                token=user["id_token"]).status_code == 204
    assert call(client, "GET", f"/notes/{done['index_note_id']}",
                token=user["id_token"]).status_code == 404
    for note_id in [lec["note_id"] for lec in done["lectures"] if lec.get("note_id")]:
        assert call(client, "GET", f"/notes/{note_id}",
                    token=user["id_token"]).status_code == 200


def vault_names(client, user) -> set[str]:
    body = call(client, "GET", "/notes/export?format=obsidian", token=user["id_token"]).json_body
    data = requests.get(body["url"], timeout=10).content
    return set(zipfile.ZipFile(io.BytesIO(data)).namelist())


def test_a_lecture_the_student_has_is_linked_not_paid_again(client, stack, user, youtube):
    grant(client, user, 10)
    ids = youtube.playlist("PLrun0000000000000002", 2)
    had = call(client, "POST", "/videos", token=user["id_token"],
               body={"url": f"https://youtu.be/{ids[0]}"}).json_body
    work(stack)
    course = listed_course(client, stack, user, "PLrun0000000000000002")
    # Known as the student's when listed: free in the estimate, linked when it starts.
    assert course["credits_estimate"] == 1
    assert [lecture.get("owned") for lecture in course["lectures"]] == [True, None]
    start(client, user, course["course_id"])
    work(stack)
    done = course_of(client, user, course["course_id"])
    assert done["status"] == "completed"
    assert done["lectures"][0]["video_id"] == had["video_id"]
    assert done["credits_charged"] == 1  # only the second lecture was paid by the course
    assert len(videos_of(client, user)) == 2
    assert ledger_total(client, user) == (11, 11)


def test_the_pace_holds_lectures_to_the_next_minute(client, stack, user, youtube,
                                                    monkeypatch):
    grant(client, user, 10)
    youtube.playlist("PLrun0000000000000003", 5, minutes=5)
    course = listed_course(client, stack, user, "PLrun0000000000000003")
    monkeypatch.setenv("COURSE_LECTURES_IN_FLIGHT", "50")
    for _ in range(3):  # a minute boundary during the start would refill the pace
        minute = course_store.now_minute()
        taken = (db.get(course_store.table(), {"course_id": f"pace#{minute}"},
                        consistent=True) or {}).get("taken", 0)
        monkeypatch.setenv("COURSE_FETCHES_PER_MINUTE", str(int(taken) + 2))
        started = start(client, user, course["course_id"]).json_body
        if course_store.now_minute() == minute:
            break
        time.sleep(1)
    statuses = [lecture["status"] for lecture in started["lectures"]]
    assert statuses == ["queued", "queued", "pending", "pending", "pending"]
    record = course_store.load(course["course_id"], user["user_id"])
    assert record is not None and record["tick_at"] > time.time()
    ticks = [job for job in _all_messages(stack) if job.get("kind") == "course"]
    assert ticks == [] or all(job["action"] == "tick" for job in ticks)
    assert pace.per_minute() == int(taken) + 2


def test_a_listing_waits_for_the_pace_like_a_lecture(client, stack, user, youtube,
                                                     monkeypatch):
    """A playlist's listing is requests to YouTube too: with the minute's pace spent,
    many courses created at once list nothing until the next minute."""
    youtube.playlist("PLrun0000000000000009", 3, minutes=5)
    made: list[str] = []
    for _ in range(3):  # a minute boundary in between refills the pace: try again
        youtube.ytdlp.requests.clear()
        minute = course_store.now_minute()
        taken = (db.get(course_store.table(), {"course_id": f"pace#{minute}"},
                        consistent=True) or {}).get("taken", 0)
        monkeypatch.setenv("COURSE_FETCHES_PER_MINUTE", str(max(1, int(taken))))
        pace.take()  # the minute's last token, if one was left
        created = call(client, "POST", "/courses", token=user["id_token"], body={
            "url": "https://www.youtube.com/playlist?list=PLrun0000000000000009"})
        assert created.status_code == 202, created.body
        made.append(created.json_body["course_id"])
        work(stack)
        if course_store.now_minute() == minute:
            break
    course = course_of(client, user, created.json_body["course_id"])
    assert course["status"] == "listing"
    assert youtube.ytdlp.requests == []  # YouTube was not asked
    # Its listing waits in the queue (delayed to the next minute): deleted, the course
    # drops it unread, so no later test's worker lists it.
    for course_id in made:
        deleted = call(client, "DELETE", f"/courses/{course_id}", token=user["id_token"])
        assert deleted.status_code == 204, deleted.body


def _all_messages(stack) -> list[dict]:
    return queued_jobs(stack)


def waiting_for_credits(client, stack, user, youtube, list_id: str) -> dict:
    """A started five-lecture course whose last two lectures wait for credits (a new
    student's 3 credits pay the first three)."""
    youtube.playlist(list_id, 5)
    course = listed_course(client, stack, user, list_id)
    start(client, user, course["course_id"])
    work(stack)
    waiting = course_of(client, user, course["course_id"])
    assert [lecture["status"] for lecture in waiting["lectures"]] == \
        ["completed"] * 3 + ["needs_credits"] * 2
    assert waiting["status"] == "running"
    return waiting


def test_out_of_credits_waits_and_goes_on_after_credits_arrive(client, stack, user, youtube,
                                                               monkeypatch):
    monkeypatch.setenv("COURSE_CREDIT_CHECK_SECONDS", "1")
    waiting = waiting_for_credits(client, stack, user, youtube, "PLrun0000000000000004")
    course = waiting
    assert "credits" in waiting["lectures"][3]["message"]
    assert ledger_total(client, user) == (0, 0)
    grant(client, user, 2)  # as `make credits` or a purchase would
    time.sleep(1.5)  # the credit check's tick
    work(stack)
    done = course_of(client, user, course["course_id"])
    assert done["status"] == "completed", done
    assert done["credits_charged"] == 5 and ledger_total(client, user) == (0, 0)


def test_a_purchase_sends_the_waiting_lectures_on_at_once(client, stack, user, youtube,
                                                          monkeypatch):
    # The credit check is 5 minutes away (the default): the purchase itself, through
    # the real signed webhook, starts the lectures that waited for credits.
    import stripe

    from testkit import fake_stripe

    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", "whsec_test_courses")
    course = waiting_for_credits(client, stack, user, youtube, "PLrun0000000000000010")
    paid = json.dumps(fake_stripe.event("checkout.session.completed", {
        "id": "cs_test_courses01", "object": "checkout.session", "mode": "payment",
        "status": "complete", "payment_status": "paid", "amount_total": 999,
        "currency": "usd", "client_reference_id": user["user_id"],
        "payment_intent": "pi_test_courses01",
        "metadata": {"user_id": user["user_id"], "package": "basic", "credits": "10"}}))
    delivered = call(client, "POST", "/webhooks/stripe", body=paid, headers={
        "Stripe-Signature": stripe.WebhookSignature.generate_signature_header(
            paid, "whsec_test_courses")})
    assert delivered.status_code == 200, delivered.body
    moving = course_of(client, user, course["course_id"])
    assert [lecture["status"] for lecture in moving["lectures"]][3:] == ["queued"] * 2, \
        moving["lectures"]
    work(stack)
    done = course_of(client, user, course["course_id"])
    assert done["status"] == "completed", done
    assert done["credits_charged"] == 5 and ledger_total(client, user) == (8, 8)  # 10 bought


def test_a_lecture_youtube_refuses_waits_for_the_students_upload(client, stack, user,
                                                                  youtube):
    grant(client, user, 10)
    ids = youtube.playlist("PLrun0000000000000005", 2)
    youtube.api.videos[ids[1]].captions = False  # no captions at all
    course = listed_course(client, stack, user, "PLrun0000000000000005")
    start(client, user, course["course_id"])
    work(stack)
    waiting = course_of(client, user, course["course_id"])
    assert [lecture["status"] for lecture in waiting["lectures"]] == \
        ["completed", "needs_upload"]
    assert "Upload its captions" in waiting["lectures"][1]["message"]
    assert "Submit page" in waiting["lectures"][1]["message"]  # the web client's words, not the API's
    assert waiting["status"] == "running"
    vtt = rolling_vtt(10)
    uploaded = call(client, "POST", "/videos", token=user["id_token"],
                    body={"url": f"https://youtu.be/{ids[1]}", "transcript": vtt})
    assert uploaded.status_code == 202, uploaded.body
    work(stack)
    done = course_of(client, user, course["course_id"])
    assert done["lectures"][1]["status"] == "completed", done
    assert done["lectures"][1]["video_id"] == uploaded.json_body["video_id"]
    assert done["status"] == "completed"


def test_nothing_listed_is_fetched_before_start(client, stack, user, youtube):
    youtube.playlist("PLrun0000000000000006", 3)
    listed_course(client, stack, user, "PLrun0000000000000006")
    assert not any(request.path == "/watch" for request in youtube.ytdlp.requests)
    assert youtube.api.requests == [] or not any("timedtext" in r for r in youtube.api.requests)
    assert videos_of(client, user) == []


def test_a_course_is_paced_not_held_by_the_per_user_limits(client, stack, user, youtube,
                                                           monkeypatch):
    monkeypatch.setenv("SUBMIT_LIMIT_PER_HOUR", "1")
    grant(client, user, 10)
    ids = youtube.playlist("PLrun0000000000000007", 4)
    course = listed_course(client, stack, user, "PLrun0000000000000007")
    start(client, user, course["course_id"])
    work(stack)
    done = course_of(client, user, course["course_id"])
    assert done["status"] == "completed" and done["completed_count"] == 4, done
    # The student's own submissions keep their limit (the course's did not count).
    first = call(client, "POST", "/videos", token=user["id_token"],
                 body={"url": f"https://youtu.be/{youtube.api.add(lecture(5)).video_id}"})
    assert first.status_code == 202, first.body
    second = call(client, "POST", "/videos", token=user["id_token"],
                  body={"url": f"https://youtu.be/{youtube.api.add(lecture(5)).video_id}"})
    assert second.status_code == 429
    assert len(ids) == 4


def test_a_deleted_lectures_note_is_no_longer_done_in_its_course(client, stack, user, youtube):
    done = completed_course(client, stack, user, youtube, "PLrun0000000000000010")
    course = done
    assert done["completed_count"] == 2
    gone = done["lectures"][0]
    assert call(client, "DELETE", f"/videos/{gone['video_id']}",
                token=user["id_token"]).status_code == 204
    after = course_of(client, user, course["course_id"])
    first = after["lectures"][0]
    assert first["status"] == "failed" and "You deleted its note" in first["message"]
    assert "note_id" not in first and "video_id" not in first
    assert after["completed_count"] == 1 and after["status"] == "completed"
    # The index note is written again: the lecture left is the only one with a note.
    index = call(client, "GET", f"/notes/{after['index_note_id']}?include_content=true",
                 token=user["id_token"]).json_body["content"]
    assert "1 of 2 lectures have notes" in index


def test_a_lecture_deleted_in_flight_is_refunded_and_the_course_goes_on(client, stack, user,
                                                                       youtube):
    grant(client, user, 10)
    youtube.playlist("PLrun0000000000000011", 3)
    course = listed_course(client, stack, user, "PLrun0000000000000011")
    started = start(client, user, course["course_id"]).json_body
    assert [lec["status"] for lec in started["lectures"]] == ["queued", "queued", "pending"]
    assert call(client, "DELETE", f"/videos/{started['lectures'][0]['video_id']}",
                token=user["id_token"]).status_code == 204
    after = course_of(client, user, course["course_id"])
    first = after["lectures"][0]
    assert first["status"] == "failed" and "before it was done" in first["message"]
    assert not first.get("credits_charged")
    assert after["lectures"][2]["status"] == "queued"  # the next one went at once
    work(stack)
    done = course_of(client, user, course["course_id"])
    assert done["status"] == "completed" and done["completed_count"] == 2
    assert done["credits_charged"] == 2
