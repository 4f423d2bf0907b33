"""A video's job on the worker's queue (chalicelib.core.work_queue)."""
from __future__ import annotations

from chalicelib.core import work_queue


def enqueue(video_id: str, user_id: str, delay_seconds: int = 0) -> str:
    return work_queue.send({"video_id": video_id, "user_id": user_id}, delay_seconds)
