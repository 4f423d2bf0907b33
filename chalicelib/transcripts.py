"""Transcripts: the S3 cache first, then youtube-transcript-api, then yt-dlp.

A cached transcript is used instead of asking YouTube, which blocks cloud IPs
that ask too often. Failures are split in two: permanent ones (no captions,
unavailable, private, age-restricted) fail the video at once; transient ones
(blocked, throttled, network) are raised for SQS to retry.
"""
from __future__ import annotations

import json
import logging
import re
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Sequence

from chalicelib import aws, config

log = logging.getLogger(__name__)

MAX_VIDEO_SECONDS = 6 * 3600
PLAYER_PATH = "/youtubei/v1/player"
# Seam for tests: the HTTP session youtube-transcript-api uses. Production uses a
# plain requests.Session; tests give one whose transport answers like YouTube.
session_factory: Callable[[], Any] | None = None


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


# --- cache -------------------------------------------------------------------------

def cache_key(video_id: str) -> str:
    return f"transcripts/{video_id}.json"


def read_cache(video_id: str) -> Transcript | None:
    try:
        response = aws.client("s3").get_object(Bucket=config.notes_bucket(),
                                               Key=cache_key(video_id))
    except Exception as exc:  # noqa: BLE001 - a miss is normal; other errors are logged
        if aws.error_code(exc) not in ("NoSuchKey", "404"):
            log.warning("transcript cache read failed for %s: %s", video_id,
                        aws.error_code(exc) or type(exc).__name__)
        return None
    try:
        return Transcript.from_dict(json.loads(response["Body"].read()))
    except (ValueError, KeyError, TypeError):
        log.warning("transcript cache entry for %s is unreadable; fetching again", video_id)
        return None


def write_cache(transcript: Transcript) -> None:
    aws.client("s3").put_object(
        Bucket=config.notes_bucket(), Key=cache_key(transcript.video_id),
        Body=json.dumps(transcript.to_dict(), ensure_ascii=False).encode(),
        ContentType="application/json")


# --- fetching ----------------------------------------------------------------------

def get_transcript(video_id: str, languages: Sequence[str]) -> Transcript:
    """The transcript from the cache, else from YouTube (written to the cache)."""
    cached = read_cache(video_id)
    if cached is not None:
        return check(cached)
    try:
        transcript = fetch_with_transcript_api(video_id, languages)
    except TranscriptTemporarilyUnavailable as blocked:
        log.info("youtube-transcript-api could not fetch %s (%s); trying yt-dlp",
                 video_id, blocked)
        transcript = fetch_with_ytdlp(video_id, languages)
    transcript = check(transcript)
    write_cache(transcript)
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


def proxy_config() -> Any:
    """YOUTUBE_PROXY_URL, else a Webshare rotating proxy from its credentials, else None."""
    from youtube_transcript_api.proxies import GenericProxyConfig, WebshareProxyConfig

    url = config.env("YOUTUBE_PROXY_URL")
    if url:
        return GenericProxyConfig(http_url=url, https_url=url)
    user, password = config.env("WEBSHARE_PROXY_USERNAME"), config.env("WEBSHARE_PROXY_PASSWORD")
    if user and password:
        return WebshareProxyConfig(proxy_username=user, proxy_password=password)
    return None


def fetch_with_transcript_api(video_id: str, languages: Sequence[str]) -> Transcript:
    import requests
    from youtube_transcript_api import YouTubeTranscriptApi

    session = session_factory() if session_factory is not None else requests.Session()
    player: dict = {}
    session.hooks["response"].append(_player_recorder(player))
    api = YouTubeTranscriptApi(proxy_config=proxy_config(), http_client=session)
    try:
        listing = api.list(video_id)
        chosen = choose_track(listing, languages)
        fetched = chosen.fetch()
    except Exception as exc:  # noqa: BLE001 - classified below
        raise _classify(exc) from exc
    details = player.get("videoDetails") or {}
    segments = [Segment(_clean(s.text), float(s.start), float(s.duration)) for s in fetched]
    return Transcript(
        video_id=video_id, title=str(details.get("title") or ""),
        channel=str(details.get("author") or ""),
        duration_seconds=int(details.get("lengthSeconds") or 0),
        language=fetched.language_code, is_generated=bool(fetched.is_generated),
        segments=segments,
        chapters=chapters_from_description(str(details.get("shortDescription") or "")),
    )


