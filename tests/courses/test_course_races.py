"""Concurrency and money (docs/DESIGN.md sections 5 and 14): a course started twice at
once, advanced by many workers at once, a purchase racing the lectures that wait for
credits, a course deleted mid-run, and its lectures through the cleanup and the
dead-letter path. Whatever the order, the ledger adds up and no lecture is charged
twice."""
from __future__ import annotations

import json
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from chalicelib.core import aws, config, db
from chalicelib.courses import runner
from chalicelib.processing import cleanup, handlers
from tests.conftest import call, ledger, ledger_total, queued_jobs
from tests.courses.conftest import (
    completed_course,
    course_of,
    grant,
    listed_course,
    start,
    work,
)
from tests.processing.test_pipeline import drain

THREADS = 8


def videos_of(client, user) -> list[dict]:
    return call(client, "GET", "/videos?limit=100", token=user["id_token"]).json_body["videos"]


def charged_once(client, user) -> None:
    """Each YouTube video of the user was reserved (paid) at most once while live."""
    reserves = Counter(row["metadata"].get("video_id") for row in ledger(client, user)
                       if row["type"] == "usage" and row["amount"] < 0)
    assert all(count == 1 for count in reserves.values()), reserves
    per_lecture = Counter(video["youtube_video_id"] for video in videos_of(client, user)
                          if video["status"] != "failed")
    assert all(count == 1 for count in per_lecture.values()), per_lecture


def test_a_course_started_twice_at_once_starts_once(client, stack, user, youtube):
    grant(client, user, 20)
    youtube.playlist("PLrace000000000000001", 6)
    course = listed_course(client, stack, user, "PLrace000000000000001")
    with ThreadPoolExecutor(THREADS) as pool:
        codes = list(pool.map(lambda _: start(client, user, course["course_id"]).status_code,
                              range(THREADS)))
    assert sorted(codes) == [202] + [409] * (THREADS - 1)
    work(stack)
    assert course_of(client, user, course["course_id"])["status"] == "completed"
    charged_once(client, user)
    assert ledger_total(client, user) == (17, 17)


def test_many_workers_advancing_one_course_submit_each_lecture_once(client, stack, user,
                                                                    youtube, monkeypatch):
    grant(client, user, 20)
    monkeypatch.setenv("COURSE_LECTURES_IN_FLIGHT", "3")
    youtube.playlist("PLrace000000000000002", 8)
    course = listed_course(client, stack, user, "PLrace000000000000002")
    start(client, user, course["course_id"])
    for _ in range(4):
        with ThreadPoolExecutor(THREADS) as pool:
            list(pool.map(lambda _: runner.advance(course["course_id"], user["user_id"]),
                          range(THREADS)))
        work(stack, rounds=3)
    work(stack)
    done = course_of(client, user, course["course_id"])
    assert done["status"] == "completed", done
    assert done["credits_charged"] == 8
    charged_once(client, user)
    assert ledger_total(client, user) == (15, 15)


def test_a_lecture_paid_by_the_course_is_never_recorded_as_linked(client, stack, user,
                                                                  youtube, monkeypatch):
    """Two advances pick the same lecture: one creates (and charges) its video, the other
    finds that video already submitted and records first, as an owned lecture would be
    ("linked", 0 credits). The course's own charge must still show, and a delete must
    still reach it."""
    from chalicelib.courses import course_store
    from chalicelib.videos import submissions

    grant(client, user, 20)
    youtube.playlist("PLrace000000000000009", 4)
    course = listed_course(client, stack, user, "PLrace000000000000009")
    real_submit = submissions.submit

    def slower_to_return(*args, **kwargs):  # the real submit; its SQS send is slow
        submitted = real_submit(*args, **kwargs)
        time.sleep(0.3)
        return submitted

    monkeypatch.setattr(submissions, "submit", slower_to_return)

    def running(stored):  # what start does before its own advance
        stored["status"] = "running"
        return stored

    course_store.change(course["course_id"], user["user_id"], running)
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda _: runner.advance(course["course_id"], user["user_id"]),
                      range(2)))
    stored = course_store.load(course["course_id"], user["user_id"])
    assert not any(lecture.get("linked") for lecture in stored["lectures"]), \
        stored["lectures"]
    work(stack)
    done = course_of(client, user, course["course_id"])
    assert done["status"] == "completed", done
    assert done["credits_charged"] == 4
    charged_once(client, user)


def test_two_workers_finishing_a_course_at_once_leave_its_index_note(client, stack, user,
                                                                     youtube, monkeypatch,
                                                                     caplog):
    """The last two lectures settle together: both advances finish the course and write
    its index note at once. The second write fails (the note changed since it read it);
    it must write again, or a course could complete without its index note."""
    import logging

    from chalicelib.courses import course_store
    from chalicelib.notes import note_store

    first = completed_course(client, stack, user, youtube, "PLrace000000000000010")
    course = first
    # Its index note's item gone, as before the course was first finished.
    aws.client("dynamodb").delete_item(TableName=config.notes_table(),
                                       Key={"note_id": {"S": first["index_note_id"]}})

    def settled_but_running(stored):  # as both advances find it, before any index note
        stored["status"] = "running"
        stored.pop("index_note_id", None)
        return stored

    course_store.change(course["course_id"], user["user_id"], settled_but_running)
    real_put_files = note_store._put_files

    def slower_to_write(*args, **kwargs):  # both read the note before either writes it
        time.sleep(0.3)
        return real_put_files(*args, **kwargs)

    monkeypatch.setattr(note_store, "_put_files", slower_to_write)
    with caplog.at_level(logging.INFO, logger="chalicelib.courses.index_note"), \
            ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda _: runner.advance(course["course_id"], user["user_id"]),
                      range(2)))
    assert [record.getMessage() for record in caplog.records
            if record.levelno >= logging.ERROR] == []
    done = course_of(client, user, course["course_id"])
    assert done["status"] == "completed" and done.get("index_note_id"), done
    note = call(client, "GET", f"/notes/{done['index_note_id']}", token=user["id_token"])
    assert note.status_code == 200, note.body


