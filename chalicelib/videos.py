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
from typing import Any, Callable

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
        delete(user_id, video_id, reason="not queued")
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


def delete(user_id: str, video_id: str, reason: str = "deleted") -> None:
    """Delete a video, its notes and files; refund it if it was still active."""
    def remove(record: dict) -> dict:
        notes.delete_for_video(user_id, video_id)
        return {"Delete": {"TableName": config.videos_table(),
                           "Key": db.to_item({"video_id": video_id})}}

    settle(user_id, video_id, change=remove, reason=reason)


GUARD_NAMES = {"#guard_status": "status"}


def settle(
    user_id: str,
    video_id: str,
    *,
    change: Callable[[dict], dict],
    reason: str,
    only_active: bool = False,
    attempt_id: str | None = None,
    attempts: int = 10,
) -> bool:
    """Apply one change to a video, refunding an active video's charge in the same
    transaction, exactly once (ledger id refund:{video}).

    `change(record)` builds the transaction item (Update or Delete). A guard is
    added to it: the video is still as read (status, charge, and the worker's
    attempt when given), so a concurrent change makes us read again instead of
    refunding wrongly. Returns False when there was nothing to do.
    """
    for _ in range(attempts):
        try:
            record = owned_record(user_id, video_id, consistent=True)
        except NotFoundError:
            if only_active:
                return False
            raise
        active = record["status"] in ACTIVE_STATUSES
        if (only_active and not active) or \
                (attempt_id is not None and record.get("attempt_id") != attempt_id):
            return False
        charged = int(record.get("credits_charged") or 0)
        guard = {"guard_status": record["status"], "guard_charged": charged}
        condition = "#guard_status = :guard_status AND credits_charged = :guard_charged"
        if attempt_id is not None:
            condition += " AND attempt_id = :guard_attempt"
            guard["guard_attempt"] = attempt_id
        item = change(record)
        body = next(iter(item.values()))
        body["ConditionExpression"] = condition
        body["ExpressionAttributeNames"] = {**body.get("ExpressionAttributeNames", {}),
                                            **GUARD_NAMES}
        body["ExpressionAttributeValues"] = {**body.get("ExpressionAttributeValues", {}),
                                             **db.values(**guard)}
        try:
            if active and charged > 0:
                refund = credits.Movement(
                    f"refund:{video_id}", user_id, charged, "refund",
                    {"video_id": video_id, "youtube_video_id": record.get("youtube_video_id"),
                     "reason": reason})
                if not credits.apply(refund, extra=[item]).duplicate:
                    return True
            db.transact([item])
            return True
        except credits.ConditionFailed:
            continue
        except Exception as exc:  # noqa: BLE001 - only a failed condition is retried
            if aws.error_code(exc) != "TransactionCanceledException":
                raise
    raise ConflictError("The video is changing right now; try again")
