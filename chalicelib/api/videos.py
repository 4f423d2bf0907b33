"""POST, GET and DELETE /videos: the requests (chalicelib.videos.submissions submits,
reads and deletes; chalicelib.videos.video_store keeps the table).

Uploaded captions are parsed here, before anything is reserved, so that a bad file is
a 400 naming its line and an oversized one a 413 (docs/DESIGN.md section 4).
"""
from __future__ import annotations

from typing import Any

from chalicelib.api import paging
from chalicelib.core.errors import BadRequestError, PayloadTooLargeError
from chalicelib.http import validation
from chalicelib.videos import submissions, video_store
from chalicelib.videos.records import Video
from chalicelib.youtube import links, uploads
from chalicelib.youtube.transcript_model import Transcript

MAX_SUBJECT_LENGTH = 100


def submit(user_id: str, body: Any) -> dict[str, Any]:
    """202 body: the queued video and `credits_remaining` (AlreadySubmitted: 409)."""
    body = validation.object_body(body, required=("url",),
                                  optional=("subject", "languages", "transcript",
                                            "reprocess"))
    youtube_id = links.parse_video_id(body["url"])
    return submissions.submit(user_id, submissions.Submission(
        youtube_video_id=youtube_id,
        upload=_uploaded(body.get("transcript"), youtube_id),
        reprocess=validation.boolean(body["reprocess"], "reprocess")
        if body.get("reprocess") is not None else False,
        subject=validation.string(body["subject"], "subject", max_length=MAX_SUBJECT_LENGTH)
        if body.get("subject") is not None else None,
        languages=validation.languages(body["languages"])
        if body.get("languages") is not None else None))


def _uploaded(text: Any, youtube_id: str) -> Transcript | None:
    if text is None:
        return None
    if not isinstance(text, str) or not text.strip():
        raise BadRequestError("transcript must be the text of a WebVTT or SRT file")
    try:
        return uploads.parse(text, youtube_id)
    except uploads.UploadTooLarge as exc:
        raise PayloadTooLargeError(str(exc)) from exc
    except uploads.UploadRejected as exc:
        raise BadRequestError(str(exc)) from exc


def list_videos(user_id: str, params: dict[str, str] | None) -> dict[str, Any]:
    def fetch(page: paging.PageRequest) -> tuple[list[Video], str | None]:
        status = page.filters.get("status")
        if status:
            validation.choice(status, "status", video_store.STATUSES)
        return video_store.list_page(user_id, status=status, limit=page.limit,
                                     last_key=page.last_key)

    return paging.listed("videos", params, fetch=fetch, public=video_store.public_video,
                         filters=("status",))


def get_video(user_id: str, video_id: str) -> dict[str, Any]:
    return submissions.get_video(user_id, video_id)


def delete(user_id: str, video_id: str) -> None:
    submissions.delete(user_id, video_id)
