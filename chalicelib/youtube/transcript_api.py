"""The first transcript path: youtube-transcript-api (through a proxy when one is
configured: YouTube blocks cloud addresses).

Only a definite answer about the video is final here (captions turned off, the
video unavailable, a live stream): everything else, from YouTube's answers that
only the library's one client (ANDROID) gives to an empty caption body, is raised
as TranscriptTemporarilyUnavailable so that chalicelib.youtube.transcripts tries
yt-dlp before anything is decided (docs/DESIGN.md section 6).

The library is imported inside the functions that use it (cold starts).
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any, cast

from chalicelib.core import config
from chalicelib.youtube import chapters, network, tracks
from chalicelib.youtube.transcript_model import (
    Segment,
    Transcript,
    TranscriptTemporarilyUnavailable,
    TranscriptUnavailable,
    YouTubeUnreachable,
    permanent,
)

PLAYER_PATH = "/youtubei/v1/player"
WATCH_PATH = "/watch"
# The library sets no timeout; one request that hangs must not hold the job until
# Lambda's 900 s limit (the retry schedule in chalicelib.processing.handlers counts
# on attempts that end in about a minute).
REQUEST_TIMEOUT_SECONDS = 15
# Seam for tests: the HTTP session youtube-transcript-api uses. Production uses a
# plain requests.Session; tests give one whose transport answers like YouTube.
session_factory: Callable[[], Any] | None = None


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
    _add_timeout(session)
    seen: dict[str, Any] = {"player": {}, "page": ""}
    session.hooks["response"].append(_recorder(seen))
    proxy = proxy_config()
    api = YouTubeTranscriptApi(proxy_config=proxy, http_client=session)
    try:
        listing = api.list(video_id)
        chosen = tracks.choose_listed_track(listing, languages)
        fetched = chosen.fetch()
    except Exception as exc:  # classified below; nothing escapes raw
        raise classify(exc, seen["player"], proxy_url(proxy)) from exc
    player = seen["player"]
    details = player.get("videoDetails") or {}
    segments = [Segment(_clean(s.text), float(s.start), float(s.duration)) for s in fetched]
    if not any(s.text for s in segments):
        # A document without text (e.g. srv3 where srv1 was asked for): one client's
        # answer, not a definite one about the video. yt-dlp decides.
        raise TranscriptTemporarilyUnavailable("the caption file has no text",
                                               "empty_captions")
    return Transcript(
        video_id=video_id, title=str(details.get("title") or ""),
        channel=str(details.get("author") or ""),
        duration_seconds=int(details.get("lengthSeconds") or 0),
        language=fetched.language_code, is_generated=bool(fetched.is_generated),
        segments=segments,
        chapters=chapters.best(chapters.initial_data(seen["page"]),
                               str(details.get("shortDescription") or "")),
    )


def proxy_url(proxy: Any) -> str | None:
    if proxy is None:
        return None
    try:
        return cast(str | None, proxy.to_requests_dict().get("https"))
    except Exception:  # noqa: BLE001 - only used to word a message
        return None


def _add_timeout(session: Any) -> None:
    original = session.request

    def request(method: str, url: str, **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", REQUEST_TIMEOUT_SECONDS)
        return original(method, url, **kwargs)

    session.request = request


def _recorder(store: dict[str, Any]) -> Callable[..., Any]:
    """A requests response hook keeping what the library fetches and throws away:
    the player response (title, channel, duration, description, live state) and the
    last watch page (YouTube's chapter markers), at no extra request."""

    def record(response: Any, *args: Any, **kwargs: Any) -> Any:
        url = getattr(response, "url", "") or ""
        if not response.ok:
            return response
        if PLAYER_PATH in url:
            try:
                data = response.json()
            except ValueError:
                return response
            if isinstance(data, dict):
                store["player"] = data
        elif f"youtube.com{WATCH_PATH}" in url:
            store["page"] = response.text
        return response

    return record


# Playability reasons that mean the request, not the video, was refused.
_BLOCKED_TEXTS = ("not a bot", "captcha", "unusual traffic")
_THROTTLED_TEXTS = ("content isn", "try again later", "rate")


def classify(exc: BaseException, player: dict[str, Any] | None = None,
             proxy: str | None = None) -> Exception:
    """TranscriptUnavailable for a definite answer about the video; else
    TranscriptTemporarilyUnavailable (with the reason a student is shown), which
    sends the job to yt-dlp."""
    from youtube_transcript_api import _errors as errors

    player = player or {}
    details = player.get("videoDetails") or {}
    if isinstance(exc, TranscriptUnavailable | TranscriptTemporarilyUnavailable):
        return exc
    if isinstance(exc, errors.TranscriptsDisabled):
        if details.get("isLive") or details.get("isLiveContent") and details.get("isUpcoming"):
            return permanent("live_stream" if details.get("isLive") else "live_not_started")
        return permanent("captions_disabled")
    if isinstance(exc, (errors.VideoUnavailable, errors.InvalidVideoId)):
        return permanent("video_unavailable")
    if isinstance(exc, errors.PoTokenRequired):
        return TranscriptTemporarilyUnavailable("PoTokenRequired", "empty_captions")
    if isinstance(exc, errors.RequestBlocked):  # IpBlocked included
        return TranscriptTemporarilyUnavailable(type(exc).__name__, "blocked")
    if isinstance(exc, errors.VideoUnplayable):
        reason = " ".join([str(exc.reason or ""), *map(str, exc.sub_reasons or [])]).lower()
        kind = "blocked" if any(t in reason for t in _BLOCKED_TEXTS) else \
            "throttled" if any(t in reason for t in _THROTTLED_TEXTS) else "busy"
        # One client's answer (members-only, private, age gate, ...) is not final:
        # yt-dlp asks others and decides.
        return TranscriptTemporarilyUnavailable(
            f"VideoUnplayable: {exc.reason or 'no reason given'}", kind)
    import xml.etree.ElementTree as ElementTree

    if isinstance(exc, ElementTree.ParseError):
        # HTTP 200 with an empty body: a caption track gated by a PO token.
        return TranscriptTemporarilyUnavailable(f"unreadable caption file: {exc}",
                                                "empty_captions")
    why = network.unreachable(exc, proxy)
    if why is not None:
        return YouTubeUnreachable(why)
    import requests

    if isinstance(exc, errors.YouTubeRequestFailed):
        status = getattr(getattr(exc, "http_error", None), "response", None)
        code = getattr(status, "status_code", 0) or 0
        return TranscriptTemporarilyUnavailable(f"YouTubeRequestFailed {code}",
                                                "throttled" if code == 429 else "busy")
    if isinstance(exc, requests.RequestException):
        return TranscriptTemporarilyUnavailable(type(exc).__name__)
    # Anything else (FailedToCreateConsentCookie, YouTubeDataUnparsable, a KeyError in
    # the library on a changed page, a bug): not an answer about the video.
    return TranscriptTemporarilyUnavailable(f"{type(exc).__name__}: {exc}"[:300])


_TAG_RE = re.compile(r"<[^>]+>")


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", _TAG_RE.sub("", text.replace("\n", " "))).strip()
