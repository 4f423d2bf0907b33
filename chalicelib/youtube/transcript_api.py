"""The first transcript path: youtube-transcript-api (through a proxy when one is
configured: YouTube blocks cloud addresses).

The library is imported inside the functions that use it (cold starts).
"""
from __future__ import annotations

import re
from typing import Any, Callable, Sequence

from chalicelib.core import config
from chalicelib.youtube import chapters, tracks
from chalicelib.youtube.transcript_model import (
    Segment,
    Transcript,
    TranscriptTemporarilyUnavailable,
    permanent,
)

PLAYER_PATH = "/youtubei/v1/player"
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
    player: dict = {}
    session.hooks["response"].append(_player_recorder(player))
    api = YouTubeTranscriptApi(proxy_config=proxy_config(), http_client=session)
    try:
        listing = api.list(video_id)
        chosen = tracks.choose_listed_track(listing, languages)
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
        chapters=chapters.from_description(str(details.get("shortDescription") or "")),
    )


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
