"""A course's life (docs/DESIGN.md section 14): made, listed, started, advanced lecture by
lecture, and deleted. The course item is written only through
chalicelib.courses.course_store; its lectures become ordinary videos through
chalicelib.videos.submissions (the same pricing, refunds and duplicate rule as POST
/videos), so a lecture is never charged twice: a second submit of one lecture is the
duplicate rule's 409, and the course links the video it names.

Advancing (`advance`) is what every event calls: a start, a lecture's video
finishing or failing (chalicelib.courses.progress), a scheduled tick (the pace, or a
check for credits). It reads the course's in-flight lectures' videos, moves each
lecture to its video's state, then submits the next pending lectures in order while
fewer than `lectures_in_flight()` are in flight and the service's pace allows
(chalicelib.courses.pace). Out of credits, the lecture and every later pending one
wait as `needs_credits`; a tick checks the balance every CREDIT_CHECK_SECONDS and
puts them back when it covers the next one, whatever brought the credits (a Stripe
payment, the sandbox, `make credits`, a refund). A lecture YouTube refused, or
without captions, waits as `needs_upload`: once the student uploads its captions
(POST /videos with `transcript`), the video that makes is the lecture's.
"""
from __future__ import annotations

import logging
import time
import uuid
from typing import Any

from chalicelib.accounts import users
from chalicelib.core import config, db
from chalicelib.core.errors import (
    BadRequestError,
    ConflictError,
    PaymentRequired,
    ServiceUnavailableError,
    TooManyRequestsError,
)
from chalicelib.courses import course_store, index_note, messages, pace
from chalicelib.courses.course_store import Gone
from chalicelib.courses.playlist import Listing
from chalicelib.courses.records import Course, Lecture
from chalicelib.ledger import movements, pricing
from chalicelib.videos import submissions, video_store
from chalicelib.videos.records import Video

log = logging.getLogger(__name__)

IN_FLIGHT = ("queued", "processing")
WAITING = ("needs_credits", "needs_upload")
# Settled with no video to make: what a finished course may hold.
FINAL = ("completed", "failed", "skipped")
CREDIT_CHECK_SECONDS = 300
WAIT_FOR_CREDITS_DAYS = 7
# Why YouTube's captions cannot be had for a video, where the student's own can.
UPLOAD_CODES = frozenset({"captions_disabled", "no_transcript", "age_restricted",
                          "members_only", "premium_only", "video_private",
                          "transcript_empty", "youtube_unreachable"})
UPLOAD_HINT = (" Upload its captions (a WebVTT or SRT file) on the Submit page: the course "
               "goes on with them.")


def lectures_in_flight() -> int:
    """Lectures of one course queued or processing at once (COURSE_LECTURES_IN_FLIGHT,
    default 2): a course moves on while one lecture is written, and never fills the
    worker's queue alone."""
    return max(1, int(config.env("COURSE_LECTURES_IN_FLIGHT", "2") or 2))


def credit_check_seconds() -> int:
    return max(1, min(900, int(config.env("COURSE_CREDIT_CHECK_SECONDS",
                                          str(CREDIT_CHECK_SECONDS)) or CREDIT_CHECK_SECONDS)))


# --- making a course -----------------------------------------------------------------

def lecture_credits(lecture: Lecture) -> int:
    """What a lecture is estimated to cost (its duration's price; one credit unknown)."""
    return pricing.credits_for(lecture.get("duration_seconds") or 1)


def new_course(user_id: str, *, title: str, source_url: str, subject: str | None,
               lectures: list[Lecture], status: str) -> Course:
    """A new course (429 past the student's daily number: each playlist is listed from
    the service's address, and the service-wide pace is shared by every student)."""
    limit = config.courses_daily_limit()
    now = db.now_iso()
    if not users.count_daily(user_id, "course", now[:10], limit):
        raise TooManyRequestsError(
            f"You can create at most {limit} courses a day. Start or delete the ones "
            "you have, or try again tomorrow.")
    course: Course = {
        "course_id": uuid.uuid4().hex, "user_id": user_id, "title": title,
        "source_url": source_url, "status": "listing", "lecture_count": 0,
        "completed_count": 0, "credits_estimate": 0, "credits_charged": 0,
        "created_at": now, "updated_at": now, "lectures": [], "subject": subject}
    course = summarised(course, lectures)
    course["status"] = "ready" if status == "ready" else "listing"
    return course_store.create(course)


