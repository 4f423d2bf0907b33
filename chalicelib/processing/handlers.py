"""The queue handlers Lambda runs (app.py wires them): a video job from SQS, and a
job SQS gave up on (the dead-letter queue).

A failure shortens the message's visibility before it is raised, so the retry
comes in minutes, not after the queue's 5,400 s visibility timeout; after the
last receive the message goes to the dead-letter queue and the video is failed
and refunded. The schedule (docs/DESIGN.md section 6: a video that cannot get a
transcript settles within 30 minutes on AWS), with the default
JOB_RETRY_BASE_SECONDS of 60 and the queue's maxReceiveCount of 3:

  attempt 1 at 0; attempt 2 about 1 min later; attempt 3 about 5 min after that;
  after the third failure the message is visible again at once, so SQS moves it
  to the dead-letter queue at its next receive and the video fails there.

Each attempt is bounded by its request timeouts (youtube-transcript-api 15 s per
request, yt-dlp 15 s per socket with one extractor retry): about a minute when
YouTube does not answer, so a video settles in about 10 minutes. Tests set the
base to 0. Locally, no network at all fails the video at once
(chalicelib.youtube.transcripts).
"""
from __future__ import annotations

import logging
import time

from chalicelib.core import config, observability, work_queue
from chalicelib.courses import jobs as course_jobs
from chalicelib.courses import messages as course_messages
from chalicelib.courses import progress as course_progress
from chalicelib.notes import export_jobs
from chalicelib.processing import job
from chalicelib.videos import lifecycle, video_store
from chalicelib.videos.records import Video

log = logging.getLogger(__name__)

MAX_RETRY_DELAY_SECONDS = 900
# Delays after the 1st and 2nd failed receives, in units of JOB_RETRY_BASE_SECONDS.
RETRY_STEPS = (1, 5)
MAX_RECEIVES = 3  # infra/template.yaml VideoQueue maxReceiveCount
GAVE_UP = ("processing_failed",
           "We could not process this video after several attempts; your credits were "
           "refunded. Try again later.")
WAITING_PREFIX = "Waiting to retry: "


def retry_delay(receive_count: int) -> int:
    """Seconds until the next receive of a message that failed its receive_count-th."""
    if receive_count >= MAX_RECEIVES:
        return 0  # straight to the dead-letter queue: nothing is gained by waiting
    base = int(config.env("JOB_RETRY_BASE_SECONDS", "60") or 60)
    step = RETRY_STEPS[min(max(receive_count, 1), len(RETRY_STEPS)) - 1]
    return min(MAX_RETRY_DELAY_SECONDS, base * step)


def gave_up_message(record: Video) -> str:
    """The dead-letter failure, with the last real cause when the job left one."""
    waiting = str(record.get("status_message") or "")
    if not waiting.startswith(WAITING_PREFIX):
        return GAVE_UP[1]
    cause = waiting[len(WAITING_PREFIX):].rstrip(".")
    advice = (" If YouTube keeps refusing, submit the link again with its captions as a "
              "WebVTT or SRT file." if "YouTube" in cause else " Try again later.")
    return (f"We could not process this video after {MAX_RECEIVES} attempts ({cause}); "
            f"your credits were refunded.{advice}")


def handle_message(body: str, receipt_handle: str | None = None, receive_count: int = 1) -> str:
    """The SQS handler's work: a video job, or a large export that rides the same queue
    (chalicelib.notes.export_jobs). Returns what happened, for logs and tests."""
    if export_jobs.is_job(body):
        return export_jobs.handle_message(body, receipt_handle, receive_count)
    if course_messages.is_job(body):  # listing a playlist, a course's tick
        return course_jobs.handle_message(body)
    observability.configure()
    parsed = job.parse_job(body)
    if parsed is None:
        log.error("dropping a malformed job message")
        return "dropped: malformed message"
    with observability.context(job_id=parsed.video_id):
        return _handle(parsed, receipt_handle, receive_count)


def _handle(parsed: job.Job, receipt_handle: str | None, receive_count: int) -> str:
    started = time.monotonic()
    delay = retry_delay(receive_count)
    try:
        outcome = job.process(parsed, retry_delay=delay)
    except Exception:
        # Transient errors, and any other (a bug, an outage of our own services):
        # either way SQS retries on the schedule above, never after 90 minutes.
        if receipt_handle:
            work_queue.retry_later(receipt_handle, delay)
        raise
    log.info("job for video %s: %s", parsed.video_id, outcome)
    if outcome == "completed":
        settled = video_store.load(parsed.video_id, parsed.user_id)
        if settled is not None:  # a course's lecture: its course goes on
            course_progress.video_settled(settled)
        observability.metric("VideosProcessed", 1)
        observability.metric("ProcessingSeconds", round(time.monotonic() - started, 3),
                             unit="Seconds")
    return outcome


def handle_dead_letter(body: str) -> str:
    """SQS gave up on this job: fail the video and refund it (once), unless another
    attempt holds it live (a duplicate delivery or cleanup's requeue is running it);
    conditioned on the attempt as read, so a claim taken meanwhile is never failed."""
    if course_messages.is_job(body):
        return course_jobs.handle_dead_letter(body)
    parsed = job.parse_job(body)
    if parsed is None:
        return "dropped"
    record = video_store.load(parsed.video_id, parsed.user_id)
    if record is None:
        return "dropped"
    if lifecycle.fail(record, GAVE_UP[0], gave_up_message(record),
                      unless=video_store.live_claim):
        job.after_failure(record, remember=True)
        return "failed"
    current = video_store.load(parsed.video_id, parsed.user_id) or record
    held = " (held by a live attempt)" if video_store.live_claim(current) else ""
    return f"left alone: {current['status']}{held}"
