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

from chalicelib.core import aws, config, db
from chalicelib.core.errors import (
    BadRequestError,
    ConflictError,
    PayloadTooLargeError,
    PaymentRequired,
    ServiceUnavailableError,
    TooManyRequestsError,
)
from chalicelib.http import validation
from chalicelib.ledger import movements, pricing
from chalicelib.notes import note_store
from chalicelib.videos import job_queue, video_store
from chalicelib.youtube import cache_scope, links, uploads

log = logging.getLogger(__name__)

MAX_SUBJECT_LENGTH = 100
MAX_SUBMIT_TRIES = 5


class AlreadySubmitted(Exception):
    """409: the user already has this YouTube video (docs/DESIGN.md section 4)."""

    def __init__(self, video_id: str) -> None:
        super().__init__(video_id)
        self.video_id = video_id

    def body(self) -> dict:
        return {"Code": "AlreadySubmitted", "video_id": self.video_id,
                "Message": "You have already submitted this video (it is queued, processing "
                           "or done), so nothing was charged. Open the existing one, or "
                           "submit again with \"reprocess\": true to pay for a fresh note."}


# Per-user submission limits (429): (window seconds, default, the setting that changes it).
SUBMISSION_LIMITS = ((3600, 30, "SUBMIT_LIMIT_PER_HOUR"), (86400, 100, "SUBMIT_LIMIT_PER_DAY"))


def submission_limits() -> tuple[tuple[int, int], ...]:
    """(window seconds, limit) of each limit that is on (a setting of 0 turns one off)."""
    limits = []
    for seconds, default, name in SUBMISSION_LIMITS:
        limit = int(config.env(name, str(default)) or default)
        if limit > 0:
            limits.append((seconds, limit))
    return tuple(limits)


def submit(user_id: str, body: Any) -> dict:
    body = validation.object_body(body, required=("url",),
                                  optional=("subject", "languages", "transcript",
                                            "reprocess"))
    youtube_id = links.parse_video_id(body["url"])
    upload = _uploaded(body.get("transcript"), youtube_id)
    reprocess = validation.boolean(body["reprocess"], "reprocess") \
        if body.get("reprocess") is not None else False
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
    if upload is not None:  # what is made from it is this user's alone (cache_scope)
        record["upload_digest"] = cache_scope.digest(upload)
    applied = _create(record, reprocess=reprocess)
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


def _create(record: dict, *, reprocess: bool) -> movements.Applied:
    """Create the video unless the user already has it (409), within the submission
    limits (429) and the balance (402). The check is read first (so a user out of
    credits still hears 409) and enforced again by the transaction's conditions, so
    concurrent submits of one video accept one."""
    for _ in range(MAX_SUBMIT_TRIES):
        named, existing = video_store.current_submission(record["user_id"],
                                                         record["youtube_video_id"])
        if video_store.holds_submission(existing) and not reprocess:
            raise AlreadySubmitted(existing["video_id"])
        try:
            return video_store.create(record, replaces=named, reprocess=reprocess,
                                      limits=submission_limits())
        except video_store.SubmissionChanged:
            continue  # a concurrent submit of this video: read what it left
        except video_store.LimitReached as exc:
            window = "hour" if exc.window_seconds == 3600 else "day"
            raise TooManyRequestsError(
                f"You can submit at most {exc.limit} videos per {window}; nothing was "
                "charged. Try again later.") from exc
        except movements.InsufficientCredits as exc:
            raise PaymentRequired(str(exc)) from exc
    raise ConflictError("This video is being submitted right now; try again")


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
