"""The yt-dlp fallback for a lecture's transcript (docs/DESIGN.md section 6).

Used when youtube-transcript-api is blocked. yt-dlp's YouTube extractor reads the
video's metadata and caption track list; one track is chosen and its json3 (else
WebVTT) file is downloaded through the same YoutubeDL, so the proxy applies to
every request. The result has the transcript cache format of docs/DESIGN.md section 5.

The track is chosen by the caption-track policy (chalicelib.youtube.tracks); the
file is parsed by chalicelib.youtube.captions. Chapters come from the watch page's
ytInitialData the extractor downloaded, by the rules of chalicelib.youtube.chapters,
never from yt-dlp's `chapters` (see _InitialData).

yt-dlp is imported inside fetch_with_ytdlp only: it is large, and most requests
never need it.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from typing import Any

from chalicelib.youtube import captions, chapters, network, tracks

log = logging.getLogger(__name__)

WATCH_URL = "https://www.youtube.com/watch?v={video_id}"
SOCKET_TIMEOUT_SECONDS = 15

# Test seam: builds the YoutubeDL from its params; None means yt_dlp.YoutubeDL.
# Production never sets it. yt-dlp has no parameter to plug a request handler
# into one YoutubeDL, so tests/fake_ytdlp.py installs its in-process fake
# YouTube on the instance this factory returns (as yt-dlp's own test suite does)
# and the real extractor runs with nothing able to reach the network.
YDL_FACTORY: Callable[[dict[str, Any]], Any] | None = None


class SubtitlesUnavailable(Exception):
    """Permanent: retrying will not help. `code` is one of no_transcript,
    video_unavailable, video_private, age_restricted, members_only, premium_only,
    live_not_started, live_stream. (Never captions_disabled:
    yt-dlp reports a video without captions and one whose captions are turned
    off alike, as empty track lists, so both are no_transcript.)"""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class SubtitlesTemporarilyUnavailable(Exception):
    """Transient: blocked (bot check, 429), YouTube 5xx, network failure or timeout.
    `reason` is a key of transcript_model.WAITING_MESSAGES; for "unreachable",
    the message says what failed (a name that did not resolve, a refused connection)."""

    def __init__(self, message: str, reason: str = "busy") -> None:
        super().__init__(message)
        self.reason = reason


# --- fetching ----------------------------------------------------------------------

def ydl_params(proxy: str | None = None, logger: Any = None) -> dict[str, Any]:
    """YoutubeDL options: metadata and caption list only, nothing written to disk."""
    params: dict[str, Any] = {
        "quiet": True,
        "noprogress": True,
        "skip_download": True,
        "noplaylist": True,
        "cachedir": False,  # Lambda's file system is read-only outside /tmp
        "socket_timeout": SOCKET_TIMEOUT_SECONDS,
        # Each retry may cost a socket timeout; SQS retries the whole job anyway.
        "extractor_retries": 1,
        # Captions are wanted, not media: a video whose formats yt-dlp cannot get
        # (PO tokens, JS challenges) still has usable captions. YouTube's reason for
        # a missing video then arrives as a warning, which the logger keeps.
        "ignore_no_formats_error": True,
        # Nothing is downloaded; an explicit spec spares yt-dlp probing for ffmpeg.
        "format": "bestaudio/best",
        "extractor_args": {"youtube": {
            # Caption URLs need no signature or n-challenge solving: skip the
            # multi-megabyte player JS and the JS runtime Lambda does not have.
            "player_skip": ["js"],
            "skip": ["hls", "dash"],  # no manifest downloads
        }},
    }
    if logger is not None:
        params["logger"] = logger
    if proxy:
        params["proxy"] = proxy
    return params


def fetch_with_ytdlp(video_id: str, languages: Sequence[str],
                     proxy: str | None = None) -> dict[str, Any]:
    """The transcript of `video_id` in the transcript cache format (docs/DESIGN.md section 5).

    Raises SubtitlesUnavailable (permanent, with a code) or
    SubtitlesTemporarilyUnavailable (worth retrying later)."""
    from yt_dlp import YoutubeDL
    from yt_dlp.networking.exceptions import RequestError
    from yt_dlp.utils import DownloadError

    messages = _MessageLog()
    factory = YDL_FACTORY or YoutubeDL
    with factory(ydl_params(proxy, messages)) as ydl:
        # yt-dlp reports caption tracks it drops for want of a PO token through
        # write_debug only, which reaches no logger unless verbose (and verbose runs
        # subprocesses to print its header): listen on this instance alone.
        ydl.write_debug = messages.write_debug
        page = _InitialData()
        if not page.attach(ydl):
            log.warning("yt-dlp's ytInitialData is out of reach (no YouTube extractor "
                        "with _download_initial_data): chapters come from the description only")
        try:
            info = ydl.extract_info(WATCH_URL.format(video_id=video_id), download=False)
        except DownloadError as exc:
            raise classify_error(exc, messages.lines, proxy) from exc
        track = tracks.choose_track(info or {}, languages)
        if track is None:
            raise _why_no_track(messages, info or {})
        try:
            with ydl.urlopen(track.url) as response:
                content = response.read()
        except RequestError as exc:
            why = network.unreachable(exc, proxy)
            if why is not None:
                raise SubtitlesTemporarilyUnavailable(why, "unreachable") from exc
            raise SubtitlesTemporarilyUnavailable(
                f"caption download failed: {exc.msg or type(exc).__name__}") from exc
    if not content.strip():
        # YouTube answers 200 with an empty body when it wants a PO token.
        raise SubtitlesTemporarilyUnavailable("YouTube returned an empty caption file",
                                              "empty_captions")
    try:
        segments = captions.parse_json3(content) if track.ext == "json3" else \
            captions.parse_vtt(content.decode("utf-8-sig", errors="replace"))
    except ValueError as exc:
        raise SubtitlesTemporarilyUnavailable(f"unreadable {track.ext} captions: {exc}") from exc
    return {
        "video_id": video_id,
        "title": str(info.get("title") or ""),
        "channel": str(info.get("channel") or info.get("uploader") or ""),
        "duration_seconds": int(round(float(info.get("duration") or 0))),
        "language": track.language,
        "is_generated": track.is_generated,
        "chapters": [{"title": c.title, "start": c.start} for c in chapters.best(
            page.data, str(info.get("description") or ""))],
        "segments": segments,
    }


class _InitialData:
    """The watch page's ytInitialData as yt-dlp's YouTube extractor got it (from the
    page, else from its /next request), for chapters.best: the same rules as on the
    youtube-transcript-api path.

    yt-dlp's own `chapters` cannot be trusted: it reads the legacy chaptered player
    bar, else the first engagement panel holding markers, whatever its identifier,
    so a video's "Key moments" become chapters; it never reads the player bar's
    markersMap; and it finds chapters in description timestamps YouTube ignores
    (not starting at 0:00, out of order). yt-dlp hands out no initial data, so the
    extractor's `_download_initial_data` is wrapped, on this YoutubeDL's instance
    only (as write_debug is). Should a yt-dlp release rename it, attach() says so
    and the chapters are the description's."""

    def __init__(self) -> None:
        self.data: dict[str, Any] | None = None

    def attach(self, ydl: Any) -> bool:
        try:
            extractor = ydl.get_info_extractor("Youtube")
        except Exception:  # noqa: BLE001 - chapters are not worth failing a transcript
            return False
        original = getattr(extractor, "_download_initial_data", None)
        if not callable(original):
            return False

        def download_initial_data(*args: Any, **kwargs: Any) -> Any:
            found = original(*args, **kwargs)
            if isinstance(found, dict):
                self.data = found
            return found

        extractor._download_initial_data = download_initial_data
        return True


