"""The queue handlers Lambda runs (app.py wires them): a video job from SQS, and a
job SQS gave up on (the dead-letter queue).

A transient failure shortens the message's visibility (backoff) before it is
raised, so the retry comes in minutes, not hours; after the last receive the
message goes to the dead-letter queue and the video is failed and refunded.
"""
from __future__ import annotations

import logging
import time

from chalicelib.core import config, observability
from chalicelib.processing import job, job_queue
from chalicelib.videos import video_store

log = logging.getLogger(__name__)

MAX_RETRY_DELAY_SECONDS = 900
GAVE_UP = ("processing_failed",
           "We could not process this video after several attempts; your credits were "
           "refunded. Try again later.")


def handle_message(body: str, receipt_handle: str | None = None, receive_count: int = 1) -> str:
    """The SQS handler's work. Returns what happened, for logs and tests."""
    observability.configure()
    parsed = job.parse_job(body)
    if parsed is None:
        log.error("dropping a malformed job message")
        return "dropped: malformed message"
    with observability.context(job_id=parsed.video_id):
        return _handle(parsed, receipt_handle, receive_count)


def _handle(parsed: job.Job, receipt_handle: str | None, receive_count: int) -> str:
    started = time.monotonic()
    base = int(config.env("JOB_RETRY_BASE_SECONDS", "60") or 60)
    delay = min(MAX_RETRY_DELAY_SECONDS, base * 2 ** max(receive_count - 1, 0))
    try:
        outcome = job.process(parsed, retry_delay=delay)
    except job.TRANSIENT_ERRORS:
        if receipt_handle:
            job_queue.retry_later(receipt_handle, delay)
        raise
    log.info("job for video %s: %s", parsed.video_id, outcome)
    if outcome == "completed":
        observability.metric("VideosProcessed", 1)
        observability.metric("ProcessingSeconds", round(time.monotonic() - started, 3),
                             unit="Seconds")
    return outcome


def handle_dead_letter(body: str) -> str:
    """SQS gave up on this job: fail the video and refund it (once), unless another
    attempt holds it live (a duplicate delivery or cleanup's requeue is running it);
    conditioned on the attempt as read, so a claim taken meanwhile is never failed."""
    parsed = job.parse_job(body)
    record = video_store.load(parsed.video_id, parsed.user_id) if parsed else None
    if record is None:
        return "dropped"
    if video_store.fail(record, *GAVE_UP, unless=video_store.live_claim):
        job.after_failure(record, remember=True)
        return "failed"
    current = video_store.load(parsed.video_id, parsed.user_id) or record
    held = " (held by a live attempt)" if video_store.live_claim(current) else ""
    return f"left alone: {current['status']}{held}"
