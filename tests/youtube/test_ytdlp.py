"""The yt-dlp subtitle fallback, run on the real yt-dlp (extractor, YoutubeDL
processing, request director) against the in-process fake YouTube of
testkit/fake_ytdlp.py. Nothing leaves the process."""
from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from chalicelib.youtube import tracks, ytdlp
from chalicelib.youtube.captions import parse_json3, parse_vtt
from chalicelib.youtube.ytdlp import (
    SubtitlesTemporarilyUnavailable,
    SubtitlesUnavailable,
    fetch_with_ytdlp,
)
from testkit.fake_ytdlp import (
    AGE_RESTRICTED,
    BOT_CHECK,
    PRIVATE,
    FakeTrack,
    FakeVideo,
    FakeYouTube,
    fake_ydl_factory,
    install,
)

VIDEO_ID = "dQw4w9WgXcQ"
ROOT = Path(__file__).resolve().parents[2]


def json3(*events: tuple[int, int, str]) -> dict:
    """A manual-caption json3 document: (start ms, duration ms, text) per event."""
    return {"wireMagic": "pb3", "pens": [{}], "events": [
        {"tStartMs": start, "dDurationMs": duration, "segs": [{"utf8": text}]}
        for start, duration, text in events]}


# YouTube's automatic captions in json3: a window-setup event without segs,
# word-level segs, and "\n"-only append events between lines.
AUTO_JSON3 = {
    "wireMagic": "pb3", "pens": [{}],
    "wsWinStyles": [{}, {"mhModeHint": 2, "juJustifCode": 0, "sdScrollDir": 3}],
    "wpWinPositions": [{}, {"apPoint": 6, "ahHorPos": 20, "avVerPos": 100, "rcRows": 2}],
    "events": [
        {"tStartMs": 0, "dDurationMs": 8000, "id": 1, "wpWinPosId": 1, "wsWinStyleId": 1},
        {"tStartMs": 160, "dDurationMs": 5430, "wWinId": 1, "segs": [
            {"utf8": "so", "acAsrConf": 0}, {"utf8": " today", "tOffsetMs": 320, "acAsrConf": 0},
            {"utf8": " we're", "tOffsetMs": 720}, {"utf8": " going", "tOffsetMs": 880},
            {"utf8": " to", "tOffsetMs": 1200}, {"utf8": " talk", "tOffsetMs": 1360}]},
        {"tStartMs": 2750, "dDurationMs": 2840, "wWinId": 1, "aAppend": 1,
         "segs": [{"utf8": "\n"}]},
        {"tStartMs": 2760, "dDurationMs": 5240, "wWinId": 1, "segs": [
            {"utf8": "about"}, {"utf8": " sorting", "tOffsetMs": 360}]},
    ],
}

# YouTube's automatic captions in WebVTT: rolling two-line cues, word timing
# tags, " " lines, and 10 ms cues repeating the finished line.
AUTO_VTT = """WEBVTT
Kind: captions
Language: en

00:00:00.160 --> 00:00:02.750 align:start position:0%
 
so<00:00:00.480><c> today</c><00:00:00.880><c> we're</c><00:00:01.040><c> going</c><00:00:01.360><c> to</c><00:00:01.520><c> talk</c>

00:00:02.750 --> 00:00:02.760 align:start position:0%
so today we're going to talk
 

00:00:02.760 --> 00:00:05.590 align:start position:0%
so today we're going to talk
about<00:00:03.120><c> sorting</c><00:00:03.360><c> &amp;</c><00:00:03.600><c> searching</c>

00:00:05.590 --> 00:00:05.600 align:start position:0%
about sorting &amp; searching
 

00:00:05.600 --> 00:00:08.000 align:start position:0%
about sorting &amp; searching
which<00:00:05.900><c> matter</c>

"""
AUTO_VTT_SEGMENTS = [  # the words' times: the cue's start, then each timestamp tag's
    {"text": "so today we're going to talk", "start": 0.16, "duration": 2.59,
     "word_starts": [0.16, 0.48, 0.88, 1.04, 1.36, 1.52]},
    {"text": "about sorting & searching", "start": 2.76, "duration": 2.83,
     "word_starts": [2.76, 3.12, 3.36, 3.6]},
    {"text": "which matter", "start": 5.6, "duration": 2.4, "word_starts": [5.6, 5.9]},
]


