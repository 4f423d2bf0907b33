"""POST, GET and DELETE /courses, POST /courses/{id}/start: the requests
(chalicelib.courses.runner makes, starts, advances and deletes courses;
chalicelib.courses.course_store keeps the table; docs/DESIGN.md sections 4 and 14).

A playlist link is checked here (only its list id goes on: the playlist is read from
a URL we build) and listed in the worker: 202 with the course `listing`. A list of
video links makes a `ready` course at once. Either way nothing is charged before
POST /courses/{id}/start.
"""
from __future__ import annotations

from typing import Any

from chalicelib.api import paging
from chalicelib.core.errors import BadRequestError
from chalicelib.courses import course_store, playlist, runner
from chalicelib.courses.records import Course, Lecture
from chalicelib.http import validation
from chalicelib.youtube import links

MAX_SUBJECT_LENGTH = 100
MAX_TITLE_LENGTH = 200
PUBLIC_FIELDS = ("course_id", "title", "source_url", "status", "lecture_count",
                 "completed_count", "skipped_count", "credits_estimate", "credits_charged",
                 "created_at", "updated_at", "subject", "message", "index_note_id")
LECTURE_FIELDS = ("position", "youtube_video_id", "title", "duration_seconds", "status",
                  "video_id", "note_id", "message", "credits_charged", "owned")


def public_course(course: Course | dict[str, Any], *, with_lectures: bool = True
                  ) -> dict[str, Any]:
    """The course as the API shows it: `progress` is the share of lectures settled."""
    fields: dict[str, Any] = dict(course)
    shown = {name: fields.get(name) for name in PUBLIC_FIELDS if fields.get(name) is not None}
    for count in ("lecture_count", "completed_count", "skipped_count", "credits_estimate",
                  "credits_charged"):
        shown[count] = int(fields.get(count) or 0)
    if with_lectures:
        lectures: list[Lecture] = fields.get("lectures") or []
        shown["lectures"] = [_public_lecture(lecture) for lecture in lectures]
        settled = sum(1 for lecture in lectures if lecture["status"] in runner.FINAL)
        shown["progress"] = round(100 * settled / len(lectures)) if lectures else 0
        shown["duration_seconds"] = sum(int(lecture.get("duration_seconds") or 0)
                                        for lecture in lectures)
    return shown


def _public_lecture(lecture: Lecture) -> dict[str, Any]:
    fields: dict[str, Any] = dict(lecture)
    shown = {name: fields[name] for name in LECTURE_FIELDS if fields.get(name) is not None}
    shown["duration_seconds"] = fields.get("duration_seconds")
    return shown


def create(user_id: str, body: Any) -> dict[str, Any]:
    """202 body: a playlist's course (`listing`) or a list of links' (`ready`)."""
    body = validation.object_body(body, optional=("url", "title", "videos", "subject"))
    subject = validation.string(body["subject"], "subject", max_length=MAX_SUBJECT_LENGTH) \
        if body.get("subject") is not None else None
    if body.get("url") is not None:
        if body.get("videos") is not None or body.get("title") is not None:
            raise BadRequestError("Send either 'url' (a playlist link) or 'title' with "
                                  "'videos' (a list of video links), not both")
        list_id = playlist.parse_list_id(body["url"])
        return public_course(runner.new_playlist_course(
            user_id, list_id=list_id, source_url=playlist.source_url(list_id),
            subject=subject))
    videos = body.get("videos")
    if not isinstance(videos, list) or not videos:
        raise BadRequestError("Send 'url' (a playlist link), or 'title' and 'videos': a "
                              "list of video links")
    title = validation.string(body.get("title"), "title", max_length=MAX_TITLE_LENGTH)
    if len(videos) > course_store.MAX_LECTURES:
        raise BadRequestError(f"A course holds at most {course_store.MAX_LECTURES} videos")
    ids = []
    for number, link in enumerate(videos, start=1):
        try:
            ids.append(links.parse_video_id(link))
        except BadRequestError as exc:
            raise BadRequestError(f"videos[{number}]: {exc}") from exc
    course = runner.new_course(user_id, title=playlist.clean_title(title, "Course"),
                               source_url="", subject=subject,
                               lectures=runner.lectures_from_links(user_id, ids),
                               status="ready")
    return public_course(course)


def list_courses(user_id: str, params: dict[str, str] | None) -> dict[str, Any]:
    def fetch(page: paging.PageRequest) -> tuple[list[dict[str, Any]], str | None]:
        return course_store.list_page(user_id, limit=page.limit, last_key=page.last_key)

    return paging.listed("courses", params, fetch=fetch,
                         public=lambda course: public_course(course, with_lectures=False))


def get_course(user_id: str, course_id: str) -> dict[str, Any]:
    return public_course(runner.current(user_id, course_id))


def start(user_id: str, course_id: str) -> dict[str, Any]:
    return public_course(runner.start(user_id, course_id))


def delete(user_id: str, course_id: str, params: dict[str, str] | None) -> None:
    query = validation.query_params(params, ("keep_notes",))
    keep = query.get("keep_notes", "true")
    if keep not in ("true", "false"):
        raise BadRequestError("'keep_notes' must be true or false")
    runner.delete(user_id, course_id, keep_notes=keep == "true")
