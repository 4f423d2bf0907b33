"""The transcript model: what both transcript paths produce and the cache stores
(docs/ARCHITECTURE.md, "Data"), and the two kinds of failure.

Permanent failures (no captions, unavailable, private, age-restricted) fail the
video at once; transient ones (blocked, throttled, network) are raised for SQS
to retry.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Any

MAX_VIDEO_SECONDS = 6 * 3600
# A caption cue holds a line or two; more word times than this is not a real cue, and
# the cache entry keeps none for it (the segment is still used, timed by its start).
MAX_WORD_STARTS = 200
# How far before its cue or after the cue's end a word may start (json3 events and
# WebVTT cues are display times; the words said in them lie inside, give or take).
WORD_SLACK_SECONDS = 10.0


@dataclass
class Segment:
    text: str
    start: float
    duration: float
    # When each word of `text` (its whitespace tokens) starts, in seconds from the
    # video's start: YouTube's automatic captions time every word (json3 `tOffsetMs`,
    # WebVTT inline timestamps). None where unknown (human captions, srv1 XML from
    # youtube-transcript-api, cache entries written before word times were kept).
    word_starts: list[float] | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"text": self.text, "start": self.start,
                                "duration": self.duration}
        if self.word_starts is not None:
            data["word_starts"] = self.word_starts
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Segment:
        text, start = str(data["text"]), float(data["start"])
        duration = float(data.get("duration", 0))
        return cls(text, start, duration,
                   checked_word_starts(text, start, duration, data.get("word_starts")))


def checked_word_starts(text: str, start: float, duration: float,
                        starts: object) -> list[float] | None:
    """`starts` as a segment's word times if they fit its text (one per token, at most
    MAX_WORD_STARTS, finite, in order, within the cue give or take WORD_SLACK_SECONDS);
    else None: a cache entry or caption file with odd word times still loads, untimed."""
    if not isinstance(starts, list) or not starts or len(starts) > MAX_WORD_STARTS:
        return None
    if not all(isinstance(value, int | float) and not isinstance(value, bool)
               for value in starts):
        return None
    times = [float(value) for value in starts]
    if len(times) != len(text.split()) or not all(map(math.isfinite, times)):
        return None
    if any(later < earlier for earlier, later in itertools.pairwise(times)):
        return None
    if times[0] < start - WORD_SLACK_SECONDS or \
            times[-1] > start + max(duration, 0.0) + WORD_SLACK_SECONDS:
        return None
    return times


@dataclass
class Chapter:
    title: str
    start: float


@dataclass
class Transcript:
    video_id: str
    title: str
    channel: str
    duration_seconds: int
    language: str
    is_generated: bool
    segments: list[Segment]
    chapters: list[Chapter] = field(default_factory=list)
    # "youtube" or "uploaded" (docs/DESIGN.md section 4); not part of the cache format.
    source: str = "youtube"

    def to_dict(self) -> dict[str, Any]:
        """The cache format (docs/DESIGN.md section 5); `word_starts` only where known."""
        return {"video_id": self.video_id, "title": self.title, "channel": self.channel,
                "duration_seconds": self.duration_seconds, "language": self.language,
                "is_generated": self.is_generated,
                "segments": [segment.to_dict() for segment in self.segments],
                "chapters": [{"title": c.title, "start": c.start} for c in self.chapters]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Transcript:
        return cls(
            video_id=data["video_id"], title=data.get("title") or "",
            channel=data.get("channel") or "",
            duration_seconds=int(data.get("duration_seconds") or 0),
            language=data.get("language") or "en",
            is_generated=bool(data.get("is_generated")),
            segments=[Segment.from_dict(s) for s in data.get("segments", [])],
            chapters=[Chapter(str(c["title"]), float(c["start"]))
                      for c in data.get("chapters") or []],
        )

    @property
    def text(self) -> str:
        return " ".join(segment.text for segment in self.segments)


class TranscriptUnavailable(Exception):
    """Permanent: retrying will not help. `code` goes on the failed video."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class TranscriptTemporarilyUnavailable(Exception):
    """Transient: YouTube blocked or throttled us, or the network failed. Retry later.

    `reason` (a key of WAITING_MESSAGES) says why in words a student can act on;
    it becomes the video's status_message while it waits (docs/DESIGN.md section 6)."""

    def __init__(self, message: str, reason: str = "busy") -> None:
        super().__init__(message)
        self.reason = reason if reason in WAITING_MESSAGES else "busy"

    @property
    def status_message(self) -> str:
        return WAITING_MESSAGES[self.reason]


class YouTubeUnreachable(TranscriptTemporarilyUnavailable):
    """No network path to YouTube: its name did not resolve, or it (or the proxy)
    refused the connection. `detail` says which, for the student."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail, "unreachable")
        self.detail = detail

    @property
    def status_message(self) -> str:
        return f"{WAITING_MESSAGES['unreachable']} ({self.detail})"


WAITING_MESSAGES = {
    "busy": "Waiting to retry: YouTube did not answer properly",
    "blocked": "Waiting to retry: YouTube is refusing this server",
    "throttled": "Waiting to retry: YouTube is limiting requests from this server",
    "empty_captions": "Waiting to retry: YouTube sent an empty caption file",
    "unreachable": "Waiting to retry: YouTube could not be reached from the server",
}


PERMANENT_MESSAGES = {
    "captions_disabled": "This video has no captions, so no notes can be made from it",
    "no_transcript": "This video has no transcript in a language we can use",
    "video_unavailable": "This video is unavailable (removed, or the link is wrong)",
    "video_private": "This video is private",
    "age_restricted": "This video is age-restricted, so its transcript cannot be read",
    "video_too_long": f"Videos longer than {MAX_VIDEO_SECONDS // 3600} hours are not supported",
    "transcript_empty": "This video's transcript is empty",
    "members_only": "This video is for the channel's members only, so its transcript "
                    "cannot be read. Upload its captions (WebVTT or SRT) to make notes",
    "premium_only": "This video is only available to YouTube Music Premium members, so its "
                    "transcript cannot be read. Upload its captions to make notes",
    "live_not_started": "This live stream or premiere has not started yet; submit it again "
                        "after it has been broadcast",
    "live_stream": "This video is being streamed live; submit it again once the stream "
                   "has ended and YouTube has made its captions",
    "youtube_unreachable": "YouTube could not be reached: without a network, only the "
                           "seeded lectures or uploaded captions (WebVTT or SRT) can be "
                           "processed",
}


def permanent(code: str, detail: str = "") -> TranscriptUnavailable:
    return TranscriptUnavailable(code, PERMANENT_MESSAGES[code] + (f" ({detail})" if detail
                                                                   else ""))
