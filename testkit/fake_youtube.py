"""A requests transport that answers like YouTube, for youtube-transcript-api.

The real library and the real requests Session run; only the transport is
fake. It answers the library's three requests in their real shapes (the research
behind them: youtube-transcript-api 1.2.5's request flow and its own recorded
responses, NewPipeExtractor's recorded player responses; written for this
project, nothing copied):

  GET  /watch?v=ID            the watch page: ytcfg.set({"INNERTUBE_API_KEY": ...}) and
                              var ytInitialData (chapters and Key moments, see
                              watch_chapters); or the
                              consent form (action="https://consent.youtube.com/s") until
                              the CONSENT cookie is sent; or a reCAPTCHA page
  POST /youtubei/v1/player    the ANDROID client's player response: playabilityStatus,
                              videoDetails, captions (name.runs, vssId, kind "asr" only on
                              automatic tracks, URLs ending "&lang=xx&fmt=srv3", an
                              "&exp=xpe" PO-token URL, translationLanguages of the
                              lengths ANDROID sends: 17 for an English video, often
                              only "en" or nothing otherwise)
  GET  /api/timedtext?...     srv1 XML (<transcript><text start dur>), or a body given
                              as-is (b"": the empty body YouTube sends a caller without
                              a PO token); `tlang` marks the text "[xx] "

Per-client answers: `android_playability` is what the ANDROID client alone is told
(a video that plays elsewhere). testkit.fake_ytdlp.mirror() shows the same videos
to yt-dlp as the other clients see them.
"""
from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode, urlsplit
from xml.sax.saxutils import escape

import requests
from requests.adapters import BaseAdapter


def _error_screen(reason: str, *subreasons: str) -> dict:
    screen: dict = {"reason": {"runs": [{"text": reason}]}}
    if subreasons:
        screen["subreason"] = {"runs": [{"text": text} for text in subreasons]}
    return {"playerErrorMessageRenderer": screen}


# playabilityStatus per case, with the real wordings (2025-2026).
PLAYABILITY: dict[str, dict] = {
    "ok": {"status": "OK"},
    "unavailable": {"status": "ERROR", "reason": "This video is unavailable",
                    "errorScreen": _error_screen("This video is unavailable")},
    # The WEB wording, and a removed video's subreason.
    "removed": {"status": "ERROR", "reason": "Video unavailable",
                "errorScreen": _error_screen("Video unavailable",
                                             "This video has been removed by the uploader")},
    # The real shape has no reason at all (the library then reports reason None).
    "private": {"status": "LOGIN_REQUIRED",
                "messages": ["This is a private video. Please sign in to verify that you "
                             "may see it."],
                "errorScreen": {"playerErrorMessageRenderer": {
                    "reason": {"simpleText": "Private video"},
                    "subreason": {"simpleText": "Sign in if you've been granted access to "
                                                "this video"}}}},
    "age_restricted": {"status": "LOGIN_REQUIRED",
                       "reason": "This video may be inappropriate for some users.",
                       "desktopLegacyAgeGateReason": 1},
    "age_restricted_web": {"status": "LOGIN_REQUIRED", "reason": "Sign in to confirm your age",
                           "desktopLegacyAgeGateReason": 1,
                           "errorScreen": _error_screen(
                               "Sign in to confirm your age",
                               "This video may be inappropriate for some users.")},
    "bot_check": {"status": "LOGIN_REQUIRED", "reason": "Sign in to confirm you\u2019re not a bot",
                  "errorScreen": _error_screen("Sign in to confirm you\u2019re not a bot",
                                               "This helps protect our community. ",
                                               "Learn more")},
    "rate_limited": {"status": "UNPLAYABLE", "reason": "This content isn\u2019t available.",
                     "errorScreen": _error_screen("This content isn\u2019t available.")},
    "members_only": {"status": "UNPLAYABLE",
                     "reason": "Join this channel to get access to members-only content like "
                               "this video, and other exclusive perks.",
                     "errorScreen": _error_screen(
                         "Join this channel to get access to members-only content like this "
                         "video, and other exclusive perks.")},
    "premium": {"status": "UNPLAYABLE",
                "reason": "This video is only available to Music Premium members",
                "errorScreen": _error_screen(
                    "This video is only available to Music Premium members")},
    "geo": {"status": "UNPLAYABLE", "reason": "Video unavailable",
            "errorScreen": _error_screen(
                "Video unavailable",
                "The uploader has not made this video available in your country")},
    "live_offline": {"status": "LIVE_STREAM_OFFLINE",
                     "reason": "This live event will begin in 3 hours."},
    # What one client may be told about a video that plays for others.
    "unplayable_for_client": {"status": "UNPLAYABLE",
                              "reason": "This video is not available on this app",
                              "errorScreen": _error_screen(
                                  "This video is not available on this app")},
}
# Cases where YouTube still sends videoDetails (members-only, Premium, live: the title).
_WITH_DETAILS = ("ok", "members_only", "premium", "live_offline", "age_restricted")

