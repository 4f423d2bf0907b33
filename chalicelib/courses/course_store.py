"""The courses table (docs/DESIGN.md sections 5 and 14): the only module that writes it.

One item per course, its lectures in order inside it (at most MAX_LECTURES, so an item
stays far below DynamoDB's 400 KB), and a `version` that every write is conditioned
on: a change is read, applied and written back only if nobody wrote in between
(`change` retries on a conflict), so two workers advancing one course, or a start
racing a delete, never lose each other's writes.

Beside the courses, small items without user_id (no index sees them, no list shows
them):
- `pace#{minute}`: how many lecture fetches the service started in that minute
  (chalicelib.courses.pace), expiring by the table's TTL;
- `lecture#{user_id}#{youtube_video_id}`: the courses of this user that hold the
  lecture, so a video finishing (whichever of the user's submissions of it: a
  re-upload of captions too) finds its courses with one read.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, cast

from chalicelib.core import aws, config, db
from chalicelib.core.errors import ConflictError, NotFoundError
from chalicelib.courses.records import Course

log = logging.getLogger(__name__)

MAX_LECTURES = 200
CHANGE_ATTEMPTS = 20
INDEX = "UserCoursesIndex"
BATCH_GET_KEYS = 100
# Keys DynamoDB leaves unprocessed are asked again after a jittered wait (up to 0.1,
# 0.2, 0.4 and 0.8 s: 0.75 s on average in all, about what fixed waits took before).
BATCH_GET_ATTEMPTS = 5
BATCH_GET_BACKOFF_SECONDS = 0.05
BATCH_GET_CAP_SECONDS = 0.8


class Gone(Exception):
    """The course was deleted while it was being changed."""


def table() -> str:
    return config.required("COURSES_TABLE")


def _valid_id(course_id: object) -> bool:
    return isinstance(course_id, str) and 0 < len(course_id) <= 64 and \
        all(c.isalnum() or c in "-_" for c in course_id)


# --- reads -------------------------------------------------------------------------------

def skipped_count(lectures: list[Any]) -> int:
    """How many of a course's lectures are skipped (private or deleted: never made)."""
    return sum(1 for lecture in lectures if lecture.get("status") == "skipped")


def load(course_id: str, user_id: str) -> Course | None:
    """The course (read consistently) if it exists and is this user's; one kept before
    skipped_count was gets it counted from its lectures."""
    if not _valid_id(course_id):
        return None
    item = db.get(table(), {"course_id": course_id}, consistent=True)
    if item is None or item.get("user_id") != user_id or "lectures" not in item:
        return None
    item.setdefault("skipped_count", skipped_count(item["lectures"]))
    return cast(Course, item)


def owned(user_id: str, course_id: str) -> Course:
    """The course if it is this user's; 404 exactly as if it did not exist otherwise."""
    course = load(course_id, user_id)
    if course is None:
        raise NotFoundError("Course not found")
    return course