def new_playlist_course(user_id: str, *, list_id: str, source_url: str,
                        subject: str | None) -> Course:
    """A course to be listed by the worker. If its listing job cannot be queued, the
    course is taken back with the day's count it spent (503): a course left `listing`
    would wait for a job that never comes."""
    # Named by what it is until the worker reads its title from YouTube.
    course = new_course(user_id, title=f"YouTube playlist {list_id}", source_url=source_url,
                        subject=subject, lectures=[], status="listing")
    try:
        messages.send_list(course["course_id"], user_id)
    except Exception as exc:  # any failure to queue undoes the course
        log.error("course %s: listing not queued (%s); taking the course back",
                  course["course_id"], exc)
        course_store.delete(course["course_id"], user_id)
        users.uncount_daily(user_id, "course", course["created_at"][:10])
        raise ServiceUnavailableError("The playlist could not be queued for reading; no "
                                      "course was made. Try again shortly.") from exc
    return course


def summarised(course: Course, lectures: list[Lecture] | None = None) -> Course:
    """The course with its counts and credits recomputed from its lectures."""
    if lectures is not None:
        course["lectures"] = lectures
    course["lecture_count"] = len(course["lectures"])
    course["completed_count"] = sum(1 for lecture in course["lectures"]
                                    if lecture["status"] == "completed")
    course["skipped_count"] = course_store.skipped_count(course["lectures"])
    course["credits_estimate"] = sum(lecture_credits(lecture) for lecture in course["lectures"]
                                     if lecture["status"] != "skipped"
                                     and not lecture.get("linked")
                                     and not (lecture.get("owned")
                                              and lecture["status"] == "pending"))
    course["credits_charged"] = sum(int(lecture.get("credits_charged") or 0)
                                    for lecture in course["lectures"]
                                    if not lecture.get("linked"))
    course["updated_at"] = db.now_iso()
    return course


def listed(course_id: str, user_id: str, listing: Listing) -> Course:
    """The worker listed the playlist: the course is ready with its lectures."""
    lectures: list[Lecture] = []
    for position, entry in enumerate(listing.entries, start=1):
        lecture: Lecture = {"position": position, "youtube_video_id": entry.youtube_video_id,
                            "title": entry.title, "duration_seconds": entry.duration_seconds,
                            "status": "skipped" if entry.skipped else "pending"}
        if entry.skipped:
            lecture["message"] = entry.skipped
        elif _owned(user_id, entry.youtube_video_id):
            lecture["owned"] = True
        lectures.append(lecture)

    def ready(course: Course) -> Course | None:
        if course["status"] != "listing":
            return None
        course = summarised(course, lectures)
        course["title"] = listing.title
        course["status"] = "ready" if lectures else "failed"
        if not lectures:
            course["message"] = "This playlist has no videos."
        elif listing.truncated:
            course["message"] = (f"The playlist has more than {len(lectures)} videos: the "
                                 f"course holds the first {len(lectures)}.")
        return course

    return course_store.change(course_id, user_id, ready)


def _owned(user_id: str, youtube_video_id: str) -> bool:
    """Whether the student has this video now (the duplicate rule would link it)."""
    return video_store.holds_submission(
        video_store.current_submission(user_id, youtube_video_id)[1])


def listing_failed(course_id: str, user_id: str, message: str) -> None:
    def failed(course: Course) -> Course | None:
        if course["status"] != "listing":
            return None
        course["status"] = "failed"
        course["message"] = message
        return course

    try:
        course_store.change(course_id, user_id, failed)
    except Gone:
        pass


# --- starting ------------------------------------------------------------------------

def start(user_id: str, course_id: str) -> Course:
    """ready -> running, once (409 otherwise); 402 when the balance does not cover the
    first lecture to be paid. Then the first lectures are submitted."""
    course = course_store.owned(user_id, course_id)
    _check_startable(course)
    first = next((lecture for lecture in course["lectures"]
                  if lecture["status"] == "pending" and not lecture.get("owned")), None)
    if first is not None and movements.balance(user_id) < lecture_credits(first):
        raise PaymentRequired(
            f"The first lecture costs {lecture_credits(first)} credit(s) and you have "
            f"{movements.balance(user_id)}: buy credits, then start the course.")

    def running(current: Course) -> Course | None:
        _check_startable(current)
        current["status"] = "running"
        return current

    try:
        course_store.change(course_id, user_id, running)
    except Gone as exc:
        raise ConflictError("The course was deleted") from exc
    return advance(course_id, user_id)


