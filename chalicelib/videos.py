"""Videos: submitting a link (reserving a credit), listing, reading and deleting.

Submitting reserves one credit and creates the video in one DynamoDB
transaction, then queues the job; if queueing fails, the reservation is undone.
Deleting a queued or processing video cancels it and refunds what it was
charged, in the same transaction that deletes it, so a refund happens once.
"""
from __future__ import annotations

import logging
import re
import uuid
from typing import Any

from chalicelib import aws, config, credits, db, jobs, notes, validation, youtube
from chalicelib.errors import ConflictError, NotFoundError, PaymentRequired, \
    ServiceUnavailableError

log = logging.getLogger(__name__)

STATUSES = ("queued", "processing", "completed", "failed")
ACTIVE_STATUSES = ("queued", "processing")
RESERVED_CREDITS = 1
MAX_SUBJECT_LENGTH = 100
PUBLIC_FIELDS = ("video_id", "youtube_video_id", "url", "title", "channel",
                 "duration_seconds", "status", "progress", "status_message", "error",
                 "note_id", "subject", "credits_charged", "created_at", "updated_at",
                 "completed_at")
_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def user_status(user_id: str, status: str) -> str:
    """The UserStatusIndex key: kept beside `status` on every status change."""
    return f"{user_id}#{status}"


def public_video(record: dict) -> dict:
    video = {field: record.get(field) for field in PUBLIC_FIELDS}
    video["progress"] = int(video["progress"] or 0)
    video["credits_charged"] = int(video["credits_charged"] or 0)
    return video


def owned_record(user_id: str, video_id: str, consistent: bool = False) -> dict:
    """The video if it is this user's; 404 exactly as if it did not exist otherwise."""
    if not isinstance(video_id, str) or not _ID_RE.match(video_id):
        raise NotFoundError("Video not found")
    record = db.get(config.videos_table(), {"video_id": video_id}, consistent=consistent)
    if record is None or record.get("user_id") != user_id:
        raise NotFoundError("Video not found")
    return record


def submit(user_id: str, body: Any) -> dict:
    body = validation.object_body(body, required=("url",), optional=("subject", "languages"))
    youtube_id = youtube.parse_video_id(body["url"])
    subject = validation.string(body["subject"], "subject", max_length=MAX_SUBJECT_LENGTH) \
        if body.get("subject") is not None else None
    languages = validation.languages(body["languages"]) \
        if body.get("languages") is not None else None
    video_id = uuid.uuid4().hex
    now = db.now_iso()
    record = {
        "video_id": video_id, "user_id": user_id, "youtube_video_id": youtube_id,
        "url": youtube.canonical_url(youtube_id), "status": "queued",
        "user_status": user_status(user_id, "queued"), "progress": 0,
        "status_message": "Queued", "subject": subject or None, "languages": languages,
        "credits_charged": RESERVED_CREDITS, "created_at": now, "updated_at": now,
    }
    create = {"Put": {"TableName": config.videos_table(), "Item": db.to_item(record),
                      "ConditionExpression": "attribute_not_exists(video_id)"}}
    reserve = credits.Movement(
        f"reserve:{video_id}", user_id, -RESERVED_CREDITS, "usage",
        {"video_id": video_id, "youtube_video_id": youtube_id, "reason": "reserve"})
    try:
        applied = credits.apply(reserve, extra=[create])
    except credits.InsufficientCredits as exc:
        raise PaymentRequired(str(exc)) from exc
    try:
        jobs.enqueue(video_id, user_id)
    except Exception as exc:  # noqa: BLE001 - any failure to queue undoes the reservation
        log.error("queueing video %s failed (%s); undoing its reservation",
                  video_id, aws.error_code(exc) or type(exc).__name__)
        _delete(user_id, video_id, reason="not queued")
        raise ServiceUnavailableError(
            "The video could not be queued; your credit was returned. Try again shortly.") \
            from exc
    return {**public_video(record), "credits_remaining": applied.balance_after}


def list_videos(user_id: str, params: dict | None) -> dict:
    params = validation.query_params(params, ("limit", "status", "last_key"))
    limit = validation.page_size(params)
    status = params.get("status")
    if status:
        validation.choice(status, "status", STATUSES)
        query = {"index": "UserStatusIndex", "key_name": "user_status",
                 "key_value": user_status(user_id, status), "scope": f"videos:{status}"}
    else:
        query = {"index": "UserVideosIndex", "key_name": "user_id", "key_value": user_id,
                 "scope": "videos"}
    records, cursor = db.query_page(table=config.videos_table(), user_id=user_id,
                                    limit=limit, last_key=params.get("last_key"), **query)
    videos = [public_video(record) for record in records]
    return {"videos": videos, "count": len(videos), "last_key": cursor}


def get_video(user_id: str, video_id: str) -> dict:
    return public_video(owned_record(user_id, video_id))


def delete(user_id: str, video_id: str) -> None:
    _delete(user_id, video_id, reason="deleted")


def _delete(user_id: str, video_id: str, *, reason: str, attempts: int = 10) -> None:
    """Delete a video, its notes and files; refund it if it was still active.

    The delete is conditioned on the status and charge we read, so a worker
    changing the video meanwhile makes us read again rather than refund wrongly.
    """
    for _ in range(attempts):
        record = owned_record(user_id, video_id, consistent=True)
        notes.delete_for_video(user_id, video_id)
        charged = int(record.get("credits_charged") or 0)
        remove = {"Delete": {
            "TableName": config.videos_table(),
            "Key": db.to_item({"video_id": video_id}),
            "ConditionExpression": "#s = :s AND credits_charged = :c",
            "ExpressionAttributeNames": {"#s": "status"},
            "ExpressionAttributeValues": db.values(s=record["status"], c=charged),
        }}
        try:
            if record["status"] in ACTIVE_STATUSES and charged > 0:
                refund = credits.Movement(
                    f"refund:{video_id}", user_id, charged, "refund",
                    {"video_id": video_id, "youtube_video_id": record.get("youtube_video_id"),
                     "reason": reason})
                if not credits.apply(refund, extra=[remove]).duplicate:
                    return
            db.transact([remove])
            return
        except credits.ConditionFailed:
            continue
        except Exception as exc:  # noqa: BLE001 - only a failed condition is retried
            if aws.error_code(exc) != "TransactionCanceledException":
                raise
    raise ConflictError("The video is changing right now; try deleting it again")