@pytest.fixture
def youtube(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeYouTube]:
    fake = FakeYouTube()
    monkeypatch.setattr(ytdlp, "YDL_FACTORY", fake_ydl_factory(fake))
    yield fake
    assert fake.unexpected == [], "yt-dlp asked the fake for something YouTube would not serve"


def lecture(*tracks: FakeTrack, **fields) -> FakeVideo:
    return FakeVideo(VIDEO_ID, tracks=list(tracks), **fields)


def manual(language: str, text: str) -> FakeTrack:
    return FakeTrack(language, language.upper(), json3=json3((1000, 2000, text)))


def automatic(language: str, text: str) -> FakeTrack:
    return FakeTrack(language, f"{language.upper()} (auto-generated)", kind="asr",
                     json3=json3((1000, 2000, text)))


def caption_requests(youtube: FakeYouTube) -> list[str]:
    return [r.url for r in youtube.requests if r.path == "/api/timedtext"]


# --- the whole path ----------------------------------------------------------------

def test_transcript_with_metadata_chapters_and_json3_auto_captions(youtube: FakeYouTube) -> None:
    youtube.add(lecture(
        FakeTrack("en", "English (auto-generated)", kind="asr", json3=AUTO_JSON3),
        title="Lecture 3: Sorting", channel="MIT OpenCourseWare", duration=2981,
        chapters=[("0:00", "Intro"), ("4:05", "Insertion sort"), ("31:10", "Merge sort")]))

    result = fetch_with_ytdlp(VIDEO_ID, ["en"])

    assert result == {
        "video_id": VIDEO_ID, "title": "Lecture 3: Sorting", "channel": "MIT OpenCourseWare",
        "duration_seconds": 2981, "language": "en", "is_generated": True,
        "chapters": [{"title": "Intro", "start": 0.0},
                     {"title": "Insertion sort", "start": 245.0},
                     {"title": "Merge sort", "start": 1870.0}],
        # Each word's own time (event start + tOffsetMs): where the pauses are.
        "segments": [{"text": "so today we're going to talk", "start": 0.16, "duration": 5.43,
                      "word_starts": [0.16, 0.48, 0.88, 1.04, 1.36, 1.52]},
                     {"text": "about sorting", "start": 2.76, "duration": 5.24,
                      "word_starts": [2.76, 3.12]}],
    }