def _check_startable(course: Course) -> None:
    if course["status"] == "ready":
        return
    if course["status"] == "listing":
        raise ConflictError("The playlist is still being listed; start it once it is ready")
    if course["status"] == "failed":
        raise ConflictError("This course could not be made; make it again")
    raise ConflictError("This course was already started")


# --- advancing -----------------------------------------------------------------------

def advance(course_id: str, user_id: str, *, tick: bool = False) -> Course:
    """Bring the course up to date and submit what may go now (see the module's doc).
    `tick`: a scheduled tick calls it (its pending tick is now spent)."""
    try:
        course = course_store.change(course_id, user_id,
                                     lambda current: _reconciled(current, tick=tick))
        while course["status"] == "running":
            lecture = _next_to_submit(course)
            if lecture is None:
                break
            if not pace.take():
                course = _schedule(course, pace.seconds_to_next_minute())
                break
            course = _submit(course, lecture)
        if course["status"] == "running" and _settled(course):
            course = _finish(course)
        elif any(lecture["status"] == "needs_credits" for lecture in course["lectures"]):
            course = _wait_for_credits(course)
        return course
    except Gone:
        return course_store.owned(user_id, course_id)  # 404: deleted meanwhile


def _next_to_submit(course: Course) -> Lecture | None:
    in_flight = sum(1 for lecture in course["lectures"] if lecture["status"] in IN_FLIGHT)
    if in_flight >= lectures_in_flight():
        return None
    return next((lecture for lecture in course["lectures"] if lecture["status"] == "pending"),
                None)


def _settled(course: Course) -> bool:
    return all(lecture["status"] in FINAL for lecture in course["lectures"])


def _reconciled(course: Course, *, tick: bool) -> Course | None:
    """Each in-flight or waiting lecture moved to its video's state (None: no change)."""
    changed = False
    if tick and course.get("tick_at"):
        del course["tick_at"]
        changed = True
    if course["status"] != "running":
        return course if changed else None
    balance: int | None = None
    for lecture in course["lectures"]:
        if lecture["status"] in IN_FLIGHT or lecture["status"] == "needs_upload":
            changed |= _follow_video(course["user_id"], lecture)
        elif lecture["status"] == "needs_credits":
            if balance is None:
                balance = movements.balance(course["user_id"])
            if balance >= lecture_credits(lecture):
                balance -= lecture_credits(lecture)
                lecture["status"] = "pending"
                lecture.pop("message", None)
                changed = True
    if not any(lecture["status"] == "needs_credits" for lecture in course["lectures"]) and \
            course.get("waiting_since"):
        del course["waiting_since"]
        changed = True
    return summarised(course) if changed else None


def _follow_video(user_id: str, lecture: Lecture) -> bool:
    """Move the lecture to its video's state; True when it changed. A lecture waiting
    for an upload follows the user's newest submission of that YouTube video."""
    video: Video | None
    if lecture["status"] == "needs_upload":
        named, video = video_store.current_submission(user_id, lecture["youtube_video_id"])
        if video is None or named == lecture.get("video_id"):
            return False
    else:
        video = video_store.load(lecture["video_id"], user_id) if lecture.get("video_id") \
            else None
    before = dict(lecture)
    if video is None:
        lecture["status"] = "failed"
        lecture["message"] = "Its video was deleted."
    else:
        apply_video(lecture, video)
    return dict(lecture) != before


