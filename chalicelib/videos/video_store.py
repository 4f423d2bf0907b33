"""The videos table's reads, and the keys its writes keep: one record, a user's
pages, the in-flight index the cleanup reads, the submission markers.

Every write (each transition of a video: queued -> processing -> completed | failed,
and what ending one refunds) is in chalicelib.videos.lifecycle. A worker claims a
video with a lease and an attempt id, and every later write is conditioned on that
attempt, so a duplicate or late delivery never writes a second note or charge, never
moves a completed video backwards, and a deleted video is dropped.
"""
from __future__ import annotations

import datetime
import logging
import re
import time
import zlib
from collections.abc import Iterator, Mapping
from typing import Any, cast

from chalicelib.core import aws, config, db
from chalicelib.core.errors import NotFoundError
from chalicelib.videos.records import Video

log = logging.getLogger(__name__)

STATUSES = ("queued", "processing", "completed", "failed")
ACTIVE_STATUSES = ("queued", "processing")
LEASE_SECONDS = 960  # the processor's timeout (900 s) and a margin
PUBLIC_FIELDS = ("video_id", "youtube_video_id", "url", "title", "channel",
                 "duration_seconds", "status", "progress", "status_message", "error",
                 "note_id", "subject", "credits_charged", "created_at", "updated_at",
                 "completed_at")
GUARD_NAMES = {"#guard_status": "status"}
_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class Cancelled(Exception):
    """The video was deleted, finished, or taken over by another attempt: stop quietly."""


def _table() -> str:
    return config.videos_table()


def user_status(user_id: str, status: str) -> str:
    """The UserStatusIndex key: kept beside `status` on every status change."""
    return f"{user_id}#{status}"


def public_video(record: Video) -> dict[str, Any]:
    fields: Mapping[str, Any] = record
    video = {field: fields.get(field) for field in PUBLIC_FIELDS}
    video["progress"] = int(video["progress"] or 0)
    video["credits_charged"] = int(video["credits_charged"] or 0)
    return video


# --- reads -------------------------------------------------------------------------

def owned_record(user_id: str, video_id: str, consistent: bool = False) -> Video:
    """The video if it is this user's; 404 exactly as if it did not exist otherwise."""
    if not isinstance(video_id, str) or not _ID_RE.match(video_id):
        raise NotFoundError("Video not found")
    record = db.get(_table(), {"video_id": video_id}, consistent=consistent)
    if record is None or record.get("user_id") != user_id:
        raise NotFoundError("Video not found")
    return cast(Video, record)


def load(video_id: str, user_id: str) -> Video | None:
    """The video (read consistently) if it exists and is this user's."""
    record = db.get(_table(), {"video_id": video_id}, consistent=True)
    if record is None or record.get("user_id") != user_id:
        return None
    return cast(Video, record)


def list_page(user_id: str, *, status: str | None, limit: int,
              last_key: str | None) -> tuple[list[Video], str | None]:
    """One page of the user's videos, newest first (optionally one status)."""
    if status:
        query = {"index": "UserStatusIndex", "key_name": "user_status",
                 "key_value": user_status(user_id, status), "scope": f"videos:{status}"}
    else:
        query = {"index": "UserVideosIndex", "key_name": "user_id", "key_value": user_id,
                 "scope": "videos"}
    records, cursor = db.query_page(table=_table(), user_id=user_id, limit=limit,
                                    last_key=last_key, **query)
    return cast(list[Video], records), cursor


# --- the in-flight index ----------------------------------------------------------------
#
# InFlightIndex (in_flight, stuck_after) holds the videos that are queued or processing,
# and only those: DynamoDB indexes only the items that carry an index's keys, every write
# that makes a video active (create, claim, wait_for_retry, requeue) sets both, and the
# writes that end it (completion, fail) REMOVE them in the same update (a deleted video
# leaves with its item). So the cleanup reads only what is live, and no partition holds
# every video ever made. `in_flight` is a shard of the video id, IN_FLIGHT_SHARDS
# partitions sharing the index's writes; `stuck_after` is when the cleanup takes the
# video as stuck: a queued video's creation or requeue and QUEUED_DEADLINE_SECONDS, a
# processing one's lease (or its retry's deadline). The index projects keys only, so a
# running job's progress writes never touch it.

