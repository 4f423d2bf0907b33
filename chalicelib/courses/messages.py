"""A course's messages on the worker's queue (chalicelib.core.work_queue), beside video
jobs and exports: `{"kind": "course", "action": "list" | "tick", "course_id",
"user_id"}`. `list` lists a playlist (yt-dlp, in the worker: it may take seconds);
`tick` advances a course later (the pace's next minute, a check for credits).

This module is the messages' shape only: the runner sends ticks, the API sends
listings, and chalicelib.courses.jobs handles what arrives."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.core import work_queue

KIND = "course"
ACTIONS = ("list", "tick")
MAX_DELAY_SECONDS = 900  # SQS's longest delay


@dataclass(frozen=True)
class Job:
    action: str
    course_id: str
    user_id: str


def send_list(course_id: str, user_id: str, delay_seconds: int = 0) -> None:
    work_queue.send({"kind": KIND, "action": "list", "course_id": course_id,
                     "user_id": user_id}, min(MAX_DELAY_SECONDS, max(0, delay_seconds)))


def send_tick(course_id: str, user_id: str, delay_seconds: int) -> None:
    work_queue.send({"kind": KIND, "action": "tick", "course_id": course_id,
                     "user_id": user_id}, min(MAX_DELAY_SECONDS, max(0, delay_seconds)))


def is_job(body: Any) -> bool:
    data = work_queue.decode(body)
    return data is not None and data.get("kind") == KIND


def parse_job(body: Any) -> Job | None:
    data = work_queue.decode(body)
    if data is None or data.get("kind") != KIND or data.get("action") not in ACTIONS:
        return None
    course_id, user_id = data.get("course_id"), data.get("user_id")
    if not isinstance(course_id, str) or not isinstance(user_id, str) or not user_id:
        return None
    return Job(str(data["action"]), course_id, user_id)
