"""A lecture's video settled (completed or failed, by the worker, the dead-letter
handler or the cleanup): its courses advance. chalicelib.processing calls
`video_settled`; a video that is no course's lecture costs one read."""
from __future__ import annotations

import logging

from chalicelib.courses import course_store, runner
from chalicelib.reviews import card_store
from chalicelib.videos.records import Video

log = logging.getLogger(__name__)


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
