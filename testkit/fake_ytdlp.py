"""An in-process fake YouTube that yt-dlp's real YouTube extractor talks to.

yt-dlp sends every request of a YoutubeDL through its request director
(yt_dlp.networking.common.RequestDirector). `fake_ydl_factory` builds a real
YoutubeDL whose director holds one handler, FakeYouTubeRH, and nothing else, the
way yt-dlp's own tests do (test/test_networking.py swaps `_request_director` on
an instance). So no request can reach the network, while everything above the
transport runs for real: the extractor's parsing of the watch page (ytcfg,
ytInitialPlayerResponse, ytInitialData), its innertube /youtubei/v1/player calls
for whichever clients it picks, YoutubeDL's processing of the result, and
chalicelib.subtitles' caption download through ydl.urlopen.

The fake answers the way YouTube does (shapes taken from real responses, trimmed):
  GET  /watch?v=ID            HTML page with ytcfg.set({...}), ytInitialPlayerResponse,
                              ytInitialData (owner, chapters in an engagement panel)
  GET  /embed/ID              embed page with ytcfg (the extractor's age-gate retry)
  POST /youtubei/v1/player    player response for the client named in the body
  POST /youtubei/v1/next      initial data
  GET  /api/timedtext?...     the track's json3 or vtt, by lang / kind / fmt / tlang
Anything else is answered 404 and recorded in `unexpected`.
"""
from __future__ import annotations

import functools
import io
import json
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import parse_qs, urlencode, urlsplit

from yt_dlp import YoutubeDL
from yt_dlp.networking.common import Features, Request, RequestHandler, Response
from yt_dlp.networking.exceptions import HTTPError, TransportError

VISITOR_DATA = "CgtGYWtlVmlzaXRvcijQ_fakeVisitor%3D%3D"
WEB_CLIENT_VERSION = "2.20261020.01.00"
PLAYER_JS_URL = "/s/player/4fcd6e4a/player_ias.vflset/en_US/base.js"
TRANSLATION_LANGUAGES = {"en": "English", "de": "German", "fr": "French", "es": "Spanish"}


@dataclass
class FakeTrack:
    """A caption track. kind="asr" is YouTube's automatic speech recognition."""
    language: str
    name: str
    kind: str = ""
    json3: dict | None = None
    vtt: str | None = None
    translatable: bool = True
    raw: bytes | None = None  # served as-is for every format (e.g. b"" when blocked)


@dataclass
class FakeVideo:
    video_id: str
    title: str = "Lecture 1: Introduction to Algorithms"
    channel: str = "MIT OpenCourseWare"
    duration: int = 3125
    description: str = "The first lecture of the course."
    chapters: list[tuple[str, str]] = field(default_factory=list)  # (m:ss, title)
    tracks: list[FakeTrack] = field(default_factory=list)
    # None: playable. Otherwise the playabilityStatus YouTube sends instead.
    playability: dict | None = None


@dataclass
class SeenRequest:
    method: str
    url: str
    path: str
    client: str | None
    proxies: dict
    timeout: float


