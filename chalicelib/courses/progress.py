"""What moves a course on besides its own ticks. A lecture's video settled (completed or
failed, by the worker, the dead-letter handler or the cleanup): its courses advance;
chalicelib.processing calls `video_settled`, and a video that is no course's lecture
costs one read. Credits bought: the student's running courses advance at once
(`credits_arrived`, from the Stripe webhook), not at their next credit check."""
from __future__ import annotations

import logging

from chalicelib.courses import course_store, runner
from chalicelib.reviews import card_store
from chalicelib.videos.records import Video

log = logging.getLogger(__name__)

# A purchase wakes the running courses among the student's newest WAKE_PAGES pages of
# WAKE_PAGE_SIZE courses (the list is newest first): one webhook's work stays bounded,
# and an older course waiting for credits goes on at its own credit check.
WAKE_PAGES = 2
WAKE_PAGE_SIZE = 25


def video_settled(record: Video) -> None:
    """Advance every course of the user that holds this YouTube video. Never raises:
    the video is settled whatever happens to its course (a later tick or a GET
    catches up)."""
    try:
        for course_id in course_store.courses_of_lecture(record["user_id"],
                                                         record["youtube_video_id"]):
            try:
                if record.get("status") == "completed":  # its cards exist by now
                    card_store.tag_course(record["user_id"],
                                          str(record.get("note_id") or record["video_id"]),
                                          course_id)
                runner.advance(course_id, record["user_id"])
            except Exception as exc:  # noqa: BLE001 - deleted (404) or busy: logged
                log.info("course %s not advanced: %s", course_id, exc)
    except Exception:  # noqa: BLE001 - never fails the video's own job
        log.exception("courses of video %s not advanced", record.get("video_id"))


def video_deleted(record: Video) -> None:
    """The student deleted a video: a course lecture made from it is no longer done
    (runner.lecture_deleted). Never raises: the video is deleted either way."""
    try:
        for course_id in course_store.courses_of_lecture(record["user_id"],
                                                         record["youtube_video_id"]):
            try:
                runner.lecture_deleted(course_id, record["user_id"], record["video_id"])
            except Exception as exc:  # noqa: BLE001 - the course is gone (404) or busy
                log.info("course %s: deleted video not recorded: %s", course_id, exc)
    except Exception:  # noqa: BLE001 - the video is deleted whatever its courses say
        log.exception("courses of deleted video %s not updated", record.get("video_id"))


def credits_arrived(user_id: str) -> None:
    """Credits were bought: the student's running courses advance now, so lectures
    waiting for credits start within the request, not at the next credit check
    (runner.CREDIT_CHECK_SECONDS, 5 minutes). Never raises: the purchase is credited
    whatever happens here, and each course's own tick still comes."""
    try:
        last_key: str | None = None
        for _ in range(WAKE_PAGES):
            page, last_key = course_store.list_page(user_id, limit=WAKE_PAGE_SIZE,
                                                    last_key=last_key)
            for course in page:
                if course.get("status") != "running":
                    continue
                try:
                    runner.advance(str(course["course_id"]), user_id)
                except Exception as exc:  # noqa: BLE001 - deleted (404) or busy: logged
                    log.info("course %s not advanced: %s", course.get("course_id"), exc)
            if not last_key:
                break
    except Exception:  # noqa: BLE001 - never fails the purchase's webhook
        log.exception("courses of user %s not advanced after a purchase", user_id)
