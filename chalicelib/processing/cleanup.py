"""The scheduled cleanup: jobs stuck in `queued` or `processing` past their
deadline are requeued once, then failed and refunded.

Reads InFlightIndex (chalicelib.videos.video_store): only the videos still in flight
and past their deadline are in it, so a finished video costs the cleanup nothing;
no scans. Queued jobs are stuck QUEUED_DEADLINE_SECONDS after they were queued
(or requeued); processing jobs when their lease ran out.
"""
from __future__ import annotations

import time
from typing import Any

from chalicelib.core import db
from chalicelib.processing import job
from chalicelib.videos import job_queue, lifecycle, video_store
from chalicelib.videos.records import Video

QUEUED_DEADLINE_SECONDS = video_store.QUEUED_DEADLINE_SECONDS
TIMED_OUT = ("timed_out", "Processing took too long; your credits were refunded. Try again.")


def cleanup(now: float | None = None, page_size: int = 100) -> dict[str, Any]:
    """Requeue jobs stuck past their deadline once, then fail and refund them."""
    now = now or time.time()
    counts = {"requeued": 0, "failed": 0, "skipped": 0}
    for record in video_store.stuck_candidates(now, page_size):
        if _stuck(record, now):
            counts[_rescue(record, now)] += 1
    return counts


def _iso(epoch: float) -> str:
    return db.iso_from_epoch(epoch)


def _stuck(record: Video, now: float) -> bool:
    """Past its deadline: for a processing video, its lease ran out (a video waiting
    for its retry keeps the retry's deadline as its lease: not stuck before it); for
    a queued one, an hour since it was queued or requeued."""
    if record["status"] not in video_store.ACTIVE_STATUSES:
        return False
    if record["status"] == "processing":
        return int(record.get("lease_until") or 0) < now
    queued_at = record.get("requeued_at") or record.get("created_at") or ""
    return queued_at < _iso(now - QUEUED_DEADLINE_SECONDS)


def _rescue(record: Video, now: float) -> str:
    """Requeue once, else fail and refund: each write conditioned on the claim as read,
    and the fail only if the video, read again, is still stuck (a fresh claim or a
    pending retry is left alone)."""
    if not record.get("requeued") and lifecycle.requeue(record, now):
        job_queue.enqueue(record["video_id"], record["user_id"])
        return "requeued"
    if lifecycle.fail(record, *TIMED_OUT, unless=lambda current: not _stuck(current, now)):
        job.after_failure(record)
        return "failed"
    return "skipped"