# The ANDROID client's translation list for an English video (17 languages, no "en");
# for other videos it is often only English, or nothing.
ANDROID_TRANSLATIONS = ("ar", "zh-Hant", "nl", "fr", "de", "hi", "id", "it", "ja", "ko", "pt",
                        "ru", "es", "th", "tr", "uk", "vi")
ONLY_ENGLISH = ("en",)
CONSENT_VALUE = "cb.20261130-07-p0.en+FX+412"


@dataclass
class Track:
    language: str          # languageCode as YouTube sends it: "en", "en-US", "pt-BR", ...
    name: str
    segments: list[tuple[float, float, str]]  # (start, duration, text)
    generated: bool = False
    translatable: bool = True
    body: bytes | None = None  # served as-is instead of srv1 (b"": PO-token gated)
    po_token: bool = False     # the URL carries "&exp=xpe" (the library refuses it)
    # The track as yt-dlp's clients get it (json3: word-timed on ASR tracks, see
    # testkit.lectures.asr_track); None: built from `segments`. The timedtext srv1 this
    # library asks for never carries word times.
    json3: dict | None = None


@dataclass
class FakeVideo:
    video_id: str
    title: str = "Lecture"
    author: str = "Prof. Example"
    length_seconds: int = 600
    description: str = ""
    tracks: list[Track] = field(default_factory=list)
    playability: str = "ok"                 # what every client is told
    android_playability: str | None = None  # what the ANDROID client alone is told
    captions: bool = True
    blocked: str | None = None  # "recaptcha" page or "429" status
    live: bool = False          # being streamed now: no captions yet
    translations: Sequence[str] | None = None  # None: ANDROID_TRANSLATIONS
    consent: str | None = None  # "once", "always" or "no_v": the EU consent wall
    # (start seconds, title); any combination, see watch_chapters
    markers: list[tuple[float, str]] = field(default_factory=list)        # the creator's
    auto_chapters: list[tuple[float, str]] = field(default_factory=list)  # YouTube's
    key_moments: list[tuple[float, str]] = field(default_factory=list)    # not chapters


