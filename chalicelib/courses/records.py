"""The course record (docs/DESIGN.md sections 4, 5 and 14): one item of the courses
table, its lectures in order, each pointing at its video."""
from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

CourseStatus = Literal["listing", "ready", "running", "completed", "failed"]
LectureStatus = Literal["pending", "queued", "processing", "completed", "failed",
                        "needs_credits", "needs_upload", "skipped"]


class Lecture(TypedDict):
    position: int
    youtube_video_id: str
    title: str
    duration_seconds: int | None
    status: LectureStatus
    video_id: NotRequired[str]
    note_id: NotRequired[str]
    message: NotRequired[str]
    # What its video was charged (after refunds); a lecture the student already had is
    # `linked`: the course never paid for it, and never deletes it.
    credits_charged: NotRequired[int]
    linked: NotRequired[bool]
    # The student had it when the playlist was listed: the estimate counts it free (it
    # is linked, not paid, when its turn comes; if it is gone by then, it is made).
    owned: NotRequired[bool]
    cards_tagged: NotRequired[bool]


class Course(TypedDict):
    course_id: str
    user_id: str
    title: str
    source_url: str
    status: CourseStatus
    lecture_count: int
    completed_count: int
    # Private or deleted entries: never made, so never "done" (absent on older courses).
    skipped_count: NotRequired[int]
    credits_estimate: int
    credits_charged: int
    created_at: str
    lectures: list[Lecture]
    index_note_id: NotRequired[str]
    subject: NotRequired[str | None]
    message: NotRequired[str]
    updated_at: NotRequired[str]
    # Optimistic concurrency (chalicelib.courses.course_store.change), the next
    # scheduled tick (epoch seconds), and since when lectures wait for credits.
    version: NotRequired[int]
    tick_at: NotRequired[int]
    waiting_since: NotRequired[int]
