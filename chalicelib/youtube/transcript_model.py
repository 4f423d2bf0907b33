"""The transcript model: what both transcript paths produce and the cache stores
(docs/ARCHITECTURE.md, "Data"), and the two kinds of failure.

Permanent failures (no captions, unavailable, private, age-restricted) fail the
video at once; transient ones (blocked, throttled, network) are raised for SQS
to retry.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

MAX_VIDEO_SECONDS = 6 * 3600


@dataclass
class Segment:
    text: str
    start: float
    duration: float


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

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Transcript":
        return cls(
            video_id=data["video_id"], title=data.get("title") or "",
            channel=data.get("channel") or "",
            duration_seconds=int(data.get("duration_seconds") or 0),
            language=data.get("language") or "en",
            is_generated=bool(data.get("is_generated")),
            segments=[Segment(str(s["text"]), float(s["start"]), float(s.get("duration", 0)))
                      for s in data.get("segments", [])],
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
    """Transient: YouTube blocked or throttled us, or the network failed. Retry later."""


PERMANENT_MESSAGES = {
    "captions_disabled": "This video has no captions, so no notes can be made from it",
    "no_transcript": "This video has no transcript in a language we can use",
    "video_unavailable": "This video is unavailable (removed, or the link is wrong)",
    "video_private": "This video is private",
    "age_restricted": "This video is age-restricted, so its transcript cannot be read",
    "video_too_long": f"Videos longer than {MAX_VIDEO_SECONDS // 3600} hours are not supported",
    "transcript_empty": "This video's transcript is empty",
}


def permanent(code: str, detail: str = "") -> TranscriptUnavailable:
    return TranscriptUnavailable(code, PERMANENT_MESSAGES[code] + (f" ({detail})" if detail
                                                                   else ""))
