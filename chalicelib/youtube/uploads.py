"""Uploaded captions (docs/DESIGN.md section 4): a WebVTT or SRT file sent with
POST /videos, for a video YouTube will not serve to the server.

Stored for its user only, at uploads/{user_id}/{video_id}.json (video_id: the
submission's id), in the transcript cache format; never written to the shared
transcript cache, so no student's note is ever made from a stranger's upload.
Its `title` is the one the student sent (or the file's name), already cleaned by the
request layer (chalicelib.api.videos); "" when there was none.
"""
from __future__ import annotations

import json
import logging
import re

from chalicelib.core import aws, config
from chalicelib.youtube import captions
from chalicelib.youtube.transcript_model import MAX_VIDEO_SECONDS, Segment, Transcript

log = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 2 * 1024 * 1024
UNKNOWN_LANGUAGE = "und"  # ISO 639-2 "undetermined"
# The price comes from the last cue's end, so the text must fit that duration: fast
# speech is about 20 characters a second (docs/DESIGN.md section 6: cost is bounded
# by the price). Twice that, and a floor for very short clips.
MAX_CHARS_PER_SECOND = 40
MIN_CHARS_ALLOWED = 2000
_LANGUAGE_RE = re.compile(r"^Language:\s*([A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*)\s*$", re.M)


class UploadRejected(ValueError):
    """The file cannot be used; the message names the line (or the limit) at fault."""


class UploadTooLarge(UploadRejected):
    """Larger than MAX_UPLOAD_BYTES (HTTP 413)."""


def key(user_id: str, video_id: str) -> str:
    return f"uploads/{user_id}/{video_id}.json"


def parse(text: str, youtube_video_id: str, title: str = "") -> Transcript:
    """The transcript of an uploaded file, checked strictly (rolling auto-caption
    repeats removed by the same parsers as YouTube's files), under `title`."""
    if _utf8_length(text) > MAX_UPLOAD_BYTES:
        raise UploadTooLarge(f"transcript is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MiB")
    try:
        segments = captions.parse_caption_file(text)
    except captions.CaptionFileError as exc:
        raise UploadRejected(f"transcript is not a valid WebVTT or SRT file: {exc}") from exc
    end = max(s["start"] + s["duration"] for s in segments)
    if end > MAX_VIDEO_SECONDS:
        raise UploadRejected(f"transcript runs past {MAX_VIDEO_SECONDS // 3600} hours; "
                             "longer videos are not supported")
    chars = sum(len(s["text"]) for s in segments)
    if chars > max(MIN_CHARS_ALLOWED, MAX_CHARS_PER_SECOND * end):
        raise UploadRejected(
            f"transcript has {chars:,} characters of text for {end:.0f} seconds of cues, "
            "more than anyone can say in that time; check the cue timings")
    header = text[:2000] if text.lstrip("\ufeff").startswith("WEBVTT") else ""
    language = _LANGUAGE_RE.search(header.split("\n\n")[0])
    return Transcript(
        video_id=youtube_video_id, title=title, channel="",
        # Priced by the last cue's end (docs/DESIGN.md section 4).
        duration_seconds=int(round(end)),
        language=language.group(1) if language else UNKNOWN_LANGUAGE, is_generated=False,
        segments=[Segment.from_dict(s) for s in segments],  # word times kept (YouTube VTT)
        source="uploaded")


def _utf8_length(text: str) -> int:
    """Bytes as stored; a lone surrogate (HTTP bodies refuse them first) is rejected."""
    try:
        return len(text.encode("utf-8"))
    except UnicodeEncodeError as exc:
        raise UploadRejected(f"transcript is not valid Unicode text: character "
                             f"{exc.start + 1} is half of a UTF-16 surrogate pair") from exc


def save(user_id: str, video_id: str, transcript: Transcript) -> None:
    aws.client("s3").put_object(
        Bucket=config.notes_bucket(), Key=key(user_id, video_id),
        Body=json.dumps(transcript.to_dict(), ensure_ascii=False).encode(),
        ContentType="application/json")


def load(user_id: str, video_id: str) -> Transcript | None:
    """The user's upload for this submission, or None (the usual case)."""
    try:
        response = aws.client("s3").get_object(Bucket=config.notes_bucket(),
                                               Key=key(user_id, video_id))
    except Exception as exc:  # noqa: BLE001 - a miss is normal
        if aws.is_error(exc, *aws.NOT_FOUND):
            return None
        raise
    transcript = Transcript.from_dict(json.loads(response["Body"].read()))
    transcript.source = "uploaded"
    return transcript


def delete(user_id: str, video_id: str) -> None:
    aws.client("s3").delete_object(Bucket=config.notes_bucket(), Key=key(user_id, video_id))