class FakeYouTube(BaseAdapter):
    def __init__(self) -> None:
        super().__init__()
        self.videos: dict[str, FakeVideo] = {}
        self.requests: list[str] = []
        self.cookies: list[str] = []
        self.on_caption: Callable[[str], None] | None = None
        # path -> an exception to raise, or an HTTP status to answer (any video)
        self.failures: dict[str, BaseException | int] = {}
        self._lock = threading.Lock()

    def add(self, video: FakeVideo) -> FakeVideo:
        self.videos[video.video_id] = video
        return video

    def session(self) -> requests.Session:
        session = requests.Session()
        session.mount("https://", self)
        session.mount("http://", self)
        return session

    def paths(self) -> list[str]:
        return [urlsplit(r.split(" ", 1)[1]).path for r in self.requests]

    def send(self, request: requests.PreparedRequest,  # type: ignore[override]
             **kwargs: object) -> requests.Response:
        with self._lock:
            self.requests.append(f"{request.method} {request.url!s}")
            cookie = request.headers.get("Cookie", "")
            self.cookies.append(cookie if isinstance(cookie, str) else cookie.decode())
        url = urlsplit(request.url or "")
        query = parse_qs(url.query)
        failure = self.failures.get(url.path)
        if isinstance(failure, BaseException):
            raise failure
        if isinstance(failure, int):
            return _response(request, failure, "error")
        if url.path == "/watch":
            return self._watch(request, query["v"][0])
        if url.path == "/youtubei/v1/player":
            body = json.loads(request.body or b"{}")  # type: ignore[arg-type]
            return self._player(request, body.get("videoId", ""))
        if url.path == "/api/timedtext":
            return self._captions(request, query)
        return _response(request, 404, "not found")

    def close(self) -> None:
        pass

    def _video(self, video_id: str) -> FakeVideo:
        return self.videos.get(video_id) or FakeVideo(video_id, playability="unavailable")

    def _watch(self, request: requests.PreparedRequest, video_id: str) -> requests.Response:
        video = self._video(video_id)
        if video.blocked == "429":
            return _response(request, 429, "Too Many Requests")
        if video.blocked == "recaptcha":
            return _response(request, 200, '<html><div class="g-recaptcha"></div></html>')
        consented = f"CONSENT=YES+{CONSENT_VALUE}" in request.headers.get("Cookie", "")
        if video.consent == "always" or (video.consent in ("once", "no_v") and not consented):
            return _response(request, 200, consent_page(with_v=video.consent != "no_v"),
                             "text/html")
        page = ('<!DOCTYPE html><html><body><script nonce="x">ytcfg.set({'
                '"INNERTUBE_API_KEY": "AIzaSyFakeKeyForTestsOnly0000000000000", '
                '"VISITOR_DATA": "x"});</script>'
                '<script nonce="x">var ytInitialData = '
                + json.dumps(initial_data(video)).replace("<", "\\u003c")
                + ";</script></body></html>")
        return _response(request, 200, page, "text/html")

    def _player(self, request: requests.PreparedRequest, video_id: str) -> requests.Response:
        video = self._video(video_id)
        case = video.android_playability or video.playability
        data: dict = {"responseContext": {}, "playabilityStatus": PLAYABILITY[case]}
        if case in _WITH_DETAILS:
            data["videoDetails"] = {"videoId": video_id, "title": video.title,
                                    "author": video.author,
                                    "lengthSeconds": "0" if video.live or case == "live_offline"
                                    else str(video.length_seconds),
                                    "shortDescription": video.description,
                                    "isLiveContent": video.live or case == "live_offline",
                                    **({"isLive": True} if video.live else {}),
                                    **({"isUpcoming": True} if case == "live_offline" else {})}
        if case == "ok" and video.captions and not video.live and video.tracks:
            translations = ANDROID_TRANSLATIONS if video.translations is None \
                else video.translations
            data["captions"] = {"playerCaptionsTracklistRenderer": {
                "captionTracks": [caption_track(video_id, t) for t in video.tracks],
                "audioTracks": [{"captionTrackIndices": list(range(len(video.tracks)))}],
                "translationLanguages": [
                    {"languageCode": code, "languageName": {"runs": [{"text": code}]}}
                    for code in translations],
                "defaultAudioTrackIndex": 0,
            }}
        return _response(request, 200, json.dumps(data), "application/json")

    def _captions(self, request: requests.PreparedRequest, query: dict) -> requests.Response:
        video = self._video(query["v"][0])
        if self.on_caption is not None:
            self.on_caption(video.video_id)
        generated = query.get("kind", [""])[0] == "asr"
        track = next(t for t in reversed(video.tracks)
                     if t.language == query["lang"][0] and t.generated == generated)
        if track.body is not None:
            return _response(request, 200, track.body.decode(), "text/xml")
        target = query.get("tlang", [None])[0]
        lines = "".join(
            f'<text start="{start}" dur="{duration}">'
            f'{escape((f"[{target}] " if target else "") + text)}</text>'
            for start, duration, text in track.segments)
        return _response(request, 200, f'<?xml version="1.0" encoding="utf-8" ?>'
                                       f"<transcript>{lines}</transcript>", "text/xml")