class _MessageLog:
    """yt-dlp's logger: keeps warnings and errors, where the extractor reports
    what YouTube said about a video it could not play."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.po_token = False

    def debug(self, message: str) -> None:
        pass

    info = debug

    def write_debug(self, message: str, only_once: bool = False) -> None:
        # Without this, a video whose tracks need a PO token would look captionless.
        if "po token" in message.lower() and "subtitles" in message.lower():
            self.po_token = True

    def warning(self, message: str) -> None:
        self.lines.append(message)
        log.debug("yt-dlp: %s", message)

    error = warning


# --- errors ------------------------------------------------------------------------

# Checked in this order: a private video's message also says "sign in".
_PERMANENT_PATTERNS = (
    ("video_private", ("private video", "video is private")),
    ("members_only", ("members-only", "members only", "channel's members",
                      "join this channel")),
    ("premium_only", ("music premium", "premium members")),
    ("live_not_started", ("live event will begin", "premieres in", "premiere will begin")),
    ("age_restricted", ("confirm your age", "age-restricted", "age restricted",
                        "inappropriate for some users")),
)
_TRANSIENT_PATTERNS = (
    "not a bot", "captcha", "try again later", "rate-limited", "too many requests",
    "http error 429", "http error 5", "timed out", "timeout", "temporarily",
    "content isn't available", "content isn\u2019t available",
    "connection", "unable to download", "ip is likely being blocked",
)
_UNAVAILABLE_PATTERNS = (
    "video unavailable", "video is unavailable", "video isn't available",
    "video is not available", "no longer available", "has been removed",
    "has been terminated", "copyright",
    "available in your country", "not available from your location",
    "requires payment", "does not exist",
)
_MESSAGES = {
    "no_transcript": "the video has no caption track we can use",
    "video_unavailable": "the video is unavailable",
    "video_private": "the video is private",
    "age_restricted": "the video is age-restricted",
    "members_only": "the video is for channel members only",
    "premium_only": "the video is for Music Premium members only",
    "live_not_started": "the live stream has not started",
    "live_stream": "the video is being streamed live",
}
_PERMANENT_ORDER = ("video_private", "members_only", "premium_only", "live_not_started",
                    "age_restricted", "video_unavailable")


def classify_message(message: str) -> str | None:
    """A permanent error code, "transient", or None when the message says neither."""
    text = message.lower()
    for code, patterns in _PERMANENT_PATTERNS:
        if any(p in text for p in patterns):
            return code
    if any(p in text for p in _TRANSIENT_PATTERNS):
        return "transient"
    if any(p in text for p in _UNAVAILABLE_PATTERNS):
        return "video_unavailable"
    return None


def permanent(code: str, detail: str = "") -> SubtitlesUnavailable:
    return SubtitlesUnavailable(code, _MESSAGES[code] + (f" ({detail})" if detail else ""))


def classify_error(exc: Exception, warnings: Sequence[str] = (),
                   proxy: str | None = None) -> Exception:
    """SubtitlesUnavailable or SubtitlesTemporarilyUnavailable for a yt-dlp error;
    `warnings` (what yt-dlp warned before it) explain errors that say nothing."""
    from yt_dlp.networking.exceptions import HTTPError, TransportError
    from yt_dlp.utils import GeoRestrictedError

    message = _clean_message(str(exc))
    why = network.unreachable(exc, proxy)
    if why is not None:
        return SubtitlesTemporarilyUnavailable(why, "unreachable")
    code = classify_message(message)
    if code not in (None, "transient", "video_unavailable"):
        return permanent(code, message)
    causes = list(network.causes(exc))
    if any(isinstance(c, HTTPError) and c.status == 429 for c in causes):
        return SubtitlesTemporarilyUnavailable(message, "throttled")
    if code == "transient" or any(isinstance(c, TransportError) for c in causes) or any(
            isinstance(c, HTTPError) and (c.status in (403, 429) or c.status >= 500)
            for c in causes):
        return SubtitlesTemporarilyUnavailable(message, _transient_reason(message))
    if code == "video_unavailable" or any(isinstance(c, GeoRestrictedError) for c in causes):
        return permanent("video_unavailable", message)
    explained = _from_warnings(warnings)
    if explained is not None:
        return explained
    # Unknown: let SQS retry; after the last retry the job fails and is refunded.
    log.warning("unclassified yt-dlp error, treated as transient: %s", message)
    return SubtitlesTemporarilyUnavailable(message)


def _why_no_track(messages: _MessageLog, info: dict[str, Any]) -> Exception:
    """No usable track: yt-dlp's warnings say whether YouTube refused the video
    (with ignore_no_formats_error, its reason is a warning) or blocked a request;
    tracks dropped for want of a PO token are not "no captions"."""
    explained = _from_warnings(messages.lines)
    if explained is not None:
        return explained
    if messages.po_token:
        return SubtitlesTemporarilyUnavailable(
            "YouTube's caption tracks need a PO token", "empty_captions")
    if info.get("is_live") or info.get("live_status") == "is_live":
        return permanent("live_stream")
    if info.get("live_status") == "is_upcoming":
        return permanent("live_not_started")
    return permanent("no_transcript")


def _transient_reason(message: str) -> str:
    text = message.lower()
    if any(t in text for t in ("not a bot", "captcha", "ip is likely being blocked")):
        return "blocked"
    if any(t in text for t in ("rate-limited", "try again later", "too many requests",
                               "content isn't available", "content isn\u2019t available")):
        return "throttled"
    return "busy"


def _from_warnings(warnings: Sequence[str]) -> Exception | None:
    codes = {classify_message(w): _clean_message(w) for w in warnings}
    for code in _PERMANENT_ORDER:
        if code in codes:
            return permanent(code, codes[code])
    if "transient" in codes:
        return SubtitlesTemporarilyUnavailable(codes["transient"],
                                               _transient_reason(codes["transient"]))
    return None


_PREFIX_RE = re.compile(r"^(?:(?:ERROR|WARNING):\s*)?(?:\[[\w:]+\]\s*(?:[\w-]{11}:\s*)?)?")
_ADVICE_RE = re.compile(r"(?:\s*Use --cookies|;\s*please report this issue).*$", re.S)


def _clean_message(message: str) -> str:
    """yt-dlp's message without its "ERROR: [youtube] id:" prefix and CLI advice."""
    return _ADVICE_RE.sub("", _PREFIX_RE.sub("", message.strip()))[:300]
