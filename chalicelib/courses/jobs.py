"""The worker's side of a course's messages (their shape: chalicelib.courses.messages):
`list` lists the playlist and makes the course ready, `tick` advances it.
chalicelib.processing.handlers dispatches them here."""
from __future__ import annotations

import logging

from chalicelib.courses import course_store, messages, pace, playlist, runner
from chalicelib.courses.messages import Job

log = logging.getLogger(__name__)

GAVE_UP = "The playlist could not be listed after several attempts; try again later."


def handle_message(body: str) -> str:
    """The worker's work for a course message. Returns what happened (logs, tests);
    raises for SQS to retry when YouTube could not be asked."""
    job = messages.parse_job(body)
    if job is None:
        log.error("dropping a malformed course message")
        return "dropped: malformed message"
    if job.action == "tick":
        course = runner.advance(job.course_id, job.user_id, tick=True)
        return f"advanced: {course['status']}"
    return _list(job)


def _list(job: Job) -> str:
    course = course_store.load(job.course_id, job.user_id)
    if course is None or course["status"] != "listing":
        return "dropped: not listing"
    list_id = course["source_url"].rsplit("list=", 1)[-1]
    try:
        listing = playlist.seeded_listing(list_id)
        if listing is None:
            # A listing is a few requests to YouTube, like a lecture's fetch: it takes
            # the same service-wide pace, so many courses created at once never burst.
            if not pace.take():
                messages.send_list(job.course_id, job.user_id,
                                   delay_seconds=pace.seconds_to_next_minute())
                return "waiting for the pace"
            listing = playlist.list_playlist(list_id)
    except playlist.ListingFailed as exc:
        runner.listing_failed(job.course_id, job.user_id, str(exc))
        return "failed"
    try:
        runner.listed(job.course_id, job.user_id, listing)
    except course_store.Gone:
        return "dropped: deleted"
    return f"listed: {len(listing.entries)} lectures"


def handle_dead_letter(body: str) -> str:
    """SQS gave up on a course message: a listing fails with a message (a tick is
    only a nudge: the next event advances the course)."""
    job = messages.parse_job(body)
    if job is None or job.action != "list":
        return "dropped"
    runner.listing_failed(job.course_id, job.user_id, GAVE_UP)
    return "failed"
