"""Playlists: which links name one, and what a playlist holds (docs/DESIGN.md section 14).

Accepted: `youtube.com/playlist?list=ID`, a watch link with `list=`
(`watch?v=..&list=..`), `youtu.be/VIDEO?list=ID`, on the www., m. and music. hosts,
and a bare list id. Only the list id travels further: the playlist is read from
`https://www.youtube.com/playlist?list={id}`, built here, never from the link given.

Listing runs in the worker, through yt-dlp's own YouTube playlist extractor with flat
extraction (`extract_flat`): the playlist pages are read, no video is. Its info dict is
`{"_type": "playlist", "title", "entries": [{"id", "title", "duration", "url"}, ...]}`;
YouTube keeps a private or deleted video's place in a playlist as an entry titled
"[Private video]" or "[Deleted video]" without a duration, which a course shows as
`skipped` with the reason. At most MAX_LECTURES entries are read.

Locally (docs/DESIGN.md section 10), `make seed` writes a sample playlist's listing
under `playlists/{id}.json` in the bucket; the local stage reads it instead of
YouTube, so a course works offline.
"""
from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from chalicelib.core import aws, config
from chalicelib.core.errors import BadRequestError
from chalicelib.notes import safe_text
from chalicelib.youtube import links

log = logging.getLogger(__name__)

MAX_LECTURES = 200
MAX_TITLE = 200
PLAYLIST_URL = "https://www.youtube.com/playlist?list={list_id}"
# Playlists (PL), uploads (UU), albums (OLAK5uy_), favourites (FL) and the like:
# letters, digits, "_" and "-". Mixes ("RD...") are endless radio lists, not courses.
LIST_ID_RE = re.compile(r"^[A-Za-z0-9_-]{10,64}$")
INVALID = ("Not a YouTube playlist link. Use a link such as "
           "https://www.youtube.com/playlist?list=ID, a watch link with &list=ID, "
           "https://youtu.be/VIDEO?list=ID, or the playlist id")
MIX = ("This is a YouTube Mix (an endless list YouTube makes up as it plays), not a "
       "playlist: open the playlist itself and paste its link")
# Seeded listings (`make seed`), read on the local stage only and written by no app
# code, so no AWS stage's policy grants the prefix (tests/infra/test_s3_prefixes.py).
SEEDED_PREFIX = "playlists/"
UNAVAILABLE_TITLES = {"[private video]": "This video is private",
                      "[deleted video]": "This video was deleted",
                      "[unavailable video]": "This video is unavailable"}


class ListingFailed(Exception):
    """The playlist could not be listed; the message says why, for the student."""


@dataclass(frozen=True)
class Entry:
    youtube_video_id: str
    title: str
    duration_seconds: int | None
    skipped: str | None = None  # why the lecture cannot be made (private, deleted)


@dataclass(frozen=True)
class Listing:
    title: str
    entries: list[Entry] = field(default_factory=list)
    truncated: bool = False


def parse_list_id(link: object) -> str:
    """The playlist id a link names; BadRequestError for anything else."""
    if not isinstance(link, str):
        raise BadRequestError("'url' must be a string")
    link = link.strip()
    if not link or len(link) > links.MAX_URL_LENGTH:
        raise BadRequestError(INVALID)
    if "/" not in link and "?" not in link and "." not in link:
        return _checked(link)
    host, segments, parts = links.youtube_url(link, INVALID)
    named = (host in links.WATCH_HOSTS and segments in (["playlist"], ["watch"])) or \
        (host in links.SHORT_HOSTS and len(segments) == 1)
    ids = parse_qs(parts.query).get("list", []) if named else []
    if len(ids) != 1:
        raise BadRequestError(INVALID)
    return _checked(ids[0])


def _checked(list_id: str) -> str:
    if list_id.upper().startswith("RD"):
        raise BadRequestError(MIX)
    if not LIST_ID_RE.match(list_id):
        raise BadRequestError(INVALID)
    return list_id


def source_url(list_id: str) -> str:
    return PLAYLIST_URL.format(list_id=list_id)


