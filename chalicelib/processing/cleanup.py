"""The scheduled cleanup: jobs stuck in `queued` or `processing` past their
deadline are requeued once, then failed and refunded.

Reads StatusIndex (status, created_at): no scans. Queued jobs are stuck after
QUEUED_DEADLINE_SECONDS; processing jobs when their lease ran out.
"""
from __future__ import annotations

import time

from chalicelib.core import db
from chalicelib.processing import job
from chalicelib.videos import job_queue
from chalicelib.videos import video_store

QUEUED_DEADLINE_SECONDS = 3600
TIMED_OUT = ("timed_out", "Processing took too long; your credits were refunded. Try again.")


def cleanup(now: float | None = None, page_size: int = 100) -> dict:
    """Requeue jobs stuck past their deadline once, then fail and refund them."""
    now = now or time.time()
    counts = {"requeued": 0, "failed": 0, "skipped": 0}
    cutoff = _iso(now - QUEUED_DEADLINE_SECONDS)
    for status in video_store.ACTIVE_STATUSES:
        for record in video_store.stuck_candidates(
                status, cutoff if status == "queued" else _iso(now), page_size):
            if _stuck(record, now):
                counts[_rescue(record, now)] += 1
    return counts


def _iso(epoch: float) -> str:
    return db.iso_from_epoch(epoch)


def _stuck(record: dict, now: float) -> bool:
    """Past its deadline: for a processing video, its lease ran out (a video waiting
    for its retry keeps the retry's deadline as its lease: not stuck before it)."""
    if record["status"] not in video_store.ACTIVE_STATUSES:
        return False
    if record["status"] == "processing":
        return int(record.get("lease_until") or 0) < now
    requeued_at = record.get("requeued_at")
    return requeued_at is None or requeued_at < _iso(now - QUEUED_DEADLINE_SECONDS)


def _rescue(record: dict, now: float) -> str:
    """Requeue once, else fail and refund: each write conditioned on the claim as read,
    and the fail only if the video, read again, is still stuck (a fresh claim or a
    pending retry is left alone)."""
    if not record.get("requeued") and video_store.requeue(record, _iso(now)):
        job_queue.enqueue(record["video_id"], record["user_id"])
        return "requeued"
    if video_store.fail(record, *TIMED_OUT, unless=lambda current: not _stuck(current, now)):
        job.after_failure(record)
        return "failed"
    return "skipped"