class FakeYouTube:
    """The fake's state: videos, injected failures, and the requests it saw."""

    def __init__(self) -> None:
        self.videos: dict[str, FakeVideo] = {}
        self.requests: list[SeenRequest] = []
        self.unexpected: list[str] = []
        # path prefix -> HTTP status (or "timeout") to answer instead of content
        self.failures: dict[str, int | str] = {}

    def add(self, video: FakeVideo) -> FakeVideo:
        self.videos[video.video_id] = video
        return video

    def fail(self, path_prefix: str, status: int | str) -> None:
        self.failures[path_prefix] = status

    def paths(self) -> list[str]:
        return [r.path for r in self.requests]

    # --- routing -------------------------------------------------------------------

    def handle(self, request: Request, handler: RequestHandler) -> Response:
        parts = urlsplit(request.url)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        body = json.loads(request.data) if isinstance(request.data, bytes) else {}
        client = ((body.get("context") or {}).get("client") or {}).get("clientName")
        self.requests.append(SeenRequest(
            request.method, request.url, parts.path, client,
            handler._get_proxies(request), handler._calculate_timeout(request)))

        for prefix, status in self.failures.items():
            if parts.path.startswith(prefix):
                if status == "timeout":
                    raise TransportError("The read operation timed out", cause=TimeoutError())
                raise _http_error(request, int(status))
        if parts.hostname != "www.youtube.com":
            raise self._unexpected(request)

        if parts.path == "/watch" and request.method == "GET":
            video = self.videos.get(query.get("v", ""))
            return _html(request, self.watch_page(video, query.get("v", "")))
        if parts.path.startswith("/embed/") and request.method == "GET":
            return _html(request, self.embed_page())
        if parts.path == "/youtubei/v1/player" and request.method == "POST":
            return _json(request, self.player_response(
                self.videos.get(body.get("videoId", "")), body.get("videoId", ""), client))
        if parts.path == "/youtubei/v1/next" and request.method == "POST":
            return _json(request, self.initial_data(self.videos.get(body.get("videoId", ""))))
        if parts.path == "/api/timedtext" and request.method == "GET":
            return self.timedtext(request, query)
        raise self._unexpected(request)

    def _unexpected(self, request: Request) -> HTTPError:
        self.unexpected.append(f"{request.method} {request.url}")
        return _http_error(request, 404)

    # --- YouTube's documents -------------------------------------------------------

    def ytcfg(self, client_name: str = "WEB") -> dict:
        return {
            "INNERTUBE_API_KEY": "AIzaSyFakeKeyForTestsOnly0000000000000",
            "INNERTUBE_API_VERSION": "v1",
            "INNERTUBE_CLIENT_NAME": client_name,
            "INNERTUBE_CLIENT_VERSION": WEB_CLIENT_VERSION,
            "INNERTUBE_CONTEXT": {"client": {
                "hl": "en", "gl": "US", "visitorData": VISITOR_DATA,
                "clientName": client_name, "clientVersion": WEB_CLIENT_VERSION}},
            "INNERTUBE_CONTEXT_CLIENT_NAME": 1 if client_name == "WEB" else 56,
            "INNERTUBE_CONTEXT_CLIENT_VERSION": WEB_CLIENT_VERSION,
            "VISITOR_DATA": VISITOR_DATA,
            "STS": 20381,
            "PLAYER_JS_URL": PLAYER_JS_URL,
        }

    def watch_page(self, video: FakeVideo | None, video_id: str) -> str:
        title = video.title if video and not video.playability else ""
        return (
            "<!DOCTYPE html><html lang=\"en\"><head>"
            f"<title>{title + ' - ' if title else ''}YouTube</title>"
            + (f'<meta property="og:title" content="{title}">' if title else "")
            + "</head><body><script nonce=\"fake\">"
            f"ytcfg.set({_script_json(self.ytcfg())});"
            "window.ytcfg.obfuscatedData_ = [];</script>"
            "<script nonce=\"fake\">var ytInitialPlayerResponse = "
            f"{_script_json(self.player_response(video, video_id, 'WEB'))};"
            "var meta = document.createElement('meta');</script>"
            "<script nonce=\"fake\">var ytInitialData = "
            f"{_script_json(self.initial_data(video))};</script>"
            "</body></html>")

    def embed_page(self) -> str:
        return ("<!DOCTYPE html><html><body><script>"
                f"ytcfg.set({_script_json(self.ytcfg('WEB_EMBEDDED_PLAYER'))});"
                "</script></body></html>")

    def player_response(self, video: FakeVideo | None, video_id: str,
                        client: str | None) -> dict:
        context = {"visitorData": VISITOR_DATA, "serviceTrackingParams": []}
        if video is None:
            return {"responseContext": context, "playabilityStatus": UNAVAILABLE}
        if video.playability is not None:
            return {"responseContext": context, "playabilityStatus": video.playability}
        response: dict[str, Any] = {
            "responseContext": context,
            "playabilityStatus": {"status": "OK", "playableInEmbed": True,
                                  "contextParams": "Q0FFU0FnZ0I="},
            "streamingData": {"expiresInSeconds": "21540", "adaptiveFormats": [{
                "itag": 140, "mimeType": 'audio/mp4; codecs="mp4a.40.2"',
                "bitrate": 130516, "contentLength": str(video.duration * 16_000),
                "approxDurationMs": str(video.duration * 1000), "quality": "tiny",
                "audioQuality": "AUDIO_QUALITY_MEDIUM", "audioSampleRate": "44100",
                "audioChannels": 2,
                "url": ("https://rr3---sn-fake.googlevideo.com/videoplayback?"
                        + urlencode({"id": video.video_id, "itag": 140, "source": "youtube",
                                     "mime": "audio/mp4", "c": client or "WEB"})),
            }]},
            "videoDetails": {
                "videoId": video.video_id, "title": video.title,
                "lengthSeconds": str(video.duration), "channelId": "UCEBb1b_L6zDS3xTUrIALZOw",
                "shortDescription": video.description, "author": video.channel,
                "isOwnerViewing": False, "isCrawlable": True, "allowRatings": True,
                "viewCount": "123456", "isPrivate": False, "isLiveContent": False,
            },
            "microformat": {"playerMicroformatRenderer": {
                "title": {"simpleText": video.title},
                "description": {"simpleText": video.description},
                "lengthSeconds": str(video.duration), "ownerChannelName": video.channel,
                "externalChannelId": "UCEBb1b_L6zDS3xTUrIALZOw", "isFamilySafe": True,
                "isUnlisted": False, "category": "Education",
                "uploadDate": "2017-01-01T00:00:00-08:00",
                "publishDate": "2017-01-01T00:00:00-08:00",
            }},
        }
        if video.tracks:
            response["captions"] = {"playerCaptionsTracklistRenderer": {
                "captionTracks": [self.caption_track(video, t) for t in video.tracks],
                "audioTracks": [{"captionTrackIndices": list(range(len(video.tracks)))}],
                "translationLanguages": [
                    {"languageCode": code, "languageName": {"simpleText": name}}
                    for code, name in TRANSLATION_LANGUAGES.items()],
                "defaultAudioTrackIndex": 0,
            }}
        return response

    @staticmethod
    def caption_track(video: FakeVideo, track: FakeTrack) -> dict:
        query = {"v": video.video_id, "ei": "fakeEi", "caps": "asr", "opi": "112496729",
                 "xoaf": "5", "hl": "en", "ip": "0.0.0.0", "ipbits": "0",
                 "expire": "1893456000", "sparams": "ip,ipbits,expire,v,ei,caps,opi,xoaf",
                 "signature": "FAKE.SIGNATURE", "key": "yt8"}
        if track.kind:
            query["kind"] = track.kind
        query["lang"] = track.language
        entry = {
            "baseUrl": "https://www.youtube.com/api/timedtext?" + urlencode(query),
            "name": {"simpleText": track.name},
            "vssId": ("a." if track.kind == "asr" else ".") + track.language,
            "languageCode": track.language,
            "isTranslatable": track.translatable,
            "trackName": "",
        }
        if track.kind:
            entry["kind"] = track.kind
        return entry

    def initial_data(self, video: FakeVideo | None) -> dict:
        results: list[dict] = []
        panels: list[dict] = []
        if video is not None and video.playability is None:
            results = [
                {"videoPrimaryInfoRenderer": {"title": {"runs": [{"text": video.title}]}}},
                {"videoSecondaryInfoRenderer": {"owner": {"videoOwnerRenderer": {
                    "title": {"runs": [{"text": video.channel, "navigationEndpoint": {
                        "browseEndpoint": {"browseId": "UCEBb1b_L6zDS3xTUrIALZOw",
                                           "canonicalBaseUrl": "@mitocw"}}}]},
                    "subscriberCountText": {"simpleText": "5.9M subscribers"}}}}},
            ]
            if video.chapters:
                panels.append({"engagementPanelSectionListRenderer": {
                    "panelIdentifier": "engagement-panel-macro-markers-description-chapters",
                    "content": {"macroMarkersListRenderer": {"contents": [
                        {"macroMarkersListItemRenderer": {
                            "title": {"simpleText": title},
                            "timeDescription": {"simpleText": clock}}}
                        for clock, title in video.chapters]}}}})
        return {
            "responseContext": {"visitorData": VISITOR_DATA},
            "contents": {"twoColumnWatchNextResults": {
                "results": {"results": {"contents": results}}}},
            "engagementPanels": panels,
        }

    def timedtext(self, request: Request, query: dict[str, str]) -> Response:
        video = self.videos.get(query.get("v", ""))
        track = next((t for t in (video.tracks if video else [])
                      if t.language == query.get("lang") and t.kind == query.get("kind", "")),
                     None)
        fmt = query.get("fmt")
        if track is None:
            raise _http_error(request, 404)
        if track.raw is not None:
            return _respond(request, track.raw, "text/plain; charset=UTF-8")
        tlang = query.get("tlang")
        if fmt == "json3" and track.json3 is not None:
            document = _translated(track.json3, tlang) if tlang else track.json3
            return _respond(request, json.dumps(document).encode(), "application/json; charset=UTF-8")
        if fmt == "vtt" and track.vtt is not None:
            return _respond(request, track.vtt.encode(), "text/vtt; charset=UTF-8")
        raise _http_error(request, 404)


