"""POST, GET and DELETE /videos: the requests (chalicelib.videos.submissions submits,
reads and deletes; chalicelib.videos.video_store keeps the table).

Uploaded captions are parsed here, before anything is reserved, so that a bad file is
a 400 naming its line and an oversized one a 413 (docs/DESIGN.md section 4). Their
`title` (the student's, or the file's name: the web client sends it) is read here too,
cleaned like any outside text; the job titles the note with it, never with a keyword
(docs/DESIGN.md section 7).
"""
from __future__ import annotations

import re
from typing import Any

from chalicelib.api import paging
from chalicelib.core.errors import BadRequestError, PayloadTooLargeError
from chalicelib.courses import progress
from chalicelib.http import validation
from chalicelib.notes import safe_text
from chalicelib.videos import submissions, video_store
from chalicelib.videos.records import Video
from chalicelib.youtube import links, uploads
from chalicelib.youtube.transcript_model import Transcript

MAX_SUBJECT_LENGTH = 100
MAX_TITLE_LENGTH = 200  # a draft's title limit too (chalicelib.notes.drafts.LIMITS)
# A caption file's name as the web client or yt-dlp leaves it: "Week_3-entropy.en.vtt",
# "Entropy [dQw4w9WgXcQ].en-US.srt". The extension, a language tag before it and
# yt-dlp's "[video id]" go; "_" and "-" read as spaces.
_CAPTION_FILE = re.compile(r"(?:\s*\[[A-Za-z0-9_-]{11}\])?"
                           r"(?:\.[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*)?\.(?:vtt|srt)$",
                           re.IGNORECASE)


def submit(user_id: str, body: Any) -> dict[str, Any]:
    """202 body: the queued video and `credits_remaining` (AlreadySubmitted: 409)."""
    body = validation.object_body(body, required=("url",),
                                  optional=("subject", "languages", "transcript", "title",
                                            "reprocess"))
    youtube_id = links.parse_video_id(body["url"])
    if body.get("title") is not None and body.get("transcript") is None:
        raise BadRequestError(
            "'title' names uploaded captions and is accepted only with 'transcript'; "
            "a note made from YouTube's captions takes the video's own title")
    title = upload_title(body["title"]) if body.get("title") is not None else ""
    return submissions.submit(user_id, submissions.Submission(
        youtube_video_id=youtube_id,
        upload=_uploaded(body.get("transcript"), youtube_id, title),
        reprocess=validation.boolean(body["reprocess"], "reprocess")
        if body.get("reprocess") is not None else False,
        subject=validation.string(body["subject"], "subject", max_length=MAX_SUBJECT_LENGTH)
        if body.get("subject") is not None else None,
        languages=validation.languages(body["languages"])
        if body.get("languages") is not None else None))


def upload_title(value: Any) -> str:
    """The title a student gave their uploaded captions, as a note may carry it: at
    most MAX_TITLE_LENGTH characters as sent (400 beyond), then NFC text without
    control or format characters, its spaces collapsed (chalicelib.notes.safe_text);
    a caption file's name reads as words ("Week_3-entropy.en.vtt": "Week 3 entropy").
    Markdown or HTML in it stays text: the note's renderer escapes every title.
    "" when nothing is left, and the job falls back (chalicelib.processing.job)."""
    if not isinstance(value, str):
        raise BadRequestError("'title' must be a string")
    if len(value) > MAX_TITLE_LENGTH:
        raise BadRequestError(f"'title' must be at most {MAX_TITLE_LENGTH} characters")
    title = " ".join(safe_text.clean(value).split())
    named = _CAPTION_FILE.search(title)
    if named:
        title = " ".join(re.sub(r"[_-]+", " ", title[:named.start()]).split())
    return title


def _uploaded(text: Any, youtube_id: str, title: str = "") -> Transcript | None:
    if text is None:
        return None
    if not isinstance(text, str) or not text.strip():
        raise BadRequestError("transcript must be the text of a WebVTT or SRT file")
    try:
        return uploads.parse(text, youtube_id, title=title)
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
    record = submissions.delete(user_id, video_id)  # 404 when it is not theirs
    progress.video_deleted(record)  # a course's lecture no longer shows it as done