def apply_video(lecture: Lecture, video: Video) -> None:
    """The lecture as its video stands."""
    lecture["video_id"] = video["video_id"]
    lecture["credits_charged"] = int(video.get("credits_charged") or 0)
    if video.get("title"):
        lecture["title"] = str(video["title"])[:200]
    if video.get("duration_seconds"):
        lecture["duration_seconds"] = int(video["duration_seconds"] or 0)
    status = video["status"]
    if status in IN_FLIGHT:
        lecture["status"] = status
        lecture["message"] = str(video.get("status_message") or "")
    elif status == "completed":
        lecture["status"] = "completed"
        lecture["note_id"] = str(video.get("note_id") or video["video_id"])
        lecture.pop("message", None)
    else:
        error = video.get("error") or {"code": "failed", "message": "The lecture failed."}
        lecture["message"] = error["message"]
        if error["code"] == "insufficient_credits":
            lecture["status"] = "needs_credits"
        elif error["code"] in UPLOAD_CODES or (error["code"] == "processing_failed"
                                               and "YouTube" in error["message"]):
            lecture["status"] = "needs_upload"
            lecture["message"] = error["message"].rstrip(".") + "." + UPLOAD_HINT
        else:
            lecture["status"] = "failed"


def _submit(course: Course, lecture: Lecture) -> Course:
    """Submit one lecture as an ordinary video and record what became of it."""
    user_id, position = course["user_id"], lecture["position"]
    course_store.mark_lecture(user_id, lecture["youtube_video_id"], course["course_id"])
    outcome: dict[str, Any] = {}
    created: str | None = None
    try:
        submitted = submissions.submit(user_id, submissions.Submission(
            youtube_video_id=lecture["youtube_video_id"], subject=course.get("subject"),
            limited=False))
        created = str(submitted["video_id"])
        outcome = {"video": video_store.load(created, user_id)}
    except submissions.AlreadySubmitted as exc:
        outcome = {"video": video_store.load(exc.video_id, user_id), "linked": True}
    except PaymentRequired as exc:
        outcome = {"status": "needs_credits", "message": str(exc)}
    except (ServiceUnavailableError, ConflictError) as exc:
        return _schedule(course, 60, message=str(exc))

    def record(current: Course) -> Course | None:
        target = next(item for item in current["lectures"] if item["position"] == position)
        if target["status"] != "pending":
            if created is not None and target.get("linked") and \
                    target.get("video_id") == created:
                # A concurrent advance found the video this one made and recorded it
                # first as already owned: it was paid for by this course.
                target.pop("linked")
                target["credits_charged"] = int(outcome["video"].get("credits_charged") or 0)
                return summarised(current)
            return None  # another advance took it meanwhile (and linked the same video)
        if outcome.get("status") == "needs_credits":
            for item in current["lectures"]:
                if item["position"] >= position and item["status"] == "pending" \
                        and not item.get("owned"):  # linked, not paid, when its turn comes
                    item["status"] = "needs_credits"
                    item["message"] = "Waiting for credits: it goes on by itself once you " \
                                      "buy more."
        elif outcome.get("video") is not None:
            apply_video(target, outcome["video"])
            if outcome.get("linked"):
                target["linked"] = True
                target["credits_charged"] = 0
        else:
            target["status"] = "failed"
            target["message"] = "Its video was deleted."
        current.pop("message", None)
        return summarised(current)

    try:
        return course_store.change(course["course_id"], user_id, record)
    except Gone:
        if created is not None:  # the course went while its lecture was submitted
            submissions.delete(user_id, created, reason="course deleted")
        raise


def _schedule(course: Course, delay_seconds: int, message: str | None = None) -> Course:
    """A tick in `delay_seconds`, unless one is due sooner already."""
    due = int(time.time()) + delay_seconds

    def scheduled(current: Course) -> Course | None:
        if message:
            current["message"] = message
        if current.get("tick_at") and int(current.get("tick_at") or 0) <= due:
            return current if message else None
        current["tick_at"] = due
        return current

    updated = course_store.change(course["course_id"], course["user_id"], scheduled)
    if updated.get("tick_at") == due:
        messages.send_tick(course["course_id"], course["user_id"], delay_seconds)
    return updated


def _wait_for_credits(course: Course) -> Course:
    """Lectures wait for credits: check the balance again later, for a week."""
    now = int(time.time())
    if not course.get("waiting_since"):
        def since(current: Course) -> Course | None:
            current["waiting_since"] = now
            return current
        course = course_store.change(course["course_id"], course["user_id"], since)
    if now - int(course.get("waiting_since") or now) > WAIT_FOR_CREDITS_DAYS * 86400:
        return course  # opening the course (GET) checks again
    return _schedule(course, credit_check_seconds())


