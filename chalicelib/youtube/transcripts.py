"""Where a transcript is fetched: the S3 cache first, then youtube-transcript-api,
then yt-dlp (docs/ARCHITECTURE.md, "Processing").

A cached transcript is used instead of asking YouTube, which blocks cloud IPs
that ask too often. Failures are split in two: permanent ones (no captions,
unavailable, private, age-restricted) fail the video at once; transient ones
(blocked, throttled, network) are raised for SQS to retry.
"""
from __future__ import annotations

import logging
from typing import Sequence

from chalicelib.youtube import transcript_api, transcript_cache
from chalicelib.youtube.transcript_model import (  # noqa: F401  (re-exported for callers)
    MAX_VIDEO_SECONDS,
    PERMANENT_MESSAGES,
    Chapter,
    Segment,
    Transcript,
    TranscriptTemporarilyUnavailable,
    TranscriptUnavailable,
    permanent,
)

log = logging.getLogger(__name__)


def get_transcript(video_id: str, languages: Sequence[str]) -> Transcript:
    """The transcript from the cache, else from YouTube (written to the cache)."""
    cached = transcript_cache.read_cache(video_id)
    if cached is not None:
        return check(cached)
    try:
        transcript = transcript_api.fetch_with_transcript_api(video_id, languages)
    except TranscriptTemporarilyUnavailable as blocked:
        log.info("youtube-transcript-api could not fetch %s (%s); trying yt-dlp",
                 video_id, blocked)
        transcript = fetch_with_ytdlp(video_id, languages)
    transcript = check(transcript)
    transcript_cache.write_cache(transcript)
    return transcript


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
        proxy = transcript_api.proxy_config()
        data = ytdlp.fetch_with_ytdlp(video_id, languages,
                                          proxy=proxy.https_url if proxy else None)
    except ytdlp.SubtitlesUnavailable as exc:
        raise TranscriptUnavailable(exc.code, PERMANENT_MESSAGES.get(exc.code, exc.message)) \
            from exc
    except ytdlp.SubtitlesTemporarilyUnavailable as exc:
        raise TranscriptTemporarilyUnavailable(str(exc)) from exc
    return Transcript.from_dict(data)