def caption_track(video_id: str, track: Track) -> dict:
    """One captionTracks entry as the ANDROID client gets it."""
    query = {"v": video_id, "ei": "fakeEi", "caps": "asr", "opi": "112496729"}
    if track.po_token:
        query["exp"] = "xpe"
    query.update({"xoaf": "5", "hl": "en", "ip": "0.0.0.0", "ipbits": "0",
                  "expire": "1893456000", "sparams": "ip,ipbits,expire,v,ei,caps,opi,xoaf",
                  "signature": "FAKE.SIGNATURE", "key": "yt8"})
    if track.generated:
        query["kind"] = "asr"
    query.update({"lang": track.language, "fmt": "srv3"})
    return {
        "baseUrl": "https://www.youtube.com/api/timedtext?" + urlencode(query),
        "name": {"runs": [{"text": track.name}]},
        "vssId": ("a." if track.generated else ".") + track.language,
        "languageCode": track.language,
        **({"kind": "asr"} if track.generated else {}),
        "isTranslatable": track.translatable,
        "trackName": "",
    }


def clock(seconds: float) -> str:
    whole = int(seconds)
    return (f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}" if whole >= 3600
            else f"{whole // 60}:{whole % 60:02d}")


CREATOR_PANEL = "engagement-panel-macro-markers-description-chapters"
# One identifier for two things: YouTube's automatic chapters (titled "Chapters") and
# Key moments (titled "Key moments"). Only the player bar tells them apart.
AUTO_PANEL = "engagement-panel-macro-markers-auto-chapters"


def marker_panel(identifier: str, markers: Sequence[tuple[float, str]],
                 title: str = "Chapters", info: str | None = None) -> dict:
    """An engagement panel of macroMarkersListItemRenderer items, as the watch page
    has it: a title header, an optional info row first ("These chapters are
    auto-generated"), then one item per marker."""
    items: list[dict] = []
    if info:
        items.append({"macroMarkersInfoItemRenderer": {"infoText": {"runs": [{"text": info}]}}})
    items += [{"macroMarkersListItemRenderer": {
        "title": {"simpleText": name},
        "timeDescription": {"simpleText": clock(start)},
        "onTap": {"watchEndpoint": {"startTimeSeconds": start}},
        "carouselType": "MACRO_MARKERS_LIST_ITEM_RENDERER_CAROUSEL_TYPE_DEFAULT"}}
        for start, name in markers]
    return {"engagementPanelSectionListRenderer": {
        "panelIdentifier": identifier, "targetId": identifier,
        "header": {"engagementPanelTitleHeaderRenderer": {"title": {"runs": [{"text": title}]}}},
        "content": {"macroMarkersListRenderer": {"contents": items}},
        "visibility": "ENGAGEMENT_PANEL_VISIBILITY_HIDDEN"}}


def bar_markers(key: str, panel: str, markers: Sequence[tuple[float, str]]) -> dict:
    """A markersMap entry of the player bar: the chapters it draws, in milliseconds."""
    return {"key": key, "value": {"chapters": [
        {"chapterRenderer": {
            "title": {"simpleText": name},
            "timeRangeStartMillis": int(round(start * 1000)),
            "onActiveCommand": {"setActivePanelItemAction": {
                "panelTargetId": panel, "itemIndex": index}}}}
        for index, (start, name) in enumerate(markers)]}}