def test_a_purchase_racing_the_lectures_waiting_for_credits(client, stack, user, youtube,
                                                            monkeypatch):
    monkeypatch.setenv("COURSE_CREDIT_CHECK_SECONDS", "1")
    youtube.playlist("PLrace000000000000003", 7)
    course = listed_course(client, stack, user, "PLrace000000000000003")
    start(client, user, course["course_id"])  # 3 credits for 7 lectures
    work(stack)
    assert Counter(lecture["status"] for lecture in
                   course_of(client, user, course["course_id"])["lectures"]) == \
        {"completed": 3, "needs_credits": 4}

    def purchase(_: int) -> None:
        grant(client, user, 1)

    def nudge(_: int) -> None:
        runner.advance(course["course_id"], user["user_id"])

    with ThreadPoolExecutor(THREADS) as pool:  # four credits arrive while workers advance
        list(pool.map(lambda n: purchase(n) if n % 2 else nudge(n), range(THREADS)))
    time.sleep(1.5)
    work(stack)
    runner.advance(course["course_id"], user["user_id"])
    work(stack)
    done = course_of(client, user, course["course_id"])
    assert done["status"] == "completed", done
    assert done["credits_charged"] == 7
    charged_once(client, user)
    assert ledger_total(client, user) == (0, 0)


def test_deleting_a_course_mid_run_drops_the_rest_and_refunds_what_ran(client, stack, user,
                                                                       youtube):
    grant(client, user, 10)
    youtube.playlist("PLrace000000000000004", 6)
    course = listed_course(client, stack, user, "PLrace000000000000004")
    start(client, user, course["course_id"])  # two lectures queued and reserved

    def advance(_: int) -> None:
        try:
            runner.advance(course["course_id"], user["user_id"])
        except Exception:  # noqa: BLE001 - 404 once deleted: what a late worker sees
            pass

    with ThreadPoolExecutor(THREADS) as pool:
        futures = [pool.submit(advance, n) for n in range(THREADS - 1)]
        deleted = pool.submit(lambda: call(client, "DELETE",
                                           f"/courses/{course['course_id']}?keep_notes=false",
                                           token=user["id_token"]))
        [future.result() for future in futures]
    assert deleted.result().status_code == 204
    assert call(client, "GET", f"/courses/{course['course_id']}",
                token=user["id_token"]).status_code == 404
    work(stack)  # the deleted videos' jobs are dropped
    assert videos_of(client, user) == []
    assert ledger_total(client, user) == (13, 13)  # everything reserved came back
    charged_once(client, user)


def test_deleting_a_course_keeping_notes_lets_started_lectures_finish(client, stack, user,
                                                                      youtube):
    grant(client, user, 10)
    youtube.playlist("PLrace000000000000005", 5)
    course = listed_course(client, stack, user, "PLrace000000000000005")
    start(client, user, course["course_id"])
    assert call(client, "DELETE", f"/courses/{course['course_id']}",
                token=user["id_token"]).status_code == 204
    work(stack)
    videos = videos_of(client, user)
    assert len(videos) == 2 and {v["status"] for v in videos} == {"completed"}
    assert ledger_total(client, user) == (11, 11)  # the two that ran, nothing else


def test_a_lecture_given_up_on_fails_and_the_course_goes_on(client, stack, user, youtube):
    grant(client, user, 10)
    youtube.playlist("PLrace000000000000006", 3)
    course = listed_course(client, stack, user, "PLrace000000000000006")
    start(client, user, course["course_id"])
    jobs = [job for job in queued_jobs(stack) if "video_id" in job]
    assert len(jobs) == 2
    # SQS gave up on the first lecture's job (the dead-letter queue), twice: at least once.
    for _ in range(2):
        assert handlers.handle_dead_letter(json.dumps(jobs[0])) in ("failed", "left alone: failed")
    # The second lecture's message was lost and its video is stuck: the cleanup.
    drain(stack["VideoQueueUrl"])
    later = time.time() + 2 * cleanup.QUEUED_DEADLINE_SECONDS
    aws.client("dynamodb").update_item(
        TableName=config.videos_table(), Key=db.to_item({"video_id": jobs[1]["video_id"]}),
        UpdateExpression="SET requeued = :one", ExpressionAttributeValues=db.values(one=1))
    cleanup.cleanup(now=later)
    work(stack)
    done = course_of(client, user, course["course_id"])
    assert [lecture["status"] for lecture in done["lectures"]] == \
        ["failed", "failed", "completed"], done
    assert done["status"] == "completed" and done["credits_charged"] == 1
    assert ledger_total(client, user) == (12, 12)
    charged_once(client, user)
