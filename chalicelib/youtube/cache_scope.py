"""Who may share what is made from a transcript: the one rule for every cache keyed by
a video (docs/DESIGN.md section 4, "stored for that user only").

A transcript YouTube served is the same for every student, so what is made from it
(the transcript cache, Claude's draft, the memory of a model failure) is shared by
YouTube id: a lecture many students submit costs one model call. An uploaded
transcript is the uploader's own text, under any id they chose: what is made from it
is kept under that student and that file's content, so it never reaches another
student (neither a planted note nor a leaked upload), no other student's submission
fails because of it, and another upload of theirs never reads a stale draft.

Every cache key that names a video takes its path here (CacheScope.path).
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chalicelib.youtube.transcript_model import Transcript

UPLOADED = "uploaded"
# Under a cache's prefix; YouTube ids are 11 characters, so this never names a video.
PRIVATE = "private"


@dataclass(frozen=True)
class CacheScope:
    """Where entries made from one video's transcript live, and who may read them."""

    youtube_video_id: str
    owner: str | None = None  # the uploader's user id; None when shared
    content: str | None = None  # the upload's digest

    @property
    def shared(self) -> bool:
        return self.owner is None

    def path(self, name: str) -> str:
        """Where `name` lives within a cache's prefix: `{youtube id}/{name}` when shared;
        under the owner and the upload's content otherwise."""
        if self.shared:
            return f"{self.youtube_video_id}/{name}"
        return f"{PRIVATE}/{self.owner}/{self.youtube_video_id}/{self.content}/{name}"


def shared(youtube_video_id: str) -> CacheScope:
    return CacheScope(youtube_video_id)


def uploaded(youtube_video_id: str, user_id: str, digest: str) -> CacheScope:
    if not user_id or not digest:
        raise ValueError("an upload's scope needs its owner and its digest")
    return CacheScope(youtube_video_id, owner=user_id, content=digest)


def of_video(record: Mapping[str, Any]) -> CacheScope:
    """The scope of a submitted video: its uploader's when it came with captions."""
    digest = record.get("upload_digest")
    if digest:
        return uploaded(str(record["youtube_video_id"]), str(record["user_id"]), str(digest))
    return shared(str(record["youtube_video_id"]))


def may_share(transcript: Transcript) -> bool:
    """Only what YouTube served goes into a cache every student reads."""
    return transcript.source != UPLOADED


def digest(transcript: Transcript) -> str:
    """A short fingerprint of an upload's text and timing: another file is another scope."""
    canonical = json.dumps([[s.text, s.start, s.duration] for s in transcript.segments],
                           ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()[:32]