def list_page(user_id: str, *, limit: int,
              last_key: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """One page of the user's courses, newest first: their summaries (the index
    projects no lectures, so a page reads what it shows). `skipped_count` is read from
    the table in one batch: the index's projection predates it, and a projection cannot
    change in place (a new index would take two deploys)."""
    items, cursor = db.query_page(table=table(), index=INDEX, key_name="user_id",
                                  key_value=user_id, user_id=user_id, scope="courses",
                                  limit=limit, last_key=last_key)
    skipped = _skipped_counts([str(item["course_id"]) for item in items])
    for item in items:
        item["skipped_count"] = skipped.get(str(item["course_id"]), 0)
    return items, cursor


def _skipped_counts(course_ids: list[str]) -> dict[str, int]:
    """Each course's skipped_count; for a course kept before it was (no such attribute),
    counted from its lectures, read for those courses only."""
    found = {str(item["course_id"]): item.get("skipped_count")
             for item in _batch_read(course_ids, ["course_id", "skipped_count"])}
    older = [course_id for course_id, count in found.items() if count is None]
    for item in _batch_read(older, ["course_id", "lectures"]):
        found[str(item["course_id"])] = skipped_count(item.get("lectures") or [])
    return {course_id: int(count or 0) for course_id, count in found.items()}


def _batch_read(course_ids: list[str], attributes: list[str]) -> list[dict[str, Any]]:
    """The courses' attributes, BATCH_GET_KEYS a request (BatchGetItem's limit); keys
    DynamoDB leaves unprocessed are asked again, backing off, BATCH_GET_ATTEMPTS times."""
    names = {f"#a{number}": name for number, name in enumerate(attributes)}
    items: list[dict[str, Any]] = []
    for start in range(0, len(course_ids), BATCH_GET_KEYS):
        keys = [{"course_id": db.attr(course_id)}
                for course_id in course_ids[start:start + BATCH_GET_KEYS]]
        for attempt in range(BATCH_GET_ATTEMPTS):
            if attempt:
                db.back_off(attempt, base=BATCH_GET_BACKOFF_SECONDS, cap=BATCH_GET_CAP_SECONDS)
            response = aws.client("dynamodb").batch_get_item(RequestItems={table(): {
                "Keys": keys, "ProjectionExpression": ", ".join(names),
                "ExpressionAttributeNames": names}})
            items += [db.from_item(raw) for raw in response.get("Responses", {}).get(table(), [])]
            keys = response.get("UnprocessedKeys", {}).get(table(), {}).get("Keys", [])
            if not keys:
                break
        else:
            log.warning("courses: %d of a list page's courses unread after %d attempts "
                        "(shown with 0 skipped)", len(keys), BATCH_GET_ATTEMPTS)
    return items


def courses_of_lecture(user_id: str, youtube_video_id: str) -> list[str]:
    item = db.get(table(), {"course_id": _lecture_key(user_id, youtube_video_id)})
    return sorted(item.get("courses") or ()) if item else []


# --- writes ------------------------------------------------------------------------------

def create(course: Course) -> Course:
    """Write a new course (its id is fresh)."""
    item = {**course, "version": 1}
    aws.client("dynamodb").put_item(TableName=table(), Item=db.to_item(item),
                                    ConditionExpression="attribute_not_exists(course_id)")
    return cast(Course, item)


def change(course_id: str, user_id: str,
           mutate: Callable[[Course], Course | None]) -> Course:
    """Apply `mutate` to the course as it is now and write the result, only if nobody
    wrote in between; read again and retry otherwise. `mutate` returns None for no
    change (then nothing is written). Gone when the course does not exist (deleted)."""
    for _ in range(CHANGE_ATTEMPTS):
        current = load(course_id, user_id)
        if current is None:
            raise Gone(course_id)
        changed = mutate(cast(Course, dict(current, lectures=[dict(lecture) for lecture in
                                                                current["lectures"]])))
        if changed is None:
            return current
        version = int(current.get("version") or 0)
        item = {**changed, "version": version + 1}
        try:
            aws.client("dynamodb").put_item(
                TableName=table(), Item=db.to_item(item),
                ConditionExpression="version = :seen",
                ExpressionAttributeValues=db.values(seen=version))
        except Exception as exc:
            if aws.is_error(exc, aws.CONDITION_FAILED):
                continue
            raise
        return cast(Course, item)
    raise ConflictError("The course is changing right now; try again")


def delete(course_id: str, user_id: str) -> Course:
    """Delete the course item (as read, so a concurrent change is read again).
    Returns the course as it was deleted; NotFoundError when it is not this user's."""
    for _ in range(CHANGE_ATTEMPTS):
        current = owned(user_id, course_id)
        try:
            aws.client("dynamodb").delete_item(
                TableName=table(), Key=db.to_item({"course_id": course_id}),
                ConditionExpression="version = :seen",
                ExpressionAttributeValues=db.values(
                    seen=int(current.get("version") or 0)))
        except Exception as exc:
            if aws.is_error(exc, aws.CONDITION_FAILED):
                continue
            raise
        for lecture in current["lectures"]:
            _unmark(user_id, lecture["youtube_video_id"], course_id)
        return current
    raise ConflictError("The course is changing right now; try again")


def _lecture_key(user_id: str, youtube_video_id: str) -> str:
    return f"lecture#{user_id}#{youtube_video_id}"


def mark_lecture(user_id: str, youtube_video_id: str, course_id: str) -> None:
    """The lecture's marker names the course (before its video is submitted, so a
    video that finishes at once still finds its course)."""
    aws.client("dynamodb").update_item(
        TableName=table(), Key=db.to_item({"course_id": _lecture_key(user_id,
                                                                     youtube_video_id)}),
        UpdateExpression="ADD courses :c",
        ExpressionAttributeValues={":c": {"SS": [course_id]}})


def _unmark(user_id: str, youtube_video_id: str, course_id: str) -> None:
    aws.client("dynamodb").update_item(
        TableName=table(), Key=db.to_item({"course_id": _lecture_key(user_id,
                                                                     youtube_video_id)}),
        UpdateExpression="DELETE courses :c",
        ExpressionAttributeValues={":c": {"SS": [course_id]}})


# --- the service's pace -----------------------------------------------------------------

def take_pace_token(minute: int, limit: int) -> bool:
    """One of `limit` fetch starts of this minute (epoch minute), if any is left."""
    try:
        aws.client("dynamodb").update_item(
            TableName=table(), Key=db.to_item({"course_id": f"pace#{minute}"}),
            UpdateExpression="SET expires_at = :expires ADD taken :one",
            ConditionExpression="attribute_not_exists(taken) OR taken < :limit",
            ExpressionAttributeValues=db.values(expires=minute * 60 + 3600, one=1,
                                                limit=limit))
    except Exception as exc:
        if aws.is_error(exc, aws.CONDITION_FAILED):
            return False
        raise
    return True


def now_minute() -> int:
    return int(time.time() // 60)
