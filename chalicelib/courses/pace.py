"""The service's pace toward YouTube for courses (docs/DESIGN.md section 14).

A course submits its lectures only as fast as COURSE_FETCHES_PER_MINUTE allows across
the whole service (default 6): one DynamoDB counter per minute
(chalicelib.courses.course_store.take_pace_token), incremented under a condition, so
every worker shares one budget and a refused course ticks again at the next minute.

Why 6 a minute: a lecture's fetch is 3 to 5 requests to YouTube (watch page, player,
caption track), so 6 lectures a minute is at most about 30 requests a minute from the
service's address, what one person clicking through a playlist would make. Users of
the transcript libraries report addresses banned after a 154-video playlist fetched in
a burst; at this pace that playlist takes about 26 minutes, and single submissions
(POST /videos) keep their own per-user limits beside it. A lecture whose transcript
is cached (or uploaded) costs YouTube nothing, but it is counted all the same: the
pace stays simple to reason about, and the cache makes the lecture fast anyway.
"""
from __future__ import annotations

import time

from chalicelib.core import config
from chalicelib.courses import course_store

DEFAULT_PER_MINUTE = 6


def per_minute() -> int:
    return max(1, int(config.env("COURSE_FETCHES_PER_MINUTE", str(DEFAULT_PER_MINUTE))
                      or DEFAULT_PER_MINUTE))


def take() -> bool:
    """One fetch start of this minute, if the service has one left."""
    return course_store.take_pace_token(course_store.now_minute(), per_minute())


def seconds_to_next_minute() -> int:
    return max(1, 60 - int(time.time()) % 60)