def watch_chapters(video_id: str, markers: Sequence[tuple[float, str]] = (),
                   auto_chapters: Sequence[tuple[float, str]] = (),
                   key_moments: Sequence[tuple[float, str]] = ()) -> dict:
    """The chapter-related parts of ytInitialData, in the shapes of recorded watch
    pages (NewPipeExtractor's YouTube mocks, 2025-2026; written here, not copied):

      creator chapters  panel CREATOR_PANEL + markersMap "DESCRIPTION_CHAPTERS"
      auto chapters     panel AUTO_PANEL titled "Chapters" with the info row
                        "These chapters are auto-generated" + markersMap "AUTO_CHAPTERS"
      Key moments       panel AUTO_PANEL titled "Key moments" + a KEY_MOMENTS markers
                        entity in frameworkUpdates; nothing on the player bar

    visibleOnLoad names the markersMap entry the player shows ("" for none). Returns
    {"engagementPanels": [...], "playerBar": {...}, "mutations": [...]}. Recorded pages
    have one AUTO_PANEL at most; given both, the Key moments panel comes first, the
    order in which a reader of the first marker panel is wrong."""
    panels: list[dict] = []
    bar: list[dict] = []
    mutations: list[dict] = []
    if key_moments:
        panels.append(marker_panel(AUTO_PANEL, key_moments, title="Key moments"))
        mutations.append({"entityKey": "EgtLRVlfTU9NRU5UUyCSAigB", "type":
                          "ENTITY_MUTATION_TYPE_REPLACE", "payload": {"macroMarkersListEntity": {
                              "key": "EgtLRVlfTU9NRU5UUyCSAigB", "externalVideoId": video_id,
                              "markersList": {"markerType": "MARKER_TYPE_TIMESTAMPS",
                                              "markers": [
                                  {"title": {"simpleText": name},
                                   "startMillis": str(int(round(start * 1000))),
                                   "durationMillis": "10000"}
                                  for start, name in key_moments]}}}})
    if markers:
        panels.append(marker_panel(CREATOR_PANEL, markers))
        bar.append(bar_markers("DESCRIPTION_CHAPTERS", CREATOR_PANEL, markers))
    if auto_chapters:
        panels.append(marker_panel(AUTO_PANEL, auto_chapters,
                                   info="These chapters are auto-generated"))
        bar.append(bar_markers("AUTO_CHAPTERS", AUTO_PANEL, auto_chapters))
    player_bar: dict = {"visibleOnLoad": {"key": bar[0]["key"] if bar else ""}}
    if bar:
        player_bar["markersMap"] = bar
    return {"engagementPanels": panels,
            "playerBar": {"multiMarkersPlayerBarRenderer": player_bar},
            "mutations": mutations}


def player_overlays(player_bar: dict) -> dict:
    return {"playerOverlayRenderer": {"decoratedPlayerBarRenderer": {
        "decoratedPlayerBarRenderer": {"playerBar": player_bar}}}}


def initial_data(video: FakeVideo) -> dict:
    found = watch_chapters(video.video_id, video.markers, video.auto_chapters,
                           video.key_moments)
    panels = [{"engagementPanelSectionListRenderer": {
        "panelIdentifier": "engagement-panel-structured-description"}}]
    data = {"responseContext": {}, "engagementPanels": found["engagementPanels"] + panels,
            "playerOverlays": player_overlays(found["playerBar"])}
    if found["mutations"]:
        data["frameworkUpdates"] = {"entityBatchUpdate": {"mutations": found["mutations"]}}
    return data


def consent_page(with_v: bool = True) -> str:
    inputs = {"gl": "DE", "m": "0", "pc": "yt", "continue": "https://www.youtube.com/watch",
              "hl": "en", "src": "1"}
    if with_v:
        inputs["v"] = CONSENT_VALUE
    fields = "".join(f'<input type="hidden" name="{k}" value="{v}">' for k, v in inputs.items())
    return ('<html><body><form action="https://consent.youtube.com/s" method="POST">'
            f"{fields}<button>Accept all</button></form></body></html>")


def _response(request: requests.PreparedRequest, status: int, body: str,
              content_type: str = "text/plain") -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = body.encode("utf-8")
    response.headers["Content-Type"] = f"{content_type}; charset=utf-8"
    response.url = request.url or ""
    response.request = request
    response.encoding = "utf-8"
    return response
