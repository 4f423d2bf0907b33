"""The video record: one item of the videos table, as every module sees it.

A TypedDict, so it stays the plain item DynamoDB reads and writes (chalicelib.core.db)
while mypy checks every field a module reads. Only chalicelib.videos.lifecycle
writes it: every transition (queued -> processing -> completed | failed) is there.
"""
from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict

Status = Literal["queued", "processing", "completed", "failed"]


class VideoError(TypedDict):
    code: str
    message: str


class Video(TypedDict):
    video_id: str
    user_id: str
    youtube_video_id: str
    url: str
    status: Status
    user_status: str  # "{user_id}#{status}": UserStatusIndex
    progress: int
    status_message: str
    credits_charged: int
    created_at: str
    updated_at: str
    subject: NotRequired[str | None]
    languages: NotRequired[list[str] | None]
    title: NotRequired[str | None]
    channel: NotRequired[str | None]
    duration_seconds: NotRequired[int | None]
    error: NotRequired[VideoError]
    note_id: NotRequired[str]
    completed_at: NotRequired[str]
    credits_refunded: NotRequired[int]
    # The worker's claim (chalicelib.videos.lifecycle.claim) and its retries.
    attempt_id: NotRequired[str]
    lease_until: NotRequired[int]
    retry_pending: NotRequired[int]
    requeued: NotRequired[int]
    requeued_at: NotRequired[str]
    # What the job learnt and spent.
    failure_key: NotRequired[str]
    generator: NotRequired[str]
    usage: NotRequired[dict[str, Any]]
    draft_cached: NotRequired[bool]
    model_tokens_spent: NotRequired[int]
    # Uploaded captions: the file's digest (chalicelib.youtube.cache_scope).
    upload_digest: NotRequired[str]
    expires_at: NotRequired[int]
