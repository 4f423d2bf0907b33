"""A requests transport that answers like YouTube, for youtube-transcript-api.

The real library and the real requests Session run; only the transport is
fake: the watch page, the innertube player response and the caption XML, plus
the answers YouTube gives when captions are disabled, a video is unavailable,
private or age-restricted, or the caller is blocked.
"""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

import requests
from requests.adapters import BaseAdapter

PLAYABILITY = {
    "ok": {"status": "OK"},
    "unavailable": {"status": "ERROR", "reason": "This video is unavailable"},
    "private": {"status": "LOGIN_REQUIRED", "reason": "This video is private"},
    "age_restricted": {"status": "LOGIN_REQUIRED",
                       "reason": "This video may be inappropriate for some users."},
    "bot_check": {"status": "LOGIN_REQUIRED",
                  "reason": "Sign in to confirm you’re not a bot"},
}


@dataclass
class Track:
    language: str
    name: str
    segments: list[tuple[float, float, str]]  # (start, duration, text)
    generated: bool = False
    translatable: bool = True


@dataclass
class FakeVideo:
    video_id: str
    title: str = "Lecture"
    author: str = "Prof. Example"
    length_seconds: int = 600
    description: str = ""
    tracks: list[Track] = field(default_factory=list)
    playability: str = "ok"
    captions: bool = True
    blocked: str | None = None  # "recaptcha" page or "429" status


class FakeYouTube(BaseAdapter):
    def __init__(self) -> None:
        super().__init__()
        self.videos: dict[str, FakeVideo] = {}
        self.requests: list[str] = []
        self.on_caption: Callable[[str], None] | None = None
        self._lock = threading.Lock()

    def add(self, video: FakeVideo) -> FakeVideo:
        self.videos[video.video_id] = video
        return video

    def session(self) -> requests.Session:
        session = requests.Session()
        session.mount("https://", self)
        session.mount("http://", self)
        return session

    def send(self, request: requests.PreparedRequest, **kwargs: object) -> requests.Response:
        with self._lock:
            self.requests.append(f"{request.method} {request.url}")
        url = urlsplit(request.url or "")
        query = parse_qs(url.query)
        if url.path == "/watch":
            return self._watch(request, query["v"][0])
        if url.path == "/youtubei/v1/player":
            body = json.loads(request.body or b"{}")
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
        page = ('<html><script>ytcfg.set({"INNERTUBE_API_KEY": "fake-api-key", '
                '"VISITOR_DATA": "x"});</script></html>')
        return _response(request, 200, page, "text/html")

    def _player(self, request: requests.PreparedRequest, video_id: str) -> requests.Response:
        video = self._video(video_id)
        data: dict = {"playabilityStatus": PLAYABILITY[video.playability]}
        if video.playability == "ok":
            data["videoDetails"] = {"videoId": video_id, "title": video.title,
                                    "author": video.author,
                                    "lengthSeconds": str(video.length_seconds),
                                    "shortDescription": video.description}
            if video.captions:
                data["captions"] = {"playerCaptionsTracklistRenderer": {
                    "captionTracks": [{
                        "baseUrl": f"https://www.youtube.com/api/timedtext?v={video_id}"
                                   f"&lang={t.language}&kind={'asr' if t.generated else ''}",
                        "name": {"runs": [{"text": t.name}]},
                        "languageCode": t.language,
                        **({"kind": "asr"} if t.generated else {}),
                        "isTranslatable": t.translatable,
                    } for t in video.tracks],
                    "translationLanguages": [
                        {"languageCode": code, "languageName": {"runs": [{"text": name}]}}
                        for code, name in (("en", "English"), ("de", "German"),
                                           ("es", "Spanish"))],
                }}
        return _response(request, 200, json.dumps(data), "application/json")

    def _captions(self, request: requests.PreparedRequest, query: dict) -> requests.Response:
        video = self._video(query["v"][0])
        if self.on_caption is not None:
            self.on_caption(video.video_id)
        generated = query.get("kind", [""])[0] == "asr"
        track = next(t for t in video.tracks
                     if t.language == query["lang"][0] and t.generated == generated)
        target = query.get("tlang", [None])[0]
        lines = "".join(
            f'<text start="{start}" dur="{duration}">'
            f'{escape((f"[{target}] " if target else "") + text)}</text>'
            for start, duration, text in track.segments)
        return _response(request, 200, f'<?xml version="1.0" encoding="utf-8" ?>'
                                       f"<transcript>{lines}</transcript>", "text/xml")


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
