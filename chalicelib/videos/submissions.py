"""A student's videos: submitting one (reserving a credit), reading and deleting.
Every write to the videos table is in chalicelib.videos.video_store; the requests
are read by chalicelib.api.videos.

Submitting reserves one credit and creates the video in one DynamoDB
transaction, then queues the job; if queueing fails, the reservation is undone.
Deleting a queued or processing video cancels it and refunds what it was
charged, in the same transaction that deletes it, so a refund happens once.
"""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Any

from chalicelib.core import aws, config, db
from chalicelib.core.errors import (
    ConflictError,
    PaymentRequired,
    ServiceUnavailableError,
    TooManyRequestsError,
)
from chalicelib.ledger import movements, pricing
from chalicelib.notes import note_store
from chalicelib.reviews import card_store
from chalicelib.search import index as search_index
from chalicelib.videos import job_queue, lifecycle, video_store
from chalicelib.videos.records import Video
from chalicelib.youtube import cache_scope, links, uploads
from chalicelib.youtube.transcript_model import Transcript

log = logging.getLogger(__name__)

MAX_SUBMIT_TRIES = 5


class AlreadySubmitted(Exception):
    """409: the user already has this YouTube video (docs/DESIGN.md section 4)."""

    def __init__(self, video_id: str) -> None:
        super().__init__(video_id)
        self.video_id = video_id

    def body(self) -> dict[str, Any]:
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


@dataclass(frozen=True)
class Submission:
    """A checked POST /videos: the video, and how its note is to be made."""

    youtube_video_id: str
    subject: str | None = None
    languages: list[str] | None = None
    upload: Transcript | None = None  # uploaded captions, parsed, with the title sent
    reprocess: bool = False
    # A course's lecture is paced by the course (chalicelib.courses.pace: service-wide,
    # per minute) instead of the per-user limits, which would hold a paid 150-lecture
    # course for two days; its credits still bound what it costs.
    limited: bool = True


def submit(user_id: str, submission: Submission) -> dict[str, Any]:
    """Create the video, reserve its credit and queue its job: the public video and
    `credits_remaining`."""
    youtube_id, upload = submission.youtube_video_id, submission.upload
    subject, languages = submission.subject, submission.languages
    video_id = uuid.uuid4().hex
    now = db.now_iso()
    record: Video = {
        "video_id": video_id, "user_id": user_id, "youtube_video_id": youtube_id,
        "url": links.canonical_url(youtube_id), "status": "queued",
        "user_status": video_store.user_status(user_id, "queued"), "progress": 0,
        "status_message": "Queued", "subject": subject or None, "languages": languages,
        "credits_charged": pricing.RESERVED_CREDITS, "created_at": now, "updated_at": now,
    }
    if upload is not None:  # what is made from it is this user's alone (cache_scope)
        record["upload_digest"] = cache_scope.digest(upload)
        if upload.title:  # the student's title shows while the video waits
            record["title"] = upload.title
    applied = _create(record, reprocess=submission.reprocess, limited=submission.limited)
    try:
        if upload is not None:  # stored before the job can look for it
            uploads.save(user_id, video_id, upload)
        job_queue.enqueue(video_id, user_id)
    except Exception as exc:  # any failure to queue undoes the reservation
        log.error("queueing video %s failed (%s); undoing its reservation",
                  video_id, aws.describe(exc))
        delete(user_id, video_id, reason="not queued")
        raise ServiceUnavailableError(
            "The video could not be queued; your credit was returned. Try again shortly.") \
            from exc
    return {**video_store.public_video(record), "credits_remaining": applied.balance_after}


def _create(record: Video, *, reprocess: bool, limited: bool = True) -> movements.Applied:
    """Create the video unless the user already has it (409), within the submission
    limits (429) and the balance (402). The check is read first (so a user out of
    credits still hears 409) and enforced again by the transaction's conditions, so
    concurrent submits of one video accept one."""
    for _ in range(MAX_SUBMIT_TRIES):
        named, existing = video_store.current_submission(record["user_id"],
                                                         record["youtube_video_id"])
        if existing is not None and video_store.holds_submission(existing) and not reprocess:
            raise AlreadySubmitted(existing["video_id"])
        try:
            return lifecycle.create(record, replaces=named, reprocess=reprocess,
                                    limits=submission_limits() if limited else ())
        except lifecycle.SubmissionChanged:
            continue  # a concurrent submit of this video: read what it left
        except lifecycle.LimitReached as exc:
            window = "hour" if exc.window_seconds == 3600 else "day"
            raise TooManyRequestsError(
                f"You can submit at most {exc.limit} videos per {window}; nothing was "
                "charged. Try again later.") from exc
        except movements.InsufficientCredits as exc:
            raise PaymentRequired(str(exc)) from exc
    raise ConflictError("This video is being submitted right now; try again")


def get_video(user_id: str, video_id: str) -> dict[str, Any]:
    return video_store.public_video(video_store.owned_record(user_id, video_id))


def delete(user_id: str, video_id: str, reason: str = "deleted") -> Video:
    """Delete a video (404 when it is not the student's), its notes, their cards, search
    entries and files; refund it if it was still active; the record as deleted. The
    cards and entries go first (a worker's note is named by its video), so none is left
    behind by a note that is gone."""
    def remove_files(record: Video) -> None:
        card_store.delete_note(user_id, video_id)
        search_index.remove_note(user_id, video_id)  # a worker's note is named by its video
        note_store.delete_for_video(user_id, video_id)
        uploads.delete(user_id, video_id)

    return lifecycle.delete(user_id, video_id, reason=reason, before=remove_files)
