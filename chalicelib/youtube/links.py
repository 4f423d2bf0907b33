"""YouTube links: which forms we accept and the video id they name.

Only the 11-character id travels further: no user-supplied URL is ever fetched,
so a link cannot point the service at another host (no SSRF).
"""
from __future__ import annotations

import re
from urllib.parse import SplitResult, parse_qs, urlsplit

from chalicelib.core.errors import BadRequestError

VIDEO_ID_RE = re.compile(r"^[A-Za-z0-9_-]{11}$")
MAX_URL_LENGTH = 2048
WATCH_HOSTS = frozenset({"youtube.com", "www.youtube.com", "m.youtube.com",
                         "music.youtube.com"})
SHORT_HOSTS = frozenset({"youtu.be", "www.youtu.be"})
PATH_PREFIXES = ("shorts", "embed", "live", "v")
INVALID = ("Not a YouTube video link. Use a link such as https://www.youtube.com/watch?v=ID, "
           "https://youtu.be/ID, a /shorts/, /embed/ or /live/ link, or the 11-character "
           "video id")


def canonical_url(video_id: str) -> str:
    return f"https://www.youtube.com/watch?v={video_id}"


def youtube_url(link: str, invalid: str) -> tuple[str, list[str], SplitResult]:
    """A link's host (lower case), path segments and parts, once it is a plain http(s)
    link with no port or user (a scheme-less link must start with a YouTube host);
    BadRequestError(invalid) otherwise. Which host and path name what is the caller's."""
    if "://" not in link:
        if not re.match(r"^(?:www\.|m\.|music\.)?youtu(?:\.be|be\.com)/", link, re.I):
            raise BadRequestError(invalid)
        link = "https://" + link
    try:
        parts = urlsplit(link)
        port = parts.port
    except ValueError as exc:
        raise BadRequestError(invalid) from exc
    host = (parts.hostname or "").lower()
    if parts.scheme.lower() not in ("http", "https") or port is not None \
            or parts.username is not None or parts.password is not None \
            or "@" in parts.netloc:
        raise BadRequestError(invalid)
    return host, [segment for segment in parts.path.split("/") if segment], parts


def parse_video_id(link: object) -> str:
    """The video id a link names; BadRequestError for anything else."""
    if not isinstance(link, str):
        raise BadRequestError("'url' must be a string")
    link = link.strip()
    if not link or len(link) > MAX_URL_LENGTH:
        raise BadRequestError(INVALID)
    if VIDEO_ID_RE.match(link):
        return link
    host, segments, parts = youtube_url(link, INVALID)
    candidate = None
    if host in WATCH_HOSTS:
        if segments == ["watch"]:
            ids = parse_qs(parts.query).get("v", [])
            candidate = ids[0] if len(ids) == 1 else None
        elif len(segments) == 2 and segments[0] in PATH_PREFIXES:
            candidate = segments[1]
    elif host in SHORT_HOSTS and len(segments) == 1:
        candidate = segments[0]
    if candidate is None or not VIDEO_ID_RE.match(candidate):
        raise BadRequestError(INVALID)
    return candidate
