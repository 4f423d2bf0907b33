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
                              ytInitialData (owner; chapters and Key moments in
                              the shapes of testkit.fake_youtube.watch_chapters)
  GET  /embed/ID              embed page with ytcfg (the extractor's age-gate retry)
  POST /youtubei/v1/player    player response for the client named in the body
  POST /youtubei/v1/next      initial data
  GET  /playlist?list=ID      a playlist's page (ytInitialData: playlistVideoListRenderer,
                              100 entries, a continuation; unavailable videos hidden)
  POST /youtubei/v1/browse    the playlist with its unavailable videos, or a next page
  GET  /api/timedtext?...     the track's json3 or vtt, by lang / kind / fmt / tlang
Anything else is answered 404 and recorded in `unexpected`.
"""
from __future__ import annotations

import functools
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from yt_dlp import YoutubeDL
from yt_dlp.networking.common import Features, Request, RequestHandler, Response
from yt_dlp.networking.exceptions import HTTPError, TransportError

from testkit import fake_youtube

VISITOR_DATA = "CgtGYWtlVmlzaXRvcijQ_fakeVisitor%3D%3D"
WEB_CLIENT_VERSION = "2.20261020.01.00"
PLAYER_JS_URL = "/s/player/4fcd6e4a/player_ias.vflset/en_US/base.js"
# The WEB client's translation list: 156 languages, in English-name order, as the
# watch page's player response has it (Hebrew is "iw"; Portuguese "pt" and "pt-PT").
WEB_TRANSLATION_CODES = (
    "ab aa af ak sq am ar hy as ay az bn ba eu be bho bs br bg my ca ceb zh-Hans zh-Hant co hr "
    "cs da dv nl dz en eo et ee fo fj fil fi fr gaa gl lg ka de el gn gu ht ha haw iw hi hmn hu "
    "is ig id iu ga it ja jv kl kn kk kha km rw ko kri ku ky lo la lv ln lt lua luo lb mk mg ms "
    "ml mt gv mi mr mn mfe ne new nso no ny oc or om os pam ps fa pl pt pt-PT pa qu ro rn ru sm "
    "sg sa gd sr crs sn sd si sk sl so st es su sw ss sv tg ta tt te th bo ti to ts tn tum tr "
    "tk uk ur ug uz ve vi war cy fy wo xh yi yo zu").split()
_NAMES = {"en": "English", "de": "German", "fr": "French", "es": "Spanish",
          "pt": "Portuguese", "zh-Hans": "Chinese (Simplified)", "ja": "Japanese"}
TRANSLATION_LANGUAGES = {code: _NAMES.get(code, code) for code in WEB_TRANSLATION_CODES}


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
    po_token: bool = False    # the URL has exp=xpe: yt-dlp drops the track (debug only)


@dataclass
class FakeVideo:
    video_id: str
    title: str = "Lecture 1: Introduction to Algorithms"
    channel: str = "MIT OpenCourseWare"
    duration: int = 3125
    description: str = "The first lecture of the course."
    chapters: list[tuple[str, str]] = field(default_factory=list)  # (m:ss, title): creator's
    tracks: list[FakeTrack] = field(default_factory=list)
    # None: playable. Otherwise the playabilityStatus YouTube sends instead.
    playability: dict | None = None
    # clientName ("VISIONOS", "WEB", ...) -> the playabilityStatus that client alone gets
    client_playability: dict[str, dict] = field(default_factory=dict)
    live: bool = False  # being streamed now
    # (m:ss, title): YouTube's automatic chapters on the player bar; Key moments
    auto_chapters: list[tuple[str, str]] = field(default_factory=list)
    key_moments: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class SeenRequest:
    method: str
    url: str
    path: str
    client: str | None
    proxies: dict
    timeout: float


@dataclass
class FakePlaylist:
    """A playlist: (video id, title, seconds) in order; a title "[Private video]" or
    "[Deleted video]" is an entry YouTube keeps in place of a video gone private or
    deleted (no duration, not playable; hidden on the web page until yt-dlp asks for
    unavailable videos)."""
    playlist_id: str
    title: str = "Introduction to Algorithms"
    channel: str = "MIT OpenCourseWare"
    entries: list[tuple[str, str, int | None]] = field(default_factory=list)
    page_size: int = 100  # YouTube's: 100 videos a page, then continuations
    private: bool = False


class FakeYouTube:
    """The fake's state: videos, injected failures, and the requests it saw."""

    def __init__(self) -> None:
        self.videos: dict[str, FakeVideo] = {}
        self.playlists: dict[str, FakePlaylist] = {}
        self.requests: list[SeenRequest] = []
        self.unexpected: list[str] = []
        # path prefix -> HTTP status, "timeout", or an exception to raise instead
        self.failures: dict[str, int | str | BaseException] = {}

    def add(self, video: FakeVideo) -> FakeVideo:
        self.videos[video.video_id] = video
        return video

    def fail(self, path_prefix: str, status: int | str | BaseException) -> None:
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
                if isinstance(status, BaseException):
                    raise status
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
        if parts.path == "/playlist" and request.method == "GET":
            return _html(request, self.playlist_page(query.get("list", "")))
        if parts.path == "/youtubei/v1/browse" and request.method == "POST":
            return _json(request, self.browse(body))
        if parts.path == "/youtubei/v1/navigation/resolve_url" and request.method == "POST":
            raise _http_error(request, 404)  # what YouTube answers for a missing playlist
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

    # --- playlists (shapes of real /playlist pages and /youtubei/v1/browse answers) ---

    def playlist_page(self, list_id: str) -> str:
        return ("<!DOCTYPE html><html lang=\"en\"><head><title>YouTube</title></head><body>"
                f"<script nonce=\"fake\">ytcfg.set({_script_json(self.ytcfg())});</script>"
                "<script nonce=\"fake\">var ytInitialData = "
                f"{_script_json(self.playlist_data(list_id, hidden=True))};</script>"
                "</body></html>")

    def playlist_data(self, list_id: str, *, hidden: bool) -> dict:
        """The playlist's ytInitialData (hidden: without its unavailable videos, as the
        web page shows it), or YouTube's alert when it does not exist or is private."""
        found = self.playlists.get(list_id)
        if found is None or found.private:
            said = "The playlist does not exist." if found is None else \
                "This playlist is private."
            return {"responseContext": {"visitorData": VISITOR_DATA},
                    "alerts": [{"alertWithButtonRenderer": {
                        "type": "ERROR", "text": {"simpleText": said}}}]}
        entries = [entry for entry in found.entries
                   if not (hidden and entry[1].startswith("["))]
        gone = len(found.entries) - len(entries)
        data: dict[str, Any] = {
            "responseContext": {"visitorData": VISITOR_DATA},
            "contents": {"twoColumnBrowseResultsRenderer": {"tabs": [{"tabRenderer": {
                "selected": True, "content": {"sectionListRenderer": {"contents": [
                    {"itemSectionRenderer": {"contents": [{"playlistVideoListRenderer": {
                        "contents": self._playlist_items(found, entries, 0),
                        "playlistId": list_id, "isEditable": False, "canReorder": False,
                        "targetId": "pl-video-list"}}]}}]}}}}]}},
            "metadata": {"playlistMetadataRenderer": {
                "title": found.title, "description": "",
                "androidAppindexingLink": f"android-app://com.google.android.youtube/http/"
                                          f"www.youtube.com/playlist?list={list_id}"}},
            "header": {"playlistHeaderRenderer": {
                "playlistId": list_id, "title": {"simpleText": found.title},
                "numVideosText": {"runs": [{"text": str(len(found.entries))},
                                           {"text": " videos"}]},
                "ownerText": {"runs": [{"text": found.channel, "navigationEndpoint": {
                    "browseEndpoint": {"browseId": "UCEBb1b_L6zDS3xTUrIALZOw",
                                       "canonicalBaseUrl": "/@mitocw"}}}]},
                "privacy": "PUBLIC"}},
        }
        if gone and hidden:
            data["alerts"] = [{"alertWithButtonRenderer": {"type": "INFO", "text": {
                "simpleText": f"{gone} unavailable video{'s are' if gone > 1 else ' is'} "
                              "hidden"}}}]
        return data

    def browse(self, body: dict) -> dict:
        """POST /youtubei/v1/browse: the playlist again with its unavailable videos
        (browseId VL{id}, params wgYCCAA=), or the page a continuation token names."""
        token = body.get("continuation")
        if isinstance(token, str) and token.startswith("fake-continuation:"):
            _, list_id, start = token.split(":")
            found = self.playlists[list_id]
            items = self._playlist_items(found, found.entries, int(start))
            return {"responseContext": {"visitorData": VISITOR_DATA},
                    "onResponseReceivedActions": [{"appendContinuationItemsAction": {
                        "continuationItems": items, "targetId": "pl-video-list"}}]}
        browse_id = str(body.get("browseId") or "")
        return self.playlist_data(browse_id[2:] if browse_id.startswith("VL") else browse_id,
                                  hidden=False)

    def _playlist_items(self, found: FakePlaylist, entries: list[tuple[str, str, int | None]],
                        start: int) -> list[dict]:
        page = entries[start:start + found.page_size]
        items: list[dict] = []
        for number, (video_id, title, seconds) in enumerate(page, start=start + 1):
            renderer: dict[str, Any] = {
                "videoId": video_id, "index": {"simpleText": str(number)},
                "title": {"runs": [{"text": title}]},
                "navigationEndpoint": {
                    "commandMetadata": {"webCommandMetadata": {
                        "url": f"/watch?v={video_id}&list={found.playlist_id}&index={number}"}},
                    "watchEndpoint": {"videoId": video_id, "playlistId": found.playlist_id,
                                      "index": number - 1}},
                "isPlayable": seconds is not None,
            }
            if seconds is not None:
                renderer.update({
                    "shortBylineText": {"runs": [{"text": found.channel, "navigationEndpoint": {
                        "browseEndpoint": {"browseId": "UCEBb1b_L6zDS3xTUrIALZOw",
                                           "canonicalBaseUrl": "/@mitocw"}}}]},
                    "lengthText": {"simpleText": _clock(seconds)},
                    "lengthSeconds": str(seconds),
                    "videoInfo": {"runs": [{"text": "1.2M views"}, {"text": " \u2022 "},
                                           {"text": "9 years ago"}]}})
            items.append({"playlistVideoRenderer": renderer})
        if start + found.page_size < len(entries):
            items.append({"continuationItemRenderer": {
                "trigger": "CONTINUATION_TRIGGER_ON_ITEM_SHOWN",
                "continuationEndpoint": {
                    "commandMetadata": {"webCommandMetadata": {
                        "sendPost": True, "apiUrl": "/youtubei/v1/browse"}},
                    "continuationCommand": {
                        "token": f"fake-continuation:{found.playlist_id}:"
                                 f"{start + found.page_size}",
                        "request": "CONTINUATION_REQUEST_TYPE_BROWSE"}}}})
        return items

    def embed_page(self) -> str:
        return ("<!DOCTYPE html><html><body><script>"
                f"ytcfg.set({_script_json(self.ytcfg('WEB_EMBEDDED_PLAYER'))});"
                "</script></body></html>")

    def player_response(self, video: FakeVideo | None, video_id: str,
                        client: str | None) -> dict:
        context = {"visitorData": VISITOR_DATA, "serviceTrackingParams": []}
        if video is None:
            return {"responseContext": context, "playabilityStatus": UNAVAILABLE}
        status = video.client_playability.get(client or "") or video.playability
        if status is not None:
            refused: dict[str, Any] = {"responseContext": context, "playabilityStatus": status}
            if status.get("status") in ("UNPLAYABLE", "LIVE_STREAM_OFFLINE"):
                # Members-only, Premium, upcoming live: YouTube still names the video.
                refused["videoDetails"] = {"videoId": video.video_id, "title": video.title,
                                            "author": video.channel, "lengthSeconds": "0",
                                            "isLiveContent": status.get("status")
                                            == "LIVE_STREAM_OFFLINE"}
            return refused
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
                "viewCount": "123456", "isPrivate": False, "isLiveContent": video.live,
                **({"isLive": True} if video.live else {}),
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
        if video.tracks and not video.live:
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
        if track.po_token:
            query = {**dict(list(query.items())[:4]), "exp": "xpe", **dict(list(query.items())[4:])}
            query["sparams"] = "ip,ipbits,expire,v,ei,caps,opi,exp,xoaf"
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
        extra: dict = {}
        if video is not None and video.playability is None:
            results = [
                {"videoPrimaryInfoRenderer": {"title": {"runs": [{"text": video.title}]}}},
                {"videoSecondaryInfoRenderer": {"owner": {"videoOwnerRenderer": {
                    "title": {"runs": [{"text": video.channel, "navigationEndpoint": {
                        "browseEndpoint": {"browseId": "UCEBb1b_L6zDS3xTUrIALZOw",
                                           "canonicalBaseUrl": "@mitocw"}}}]},
                    "subscriberCountText": {"simpleText": "5.9M subscribers"}}}}},
            ]
            found = fake_youtube.watch_chapters(
                video.video_id, _timed(video.chapters), _timed(video.auto_chapters),
                _timed(video.key_moments))
            panels = found["engagementPanels"]
            extra = {"playerOverlays": fake_youtube.player_overlays(found["playerBar"])}
            if found["mutations"]:
                extra["frameworkUpdates"] = {"entityBatchUpdate": {
                    "mutations": found["mutations"]}}
        return {
            "responseContext": {"visitorData": VISITOR_DATA},
            "contents": {"twoColumnWatchNextResults": {
                "results": {"results": {"contents": results}}}},
            "engagementPanels": panels,
            **extra,
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
            return _respond(request, json.dumps(document).encode(),
                            "application/json; charset=UTF-8")
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
MEMBERS_ONLY = {
    "status": "UNPLAYABLE",
    "reason": "Join this channel to get access to members-only content like this video, "
              "and other exclusive perks.",
    "errorScreen": {"playerErrorMessageRenderer": {"reason": {"simpleText":
        "Join this channel to get access to members-only content like this video, "
        "and other exclusive perks."}}},
}
PREMIUM = {
    "status": "UNPLAYABLE", "reason": "This video is only available to Music Premium members",
    "errorScreen": {"playerErrorMessageRenderer": {"reason": {"simpleText":
        "This video is only available to Music Premium members"}}},
}
LIVE_OFFLINE = {"status": "LIVE_STREAM_OFFLINE", "reason": "This live event will begin in 3 hours."}
REMOVED = {
    "status": "ERROR", "reason": "Video unavailable",
    "errorScreen": {"playerErrorMessageRenderer": {
        "reason": {"simpleText": "Video unavailable"},
        "subreason": {"runs": [{"text": "This video has been removed by the uploader"}]}}},
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


# --- one YouTube for both paths ----------------------------------------------------

def _clock(seconds: float) -> str:
    return fake_youtube.clock(seconds)


def _timed(markers: list[tuple[str, str]]) -> list[tuple[float, str]]:
    """(m:ss, title) pairs as (seconds, title)."""
    timed = []
    for clock, title in markers:
        seconds = 0.0
        for part in clock.split(":"):
            seconds = seconds * 60 + float(part)
        timed.append((seconds, title))
    return timed


def from_transcript_api_video(video: Any) -> FakeVideo:
    """A testkit.fake_youtube video as yt-dlp's clients see it: the same tracks (as
    json3), title, chapters and playability, but not what the ANDROID client alone
    is told (`android_playability`) nor its caption bodies (`body`)."""
    shapes = {"ok": None, "unavailable": UNAVAILABLE, "private": PRIVATE,
              "age_restricted": AGE_RESTRICTED, "age_restricted_web": AGE_RESTRICTED,
              "bot_check": BOT_CHECK, "members_only": MEMBERS_ONLY, "premium": PREMIUM,
              "live_offline": LIVE_OFFLINE, "removed": REMOVED}
    playability = shapes.get(video.playability, fake_youtube.PLAYABILITY[video.playability]
                             if video.playability in fake_youtube.PLAYABILITY else None)
    if video.blocked:
        playability = BOT_CHECK
    tracks = [] if not video.captions else [
        FakeTrack(t.language, t.name, kind="asr" if t.generated else "",
                  translatable=t.translatable,
                  json3=t.json3 if t.json3 is not None else {"wireMagic": "pb3", "events": [
                      {"tStartMs": int(start * 1000), "dDurationMs": int(duration * 1000),
                       "segs": [{"utf8": text}]} for start, duration, text in t.segments]})
        for t in video.tracks]
    return FakeVideo(video.video_id, title=video.title, channel=video.author,
                     duration=video.length_seconds, description=video.description,
                     chapters=[(_clock(s), title) for s, title in video.markers],
                     auto_chapters=[(_clock(s), title) for s, title in video.auto_chapters],
                     key_moments=[(_clock(s), title) for s, title in video.key_moments],
                     tracks=tracks, playability=playability, live=video.live)


class _Mirror(dict):
    """A videos dict that looks up a testkit.fake_youtube.FakeYouTube's videos."""

    def __init__(self, source: Any) -> None:
        super().__init__()
        self.source = source

    def get(self, key: Any, default: Any = None) -> Any:
        if key in self:
            return self[key]
        video = self.source.videos.get(key)
        return default if video is None else from_transcript_api_video(video)


def mirror(source: Any) -> FakeYouTube:
    """The fake YouTube yt-dlp sees when `source` (a testkit.fake_youtube.FakeYouTube)
    is what youtube-transcript-api sees: one YouTube, two kinds of client."""
    fake = FakeYouTube()
    fake.videos = _Mirror(source)
    return fake
