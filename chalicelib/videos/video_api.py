"""Videos, the API side: submitting a link (reserving a credit), listing, reading
and deleting. Every write to the videos table is in chalicelib.videos.video_store.

Submitting reserves one credit and creates the video in one DynamoDB
transaction, then queues the job; if queueing fails, the reservation is undone.
Deleting a queued or processing video cancels it and refunds what it was
charged, in the same transaction that deletes it, so a refund happens once.
"""
from __future__ import annotations

import logging
import uuid
from typing import Any

from chalicelib.core import aws, db
from chalicelib.core.errors import PaymentRequired, ServiceUnavailableError
from chalicelib.http import validation
from chalicelib.ledger import movements, pricing
from chalicelib.notes import note_store
from chalicelib.processing import job_queue
from chalicelib.videos import video_store
from chalicelib.youtube import links, uploads
from chalicelib.core.errors import BadRequestError, PayloadTooLargeError

log = logging.getLogger(__name__)

MAX_SUBJECT_LENGTH = 100


def submit(user_id: str, body: Any) -> dict:
    body = validation.object_body(body, required=("url",),
                                  optional=("subject", "languages", "transcript"))
    youtube_id = links.parse_video_id(body["url"])
    upload = _uploaded(body.get("transcript"), youtube_id)
    subject = validation.string(body["subject"], "subject", max_length=MAX_SUBJECT_LENGTH) \
        if body.get("subject") is not None else None
    languages = validation.languages(body["languages"]) \
        if body.get("languages") is not None else None
    video_id = uuid.uuid4().hex
    now = db.now_iso()
    record = {
        "video_id": video_id, "user_id": user_id, "youtube_video_id": youtube_id,
        "url": links.canonical_url(youtube_id), "status": "queued",
        "user_status": video_store.user_status(user_id, "queued"), "progress": 0,
        "status_message": "Queued", "subject": subject or None, "languages": languages,
        "credits_charged": pricing.RESERVED_CREDITS, "created_at": now, "updated_at": now,
    }
    try:
        applied = video_store.create(record)
    except movements.InsufficientCredits as exc:
        raise PaymentRequired(str(exc)) from exc
    try:
        if upload is not None:  # stored before the job can look for it
            uploads.save(user_id, video_id, upload)
        job_queue.enqueue(video_id, user_id)
    except Exception as exc:  # noqa: BLE001 - any failure to queue undoes the reservation
        log.error("queueing video %s failed (%s); undoing its reservation",
                  video_id, aws.describe(exc))
        delete(user_id, video_id, reason="not queued")
        raise ServiceUnavailableError(
            "The video could not be queued; your credit was returned. Try again shortly.") \
            from exc
    return {**video_store.public_video(record), "credits_remaining": applied.balance_after}


def _uploaded(text: Any, youtube_id: str) -> Any:
    """Uploaded captions (docs/DESIGN.md section 4), parsed now so that a bad file is a
    400 naming its line, before anything is reserved."""
    if text is None:
        return None
    if not isinstance(text, str) or not text.strip():
        raise BadRequestError("transcript must be the text of a WebVTT or SRT file")
    try:
        return uploads.parse(text, youtube_id)
    except uploads.UploadTooLarge as exc:
        raise PayloadTooLargeError(str(exc)) from exc
    except uploads.UploadRejected as exc:
        raise BadRequestError(str(exc)) from exc


def list_videos(user_id: str, params: dict | None) -> dict:
    params = validation.query_params(params, ("limit", "status", "last_key"))
    limit = validation.page_size(params)
    status = params.get("status")
    if status:
        validation.choice(status, "status", video_store.STATUSES)
    records, cursor = video_store.list_page(user_id, status=status or None, limit=limit,
                                            last_key=params.get("last_key"))
    videos = [video_store.public_video(record) for record in records]
    return {"videos": videos, "count": len(videos), "last_key": cursor}


def get_video(user_id: str, video_id: str) -> dict:
    return video_store.public_video(video_store.owned_record(user_id, video_id))


def delete(user_id: str, video_id: str, reason: str = "deleted") -> None:
    """Delete a video, its notes and files; refund it if it was still active."""
    video_store.delete(user_id, video_id, reason=reason,
                       before=lambda record: (note_store.delete_for_video(user_id, video_id),
                                              uploads.delete(user_id, video_id)))