# Real responses' shapes for videos YouTube will not play.
UNAVAILABLE = {
    "status": "ERROR", "reason": "Video unavailable",
    "errorScreen": {"playerErrorMessageRenderer": {
        "reason": {"simpleText": "Video unavailable"},
        "subreason": {"runs": [{"text": "This video isn't available anymore"}]}}},
}
PRIVATE = {
    "status": "LOGIN_REQUIRED",
    "messages": ["This is a private video. Please sign in to verify that you may see it."],
    "errorScreen": {"playerErrorMessageRenderer": {
        "reason": {"simpleText": "Private video"},
        "subreason": {"runs": [{"text": "Sign in if you've been granted access to this video"}]}}},
}
AGE_RESTRICTED = {
    "status": "LOGIN_REQUIRED", "reason": "Sign in to confirm your age",
    "desktopLegacyAgeGateReason": 1,
    "errorScreen": {"playerErrorMessageRenderer": {
        "reason": {"simpleText": "Sign in to confirm your age"},
        "subreason": {"runs": [{"text": "This video may be inappropriate for some users."}]}}},
}
BOT_CHECK = {
    "status": "LOGIN_REQUIRED", "reason": "Sign in to confirm you\u2019re not a bot",
    "errorScreen": {"playerErrorMessageRenderer": {
        "reason": {"simpleText": "Sign in to confirm you\u2019re not a bot"},
        "subreason": {"runs": [{"text": "This helps protect our community. "},
                               {"text": "Learn more"}]}}},
}