IN_FLIGHT_SHARDS = 8  # only ever raised: the cleanup reads shards 0 .. IN_FLIGHT_SHARDS - 1
QUEUED_DEADLINE_SECONDS = 3600


def in_flight(video_id: str, stuck_after: float) -> dict[str, Any]:
    """The InFlightIndex keys of an active video that is stuck after `stuck_after`."""
    return {"in_flight": zlib.crc32(video_id.encode()) % IN_FLIGHT_SHARDS,
            "stuck_after": int(stuck_after)}


def in_flight_keys(record: Mapping[str, Any]) -> dict[str, Any]:
    """The InFlightIndex keys an active video as stored should carry ({} for a finished
    one): what a video written before the index existed is given (a migration)."""
    if record.get("status") == "processing":
        return in_flight(record["video_id"], int(record.get("lease_until") or 0))
    if record.get("status") == "queued":
        since = datetime.datetime.fromisoformat(
            record.get("requeued_at") or record["created_at"]).timestamp()
        return in_flight(record["video_id"], since + QUEUED_DEADLINE_SECONDS)
    return {}


def stuck_candidates(now: float, page_size: int) -> Iterator[Video]:
    """The active videos past their deadline at `now`, page by page through each shard
    of InFlightIndex (no scans), each read again consistently: the index holds keys
    only, and may lag behind the table."""
    for shard in range(IN_FLIGHT_SHARDS):
        start_key = None
        while True:
            params: dict[str, Any] = {
                "TableName": _table(), "IndexName": "InFlightIndex", "Limit": page_size,
                "KeyConditionExpression": "#shard = :shard AND #after < :now",
                "ExpressionAttributeNames": {"#shard": "in_flight", "#after": "stuck_after"},
                "ExpressionAttributeValues": db.values(shard=shard, now=now),
            }
            if start_key:
                params["ExclusiveStartKey"] = start_key
            response = aws.client("dynamodb").query(**params)
            for key in response.get("Items", []):
                record = db.get(_table(), {"video_id": key["video_id"]["S"]}, consistent=True)
                if record is not None and record.get("status") in ACTIVE_STATUSES:
                    yield cast(Video, record)
            start_key = response.get("LastEvaluatedKey")
            if not start_key:
                break


# --- the user's submission marker per YouTube video (written by lifecycle.create) -----

HOLDING_STATUSES = ("queued", "processing", "completed")


def submission_key(user_id: str, youtube_video_id: str) -> str:
    return f"submitted#{user_id}#{youtube_video_id}"


def current_submission(user_id: str,
                       youtube_video_id: str) -> tuple[str | None, Video | None]:
    """(the video id the user's marker names, that video if it still exists)."""
    marker = db.get(_table(), {"video_id": submission_key(user_id, youtube_video_id)},
                    consistent=True)
    if marker is None:
        return None, None
    named = marker.get("current_video")
    video = db.get(_table(), {"video_id": named}, consistent=True) if named else None
    if video is not None and video.get("user_id") != user_id:
        video = None
    return named, cast(Video | None, video)


def holds_submission(video: Video | None) -> bool:
    """The user already has this video: a failed or deleted one may be submitted again."""
    return video is not None and video.get("status") in HOLDING_STATUSES


# --- the worker's claim, as read ------------------------------------------------------

def lease_seconds() -> int:
    """How long a claim holds the video. JOB_LEASE_SECONDS overrides it (fault tests)."""
    return int(config.env("JOB_LEASE_SECONDS", str(LEASE_SECONDS)) or LEASE_SECONDS)


def live_claim(record: Video, now: float | None = None) -> bool:
    """A worker holds the video right now: processing, its lease running, no retry
    pending (a video waiting for its retry is held by no one)."""
    now = time.time() if now is None else now
    return record.get("status") == "processing" and not record.get("retry_pending") \
        and int(record.get("lease_until") or 0) >= now


def pending_retry(record: Video, now: float | None = None) -> bool:
    """Waiting for its scheduled retry, before the retry's deadline."""
    now = time.time() if now is None else now
    return record.get("status") == "processing" and bool(record.get("retry_pending")) \
        and int(record.get("lease_until") or 0) >= now