def test_requests_go_through_one_youtubedl_with_proxy_timeout_and_no_disk_cache(
        monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeYouTube()
    fake.add(lecture(manual("en", "hello")))
    params: list[dict] = []
    monkeypatch.setattr(ytdlp, "YDL_FACTORY", fake_ydl_factory(fake, params))

    fetch_with_ytdlp(VIDEO_ID, ["en"], proxy="http://user:pw@proxy.example:8080")

    assert len(params) == 1
    assert params[0]["cachedir"] is False and params[0]["quiet"] is True
    assert params[0]["skip_download"] is True
    # The watch page, the player API, then the captions: all via the proxy.
    assert [r.path for r in fake.requests][0] == "/watch"
    assert "/youtubei/v1/player" in fake.paths()
    assert fake.paths()[-1] == "/api/timedtext"
    assert all(r.proxies == {"all": "http://user:pw@proxy.example:8080"}
               for r in fake.requests)
    assert all(r.timeout == ytdlp.SOCKET_TIMEOUT_SECONDS for r in fake.requests)
    assert all(r.url.startswith("https://www.youtube.com/") for r in fake.requests)
    assert not any("/s/player/" in path for path in fake.paths())  # no player JS
    assert fake.unexpected == []


def test_default_factory_is_yt_dlp_youtubedl(monkeypatch: pytest.MonkeyPatch) -> None:
    import yt_dlp

    fake = FakeYouTube()
    fake.add(lecture(manual("en", "hello")))
    built = []

    class WiredYoutubeDL(yt_dlp.YoutubeDL):
        def __init__(self, params: dict) -> None:
            super().__init__(params)
            built.append(self)
            install(self, fake)

    monkeypatch.setattr(ytdlp, "YDL_FACTORY", None)
    monkeypatch.setattr(yt_dlp, "YoutubeDL", WiredYoutubeDL)

    assert fetch_with_ytdlp(VIDEO_ID, ["en"])["segments"][0]["text"] == "hello"
    assert len(built) == 1


# --- choosing a track --------------------------------------------------------------

def test_manual_track_beats_automatic_in_the_same_language(youtube: FakeYouTube) -> None:
    youtube.add(lecture(automatic("en", "auto words"), manual("en", "Manual words.")))

    result = fetch_with_ytdlp(VIDEO_ID, ["en"])

    assert (result["language"], result["is_generated"]) == ("en", False)
    assert [s["text"] for s in result["segments"]] == ["Manual words."]
    assert "kind=asr" not in caption_requests(youtube)[0]


@pytest.mark.parametrize("languages, expected", [
    (["en", "de"], "English."), (["de", "en"], "Deutsch."), (["fr", "de"], "Deutsch."),
    (["en-US"], "English."),  # "en-US" accepts an "en" track
])
def test_preferred_languages_in_order(youtube: FakeYouTube, languages: list[str],
                                      expected: str) -> None:
    youtube.add(lecture(manual("de", "Deutsch."), manual("en", "English."),
                        automatic("en", "english")))

    result = fetch_with_ytdlp(VIDEO_ID, languages)

    assert [s["text"] for s in result["segments"]] == [expected]
    assert result["is_generated"] is False


def test_regional_track_matches_its_language(youtube: FakeYouTube) -> None:
    youtube.add(lecture(manual("fr", "Bonjour."), manual("en-GB", "Hello.")))

    result = fetch_with_ytdlp(VIDEO_ID, ["en"])

    assert result["language"] == "en-GB"


def test_automatic_in_a_preferred_language_beats_manual_in_another(
        youtube: FakeYouTube) -> None:
    youtube.add(lecture(manual("fr", "Bonjour."), automatic("en", "hello")))

    # "de" is only a machine translation of the English captions: never chosen.
    result = fetch_with_ytdlp(VIDEO_ID, ["de", "en"])

    assert (result["language"], result["is_generated"]) == ("en", True)
    assert [s["text"] for s in result["segments"]] == ["hello"]
    assert all("tlang" not in url for url in caption_requests(youtube))


def test_manual_track_in_the_spoken_language_when_none_is_preferred(
        youtube: FakeYouTube) -> None:
    youtube.add(lecture(manual("de", "Guten Tag."), manual("fr", "Bonjour."),
                        automatic("fr", "bonjour")))

    result = fetch_with_ytdlp(VIDEO_ID, ["en"])

    assert (result["language"], result["is_generated"]) == ("fr", False)
    assert [s["text"] for s in result["segments"]] == ["Bonjour."]


def test_automatic_captions_in_the_original_language_come_last(youtube: FakeYouTube) -> None:
    youtube.add(lecture(automatic("es", "hola a todos")))

    result = fetch_with_ytdlp(VIDEO_ID, ["en", "de"])

    assert (result["language"], result["is_generated"]) == ("es", True)
    assert [s["text"] for s in result["segments"]] == ["hola a todos"]
    assert all("tlang" not in url for url in caption_requests(youtube))


def test_vtt_when_json3_is_not_offered(youtube: FakeYouTube,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from yt_dlp.extractor.youtube import YoutubeIE

    # As if YouTube (or yt-dlp) stopped offering json3 captions.
    monkeypatch.setattr(YoutubeIE, "_SUBTITLE_FORMATS", ("srv3", "ttml", "vtt"))
    youtube.add(lecture(FakeTrack("en", "English (auto-generated)", kind="asr", vtt=AUTO_VTT)))

    result = fetch_with_ytdlp(VIDEO_ID, ["en"])

    assert result["segments"] == AUTO_VTT_SEGMENTS
    assert "fmt=vtt" in caption_requests(youtube)[0]


def test_choose_track_skips_tracks_without_json3_or_vtt() -> None:
    def formats(url: str, *exts: str) -> list[dict]:
        return [{"ext": ext, "url": f"{url}&fmt={ext}"} for ext in exts]

    info = {
        "subtitles": {"en": formats("https://x/t?lang=en", "srv1", "ttml")},
        "automatic_captions": {
            "en": formats("https://x/t?lang=en&kind=asr", "srv3", "vtt")},
    }

    track = tracks.choose_track(info, ["en"])

    assert track is not None
    assert (track.ext, track.is_generated, track.language) == ("vtt", True, "en")
    assert tracks.choose_track({"subtitles": {}, "automatic_captions": {}}, ["en"]) is None


# --- failures ----------------------------------------------------------------------

def test_no_caption_tracks_is_no_transcript(youtube: FakeYouTube) -> None:
    youtube.add(lecture())

    with pytest.raises(SubtitlesUnavailable) as raised:
        fetch_with_ytdlp(VIDEO_ID, ["en"])

    assert raised.value.code == "no_transcript"
    assert raised.value.message


@pytest.mark.parametrize("playability, code", [
    (PRIVATE, "video_private"),
    (AGE_RESTRICTED, "age_restricted"),
])
def test_videos_youtube_will_not_play_fail_permanently(
        youtube: FakeYouTube, playability: dict, code: str) -> None:
    youtube.add(lecture(manual("en", "never served"), playability=playability))

    with pytest.raises(SubtitlesUnavailable) as raised:
        fetch_with_ytdlp(VIDEO_ID, ["en"])

    assert raised.value.code == code
    assert caption_requests(youtube) == []


def test_unknown_or_removed_video_is_unavailable(youtube: FakeYouTube) -> None:
    with pytest.raises(SubtitlesUnavailable) as raised:
        fetch_with_ytdlp("aaaaaaaaaaa", ["en"])

    assert raised.value.code == "video_unavailable"
    assert "Video unavailable" in raised.value.message


def test_bot_check_is_transient(youtube: FakeYouTube) -> None:
    youtube.add(lecture(manual("en", "never served"), playability=BOT_CHECK))

    with pytest.raises(SubtitlesTemporarilyUnavailable, match="not a bot"):
        fetch_with_ytdlp(VIDEO_ID, ["en"])


@pytest.mark.parametrize("path, failure", [
    ("/", 429),                    # every request throttled
    ("/youtubei/v1/player", 429),  # the watch page loads, the player API is throttled
    ("/api/timedtext", 429),       # the caption download through ydl.urlopen
    ("/", 503),
    ("/", "timeout"),
])
def test_throttling_server_errors_and_timeouts_are_transient(
        youtube: FakeYouTube, path: str, failure: int | str) -> None:
    youtube.add(lecture(manual("en", "hello")))
    youtube.fail(path, failure)

    with pytest.raises(SubtitlesTemporarilyUnavailable):
        fetch_with_ytdlp(VIDEO_ID, ["en"])


def test_empty_caption_file_is_transient(youtube: FakeYouTube) -> None:
    # What YouTube sends when it wants a PO token for the captions.
    youtube.add(lecture(FakeTrack("en", "English", raw=b"")))

    with pytest.raises(SubtitlesTemporarilyUnavailable, match="empty"):
        fetch_with_ytdlp(VIDEO_ID, ["en"])


@pytest.mark.parametrize("message, expected", [
    ("ERROR: [youtube] abcdefghijk: Private video. Sign in if you've been granted access",
     "video_private"),
    ("[youtube] abcdefghijk: Sign in to confirm your age. This video may be inappropriate",
     "age_restricted"),
    ("[youtube] abcdefghijk: Sign in to confirm you\u2019re not a bot", "transient"),
    ("[youtube] abcdefghijk: This content isn't available, try again later.", "transient"),
    ("[youtube] abcdefghijk: Join this channel to get access to members-only content",
     "members_only"),
    ("[youtube] abcdefghijk: The uploader has not made this video available in your country",
     "video_unavailable"),
    ("Video unavailable. This video has been removed by the uploader", "video_unavailable"),
    ("Requested format is not available", None),
    ("No video formats found!", None),
])
def test_classify_message(message: str, expected: str | None) -> None:
    assert ytdlp.classify_message(message) == expected


# --- parsing -----------------------------------------------------------------------

def test_parse_json3_skips_empty_events_joins_segs_and_sorts() -> None:
    document = {"events": [
        {"tStartMs": 4000, "dDurationMs": 1000, "segs": [{"utf8": "second"}]},
        {"tStartMs": 0, "dDurationMs": 9000, "id": 1, "wpWinPosId": 1},
        {"tStartMs": 1500, "dDurationMs": 2500, "segs": [{"utf8": "first\nline"},
                                                         {"utf8": " two"}]},
        {"tStartMs": 3000, "dDurationMs": 10, "aAppend": 1, "segs": [{"utf8": "\n"}]},
        {"tStartMs": 3500, "dDurationMs": 10, "segs": []},
    ]}

    assert parse_json3(b'{"wireMagic": "pb3"}') == []
    assert parse_json3(json.dumps(document).encode()) == [
        {"text": "first line two", "start": 1.5, "duration": 2.5},
        {"text": "second", "start": 4.0, "duration": 1.0},
    ]


def test_parse_vtt_drops_youtube_rolling_duplicates() -> None:
    assert parse_vtt(AUTO_VTT) == AUTO_VTT_SEGMENTS


def test_parse_vtt_manual_captions() -> None:
    vtt = ("\ufeffWEBVTT\r\n\r\nNOTE made by hand\r\n\r\n"
           "1\r\n00:01.000 --> 00:04.000\r\n<v Prof>Welcome to <i>6.006</i>.</v>\r\n\r\n"
           "2\r\n00:04.500 --> 00:07.250 line:90%\r\nToday: sorting\r\n"
           "&lt;fast&gt; and&nbsp;slow\r\n\r\n"
           "00:08.000 --> 00:09.000\r\n \r\n\r\n"
           "01:00:00.000 --> 01:00:02.500\r\nThe end\r\n")

    assert parse_vtt(vtt) == [
        {"text": "Welcome to 6.006.", "start": 1.0, "duration": 3.0},
        # Escaped brackets are the caption's words, never a tag (issue 20).
        {"text": "Today: sorting ‹fast› and slow", "start": 4.5, "duration": 2.75},
        {"text": "The end", "start": 3600.0, "duration": 2.5},
    ]


def test_parse_vtt_refuses_what_is_not_webvtt() -> None:
    with pytest.raises(ValueError):
        parse_vtt("<html><body>Sorry...</body></html>")


# --- packaging ---------------------------------------------------------------------

def test_importing_chalicelib_subtitles_does_not_import_yt_dlp() -> None:
    code = ("import sys, chalicelib, chalicelib.youtube.ytdlp; "
            "sys.exit(1 if any(m == 'yt_dlp' or m.startswith('yt_dlp.') "
            "for m in sys.modules) else 0)")
    completed = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                               text=True, timeout=60)

    assert completed.returncode == 0, completed.stderr