def _finish(course: Course) -> Course:
    """Every lecture settled: the course is completed, with its index note."""
    note_id = index_note.write(course)

    def completed(current: Course) -> Course | None:
        if current["status"] == "completed" and note_id and not current.get("index_note_id"):
            # Another worker completed it first, without the note it failed to write.
            current["index_note_id"] = note_id
            return summarised(current)
        if current["status"] != "running" or not _settled(current):
            return None
        current["status"] = "completed"
        if note_id:
            current["index_note_id"] = note_id
        return summarised(current)

    return course_store.change(course["course_id"], course["user_id"], completed)


# --- reading and deleting --------------------------------------------------------------

def current(user_id: str, course_id: str) -> Course:
    """The course as GET shows it: its in-flight lectures as their videos stand now
    (read, not written). A course waiting for credits the balance now covers is
    nudged (a tick is queued)."""
    course = course_store.owned(user_id, course_id)
    for lecture in course["lectures"]:
        if lecture["status"] in IN_FLIGHT and lecture.get("video_id"):
            video = video_store.load(lecture["video_id"], user_id)
            if video is not None:
                apply_video(lecture, video)
    waiting = [lecture for lecture in course["lectures"] if lecture["status"] == "needs_credits"]
    if waiting and course["status"] == "running" and \
            movements.balance(user_id) >= lecture_credits(waiting[0]) and \
            not 0 < int(course.get("tick_at") or 0) <= int(time.time()) + 5:
        messages.send_tick(course_id, user_id, 0)
    return summarised(course)


def delete(user_id: str, course_id: str, *, keep_notes: bool = True) -> None:
    """Delete the course: lectures not yet submitted are dropped with it. Submitted
    ones are the student's videos: kept (keep_notes) or deleted through the videos'
    own delete path (refunded while still active, exactly once). Videos the student
    had before the course (linked) are never deleted with it. The course's index note
    is the course's own: it goes with the course either way."""
    course = course_store.delete(course_id, user_id)
    index_note.delete(user_id, course_id)
    if keep_notes:
        return
    for lecture in course["lectures"]:
        if lecture.get("video_id") and not lecture.get("linked"):
            try:
                submissions.delete(user_id, lecture["video_id"], reason="course deleted")
            except Exception as exc:  # noqa: BLE001 - gone already: nothing to refund
                log.info("course %s: video %s not deleted: %s", course_id,
                         lecture["video_id"], exc)


DELETED_MESSAGE = "You deleted its note. Submit the video again to make a new one."
CANCELLED_MESSAGE = "You deleted its video before it was done. Submit it again to make it."


def lecture_deleted(course_id: str, user_id: str, video_id: str) -> None:
    """The student deleted the video a lecture was made from: the lecture is no longer
    done (failed, saying so, without its note), and a finished course's index note is
    written again without it."""
    changed = False

    def forget(course: Course) -> Course | None:
        nonlocal changed
        hit = [lecture for lecture in course["lectures"] if lecture.get("video_id") == video_id]
        if not hit:
            return None
        changed = True
        for lecture in hit:
            if lecture["status"] != "completed":  # cancelled: DELETE /videos refunded it
                lecture["message"] = CANCELLED_MESSAGE
                lecture["credits_charged"] = 0
            else:
                lecture["message"] = DELETED_MESSAGE
            lecture["status"] = "failed"
            lecture.pop("video_id", None)
            lecture.pop("note_id", None)
        return summarised(course)

    try:
        course = course_store.change(course_id, user_id, forget)
    except Gone:
        return
    if changed and course.get("status") == "completed" and course.get("index_note_id"):
        index_note.write(course)
    elif changed and course.get("status") == "running":
        advance(course_id, user_id)  # a lecture in flight is gone: the next one goes


def lectures_from_links(user_id: str, video_ids: list[str]) -> list[Lecture]:
    if len(video_ids) > course_store.MAX_LECTURES:
        raise BadRequestError(f"A course holds at most {course_store.MAX_LECTURES} videos")
    seen: set[str] = set()
    lectures: list[Lecture] = []
    for video_id in video_ids:
        if video_id in seen:
            continue
        seen.add(video_id)
        lecture: Lecture = {"position": len(lectures) + 1, "youtube_video_id": video_id,
                            "title": video_id, "duration_seconds": None, "status": "pending"}
        if _owned(user_id, video_id):
            lecture["owned"] = True
        lectures.append(lecture)
    return lectures