def clean_title(value: Any, fallback: str) -> str:
    """Outside text as a title: control characters gone, spaces collapsed, bounded."""
    title = " ".join(safe_text.clean(str(value or "")).split())[:MAX_TITLE]
    return title or fallback


# --- listing -------------------------------------------------------------------------

def list_playlist(list_id: str) -> Listing:
    """The playlist's entries in order (at most MAX_LECTURES), from YouTube.
    ListingFailed when YouTube says it does not exist or is private, or cannot be
    reached."""
    return from_info(_extract(list_id), list_id)


def seeded_listing(list_id: str) -> Listing | None:
    """The local stage's seeded listing (`make seed`) of this playlist, if any: it
    costs YouTube nothing."""
    if not config.is_local():
        return None
    seeded = _seeded(list_id)
    return from_info(seeded, list_id) if seeded is not None else None


def _seeded(list_id: str) -> dict[str, Any] | None:
    try:
        body = aws.client("s3").get_object(Bucket=config.notes_bucket(),
                                           Key=SEEDED_PREFIX + f"{list_id}.json")["Body"].read()
    except Exception as exc:  # noqa: BLE001 - not seeded: ask YouTube
        log.debug("no seeded playlist %s: %s", list_id, exc)
        return None
    data = json.loads(body)
    return data if isinstance(data, dict) else None


class _Log:
    """yt-dlp's messages into our log (its warnings name what YouTube said)."""

    def debug(self, message: str) -> None:
        log.debug("yt-dlp: %s", message[:500])

    def info(self, message: str) -> None:
        log.debug("yt-dlp: %s", message[:500])

    def warning(self, message: str) -> None:
        log.info("yt-dlp warning: %s", message[:500])

    def error(self, message: str) -> None:
        log.info("yt-dlp error: %s", message[:500])


def ydl_params(proxy: str | None) -> dict[str, Any]:
    params: dict[str, Any] = {
        "logger": _Log(), "quiet": True, "noprogress": True, "skip_download": True,
        "cachedir": False,
        "extract_flat": "in_playlist",  # the playlist's pages only, never a video's
        "playlistend": MAX_LECTURES + 1,  # one more tells that there were more
        "socket_timeout": 15, "extractor_retries": 1, "lazy_playlist": True,
    }
    if proxy:
        params["proxy"] = proxy
    return params


def _extract(list_id: str) -> dict[str, Any]:
    from yt_dlp import YoutubeDL
    from yt_dlp.utils import DownloadError

    from chalicelib.youtube import transcript_api, ytdlp

    proxy = transcript_api.proxy_url(transcript_api.proxy_config())
    factory = ytdlp.YDL_FACTORY or YoutubeDL
    try:
        with factory(ydl_params(proxy)) as ydl:
            info = ydl.extract_info(source_url(list_id), download=False)
            return dict(ydl.sanitize_info(info) or {})
    except DownloadError as exc:
        raise ListingFailed(_reason(str(exc))) from exc


def _reason(error: str) -> str:
    lowered = error.lower()
    if "does not exist" in lowered or "404" in lowered:
        return "YouTube says this playlist does not exist. Check the link."
    if "private" in lowered:
        return "This playlist is private: make it public or unlisted, or paste its links."
    return "YouTube could not be reached to list this playlist; try again later."


def from_info(info: dict[str, Any], list_id: str) -> Listing:
    """A flat playlist info dict as a Listing."""
    raw = info.get("entries") or []
    entries: list[Entry] = []
    for item in raw:
        if len(entries) == MAX_LECTURES:
            return Listing(clean_title(info.get("title"), list_id), entries, truncated=True)
        entry = _entry(item)
        if entry is not None:
            entries.append(entry)
    return Listing(clean_title(info.get("title"), list_id), entries)


def _entry(item: Any) -> Entry | None:
    if not isinstance(item, dict):
        return None
    video_id = str(item.get("id") or "")
    if not links.VIDEO_ID_RE.match(video_id):
        return None
    title = clean_title(item.get("title"), video_id)
    duration = item.get("duration")
    seconds = int(duration) if isinstance(duration, (int, float)) and duration > 0 else None
    skipped = UNAVAILABLE_TITLES.get(title.lower())
    return Entry(video_id, title, seconds, skipped)