def fetch_with_ytdlp(video_id: str, languages: Sequence[str]) -> Transcript:
    from chalicelib import subtitles

    try:
        proxy = proxy_config()
        data = subtitles.fetch_with_ytdlp(video_id, languages,
                                          proxy=proxy.https_url if proxy else None)
    except subtitles.SubtitlesUnavailable as exc:
        raise TranscriptUnavailable(exc.code, PERMANENT_MESSAGES.get(exc.code, exc.message)) \
            from exc
    except subtitles.SubtitlesTemporarilyUnavailable as exc:
        raise TranscriptTemporarilyUnavailable(str(exc)) from exc
    return Transcript.from_dict(data)


def choose_track(listing: Any, languages: Sequence[str]) -> Any:
    """Manual captions over generated ones in the user's languages; else a translation."""
    from youtube_transcript_api import NoTranscriptFound

    wanted = list(dict.fromkeys([*languages, *[code.split("-")[0] for code in languages]]))
    try:
        return listing.find_manually_created_transcript(wanted)
    except NoTranscriptFound:
        pass
    try:
        return listing.find_generated_transcript(wanted)
    except NoTranscriptFound:
        pass
    tracks = sorted(listing, key=lambda track: track.is_generated)  # manual first
    for track in tracks:
        if track.is_translatable:
            codes = {lang.language_code for lang in track.translation_languages}
            for code in wanted:
                if code in codes:
                    return track.translate(code)
    if tracks:
        # No usable language and no translation: a transcript in its own language
        # still makes notes (the model writes them in the user's language).
        return tracks[0]
    raise NoTranscriptFound(listing.video_id, wanted, listing)


def _player_recorder(store: dict) -> Callable[..., Any]:
    """A requests response hook keeping the player response the library fetches:
    title, channel, duration and description arrive with it, at no extra request."""

    def record(response: Any, *args: Any, **kwargs: Any) -> Any:
        if PLAYER_PATH in getattr(response, "url", "") and response.ok:
            try:
                store.update(response.json())
            except ValueError:
                pass
        return response

    return record


def _classify(exc: Exception) -> Exception:
    from youtube_transcript_api import _errors as errors

    if isinstance(exc, (errors.RequestBlocked, errors.YouTubeRequestFailed,
                        errors.PoTokenRequired, errors.YouTubeDataUnparsable,
                        errors.FailedToCreateConsentCookie)):
        return TranscriptTemporarilyUnavailable(type(exc).__name__)
    if isinstance(exc, errors.TranscriptsDisabled):
        return permanent("captions_disabled")
    if isinstance(exc, (errors.NoTranscriptFound, errors.NotTranslatable,
                        errors.TranslationLanguageNotAvailable)):
        return permanent("no_transcript")
    if isinstance(exc, errors.AgeRestricted):
        return permanent("age_restricted")
    if isinstance(exc, (errors.VideoUnavailable, errors.InvalidVideoId)):
        return permanent("video_unavailable")
    if isinstance(exc, errors.VideoUnplayable):
        reason = (exc.reason or "").lower() if hasattr(exc, "reason") else str(exc).lower()
        return permanent("video_private" if "private" in reason else "video_unavailable")
    import requests

    if isinstance(exc, requests.RequestException):
        return TranscriptTemporarilyUnavailable(type(exc).__name__)
    return exc


_TAG_RE = re.compile(r"<[^>]+>")


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", _TAG_RE.sub("", text.replace("\n", " "))).strip()


_CHAPTER_RE = re.compile(r"^\s*[\[(]?((?:\d{1,2}:)?\d{1,2}:\d{2})[\])]?\s*[-–—:|]?\s*(.+?)\s*$")


def parse_clock(text: str) -> int:
    seconds = 0
    for part in text.split(":"):
        seconds = seconds * 60 + int(part)
    return seconds


def chapters_from_description(description: str) -> list[Chapter]:
    """Chapters the way YouTube makes them: description lines with timestamps,
    the first at 0:00, at least three, in increasing order."""
    found: list[Chapter] = []
    for line in description.splitlines():
        match = _CHAPTER_RE.match(line)
        if match:
            start = parse_clock(match.group(1))
            if found and start <= found[-1].start:
                continue
            found.append(Chapter(match.group(2)[:200], float(start)))
    if len(found) >= 3 and found[0].start == 0:
        return found
    return []