class FakeYouTubeRH(RequestHandler):
    """yt-dlp request handler answering from a FakeYouTube. It accepts what
    yt-dlp's urllib/requests handlers accept, so requests that production could
    not send are refused here too."""

    _SUPPORTED_URL_SCHEMES = ("http", "https")
    _SUPPORTED_PROXY_SCHEMES = ("http", "https", "socks4", "socks4a", "socks5", "socks5h")
    _SUPPORTED_FEATURES = (Features.NO_PROXY, Features.ALL_PROXY)
    RH_NAME = "fake-youtube"

    def __init__(self, *, youtube: FakeYouTube, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.youtube = youtube

    def _check_extensions(self, extensions: dict) -> None:
        super()._check_extensions(extensions)
        for name in ("cookiejar", "timeout", "legacy_ssl", "keep_header_casing"):
            extensions.pop(name, None)

    def _send(self, request: Request) -> Response:
        return self.youtube.handle(request, self)


def install(ydl: YoutubeDL, youtube: FakeYouTube) -> YoutubeDL:
    """Send every request of `ydl` to `youtube`, and nowhere else. The director is
    built by ydl itself, so it gets ydl's proxy, timeout, headers and cookies."""
    ydl._request_director = ydl.build_request_director(
        [functools.partial(FakeYouTubeRH, youtube=youtube)])
    return ydl


def fake_ydl_factory(youtube: FakeYouTube,
                     seen_params: list | None = None) -> Callable[[dict], YoutubeDL]:
    """A YDL_FACTORY for chalicelib.subtitles: a real YoutubeDL wired to `youtube`."""

    def build(params: dict) -> YoutubeDL:
        if seen_params is not None:
            seen_params.append(params)
        return install(YoutubeDL(params), youtube)

    return build


# --- helpers -----------------------------------------------------------------------

def _translated(document: dict, tlang: str) -> dict:
    """A "machine translation": every text marked with its language, so a test
    can tell it was fetched."""
    events = [{**event, "segs": [{**seg, "utf8": f"[{tlang}] {seg.get('utf8', '')}"}
                                 for seg in event.get("segs") or []]}
              for event in document.get("events") or []]
    return {**document, "events": events}


def _script_json(data: Any) -> str:
    # YouTube escapes "<" inside inline scripts the same way.
    return json.dumps(data).replace("<", "\\u003c")


def _respond(request: Request, body: bytes, content_type: str, status: int = 200) -> Response:
    return Response(io.BytesIO(body), request.url,
                    {"Content-Type": content_type, "Content-Length": str(len(body))}, status)


def _html(request: Request, page: str) -> Response:
    return _respond(request, page.encode(), "text/html; charset=utf-8")


def _json(request: Request, data: Any) -> Response:
    return _respond(request, json.dumps(data).encode(), "application/json; charset=UTF-8")


def _http_error(request: Request, status: int) -> HTTPError:
    body = {429: b"<html><body>Our systems have detected unusual traffic from your "
                 b"computer network.</body></html>"}.get(status, b"<html><body>Error</body></html>")
    return HTTPError(_respond(request, body, "text/html; charset=UTF-8", status))
