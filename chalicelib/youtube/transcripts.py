"""Where a transcript comes from: the user's upload, else the S3 cache, else
youtube-transcript-api, else yt-dlp (docs/DESIGN.md section 6; docs/ARCHITECTURE.md,
"Processing").

A cached transcript is used instead of asking YouTube, which blocks cloud IPs
that ask too often. Failures are split in two: permanent ones (no captions,
unavailable, private, age-restricted, members-only, ...) fail the video at once;
transient ones (blocked, throttled, network) are raised for SQS to retry. Only a
definite answer of the first path is final; anything else it raises, even an
exception nobody foresaw, sends the job to yt-dlp, whose answer decides.

Locally (docs/DESIGN.md section 6), a machine that cannot reach YouTube at all is
offline: retrying would not help, so the video fails at once, saying that only
seeded lectures and uploaded captions work without a network.
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from chalicelib.core import config
from chalicelib.youtube import transcript_api, transcript_cache, uploads
from chalicelib.youtube.transcript_model import (  # re-exported for callers
    MAX_VIDEO_SECONDS as MAX_VIDEO_SECONDS,
)
from chalicelib.youtube.transcript_model import (
    PERMANENT_MESSAGES as PERMANENT_MESSAGES,
)
from chalicelib.youtube.transcript_model import (
    Chapter as Chapter,
)
from chalicelib.youtube.transcript_model import (
    Segment as Segment,
)
from chalicelib.youtube.transcript_model import (
    Transcript as Transcript,
)
from chalicelib.youtube.transcript_model import (
    TranscriptTemporarilyUnavailable as TranscriptTemporarilyUnavailable,
)
from chalicelib.youtube.transcript_model import (
    TranscriptUnavailable as TranscriptUnavailable,
)
from chalicelib.youtube.transcript_model import (
    YouTubeUnreachable as YouTubeUnreachable,
)
from chalicelib.youtube.transcript_model import (
    permanent as permanent,
)

log = logging.getLogger(__name__)


def get_transcript(video_id: str, languages: Sequence[str],
                   uploaded_by: tuple[str, str] | None = None) -> Transcript:
    """The transcript of YouTube video `video_id`. `uploaded_by` is (user_id, the
    submission's video_id): that user's upload, if any, comes first and is never
    written to the shared cache."""
    if uploaded_by is not None:
        upload = uploads.load(*uploaded_by)
        if upload is not None:
            return check(upload)
    cached = transcript_cache.read_cache(video_id)
    if cached is not None:
        return check(cached)
    try:
        transcript = fetch_from_youtube(video_id, languages)
    except YouTubeUnreachable as exc:
        if config.is_local():
            raise permanent("youtube_unreachable", exc.detail) from exc
        raise
    transcript = check(transcript)
    transcript_cache.write_cache(transcript)
    return transcript


def fetch_from_youtube(video_id: str, languages: Sequence[str]) -> Transcript:
    try:
        return transcript_api.fetch_with_transcript_api(video_id, languages)
    except TranscriptUnavailable:
        raise
    except Exception as first:  # noqa: BLE001 - not a definite answer: ask yt-dlp
        log.info("youtube-transcript-api could not fetch %s (%s: %s); trying yt-dlp",
                 video_id, type(first).__name__, first)
        try:
            return fetch_with_ytdlp(video_id, languages)
        except TranscriptTemporarilyUnavailable as second:
            if isinstance(first, YouTubeUnreachable) and not isinstance(
                    second, YouTubeUnreachable):
                raise YouTubeUnreachable(first.detail) from second
            raise


def check(transcript: Transcript) -> Transcript:
    """Drop empty segments, sort by time, and refuse what cannot be processed."""
    transcript.segments = sorted(
        (s for s in transcript.segments if s.text.strip()), key=lambda s: s.start)
    if not transcript.segments:
        raise permanent("transcript_empty")
    end = transcript.segments[-1].start + transcript.segments[-1].duration
    transcript.duration_seconds = max(transcript.duration_seconds, int(round(end)))
    if transcript.duration_seconds > MAX_VIDEO_SECONDS:
        raise permanent("video_too_long")
    return transcript


def fetch_with_ytdlp(video_id: str, languages: Sequence[str]) -> Transcript:
    from chalicelib.youtube import ytdlp

    try:
        proxy = transcript_api.proxy_url(transcript_api.proxy_config())
        data = ytdlp.fetch_with_ytdlp(video_id, languages, proxy=proxy)
    except ytdlp.SubtitlesUnavailable as exc:
        raise TranscriptUnavailable(exc.code, PERMANENT_MESSAGES.get(exc.code, exc.message)) \
            from exc
    except ytdlp.SubtitlesTemporarilyUnavailable as exc:
        if exc.reason == "unreachable":
            raise YouTubeUnreachable(str(exc)) from exc
        raise TranscriptTemporarilyUnavailable(str(exc), exc.reason) from exc
    except Exception as exc:  # a bug or a change in yt-dlp: retry, logged
        log.exception("yt-dlp failed on %s in an unforeseen way", video_id)
        raise TranscriptTemporarilyUnavailable(f"{type(exc).__name__}: {exc}"[:300]) from exc
    return Transcript.from_dict(data)


def front_matter(transcript: Transcript) -> dict[str, Any]:
    """What the note says about its transcript (docs/DESIGN.md section 7)."""
    return {"transcript": transcript.source, "language": transcript.language,
            "automatic_captions": transcript.is_generated}
