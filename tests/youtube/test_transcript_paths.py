"""Both transcript paths on one fake YouTube (docs/DESIGN.md section 6): the real
youtube-transcript-api on testkit/fake_youtube.py's transport, the real yt-dlp on
testkit/fake_ytdlp.py's mirror of the same videos. Each numbered case of the
transcripts issue has a test here (the HTTP end-to-end ones are in
tests/processing/test_transcript_failures.py). Nothing leaves the process, except
the offline tests' connections to a closed port on 127.0.0.1."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from chalicelib.youtube import chapters, network, transcript_api, transcripts, ytdlp
from chalicelib.youtube.captions import parse_vtt
from chalicelib.youtube.transcript_model import (
    PERMANENT_MESSAGES,
    TranscriptTemporarilyUnavailable,
    TranscriptUnavailable,
    YouTubeUnreachable,
)
from testkit import fake_ytdlp
from testkit.fake_youtube import (
    ANDROID_TRANSLATIONS,
    ONLY_ENGLISH,
    FakeVideo,
    FakeYouTube,
    Track,
)

VIDEO_ID = "aBcDeFgHiJk"


@pytest.fixture
def youtube(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeYouTube]:
    fake = FakeYouTube()
    for name in ("YOUTUBE_PROXY_URL", "WEBSHARE_PROXY_USERNAME", "WEBSHARE_PROXY_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(transcript_api, "session_factory", fake.session)
    fake.other_clients = fake_ytdlp.mirror(fake)  # type: ignore[attr-defined]
    monkeypatch.setattr(ytdlp, "YDL_FACTORY", fake_ytdlp.fake_ydl_factory(fake.other_clients))
    yield fake
    assert fake.other_clients.unexpected == []  # type: ignore[attr-defined]


def said(text: str) -> list[tuple[float, float, str]]:
    return [(0.0, 2.0, f"{text} one."), (2.0, 2.0, f"{text} two."), (4.0, 2.0, f"{text} three.")]


def video(*tracks: Track, **fields) -> FakeVideo:
    return FakeVideo(VIDEO_ID, title="Sorting", author="CS Dept", length_seconds=900,
                     tracks=list(tracks), **fields)


def human(language: str, text: str | None = None, **fields) -> Track:
    return Track(language, language, said(text or f"human {language}"), **fields)


def auto(language: str, text: str | None = None, **fields) -> Track:
    return Track(language, f"{language} (auto-generated)", said(text or f"auto {language}"),
                 generated=True, **fields)


def first_path(languages: list[str]):
    return transcript_api.fetch_with_transcript_api(VIDEO_ID, languages)


def second_path(languages: list[str]):
    return transcripts.fetch_with_ytdlp(VIDEO_ID, languages)


def caption_urls(youtube: FakeYouTube) -> list[str]:
    return [r for r in youtube.requests if "/api/timedtext" in r]


# --- 1. An empty caption body, and PO-token URLs ----------------------------------

def test_1_an_empty_caption_body_falls_through_to_ytdlp(youtube: FakeYouTube) -> None:
    youtube.add(video(human("en", body=b"")))

    with pytest.raises(TranscriptTemporarilyUnavailable) as raised:
        first_path(["en"])
    assert raised.value.reason == "empty_captions"
    assert "ParseError" in repr(raised.value.__cause__)  # the library's raw XML error

    result = transcripts.fetch_from_youtube(VIDEO_ID, ["en"])
    assert [s.text for s in result.segments] == ["human en one.", "human en two.",
                                                 "human en three."]
    assert youtube.paths() == ["/watch", "/youtubei/v1/player", "/api/timedtext"] * 2
    assert "/youtubei/v1/player" in youtube.other_clients.paths()  # type: ignore[attr-defined]


def test_1_an_empty_caption_document_falls_through(youtube: FakeYouTube) -> None:
    youtube.add(video(human("en", body=b'<?xml version="1.0" encoding="utf-8" ?>'
                                       b"<transcript></transcript>")))

    assert transcripts.fetch_from_youtube(VIDEO_ID, ["en"]).segments[0].text == \
        "human en one."


def test_1_a_po_token_url_is_never_requested_and_falls_through(youtube: FakeYouTube) -> None:
    youtube.add(video(human("en", po_token=True)))

    result = transcripts.fetch_from_youtube(VIDEO_ID, ["en"])

    assert caption_urls(youtube) == []  # youtube-transcript-api refuses "&exp=xpe" URLs
    assert result.segments[0].text == "human en one."


def test_1_ytdlp_dropping_po_token_tracks_is_transient_not_no_captions(
        monkeypatch: pytest.MonkeyPatch) -> None:
    fake = fake_ytdlp.FakeYouTube()
    fake.add(fake_ytdlp.FakeVideo(VIDEO_ID, tracks=[fake_ytdlp.FakeTrack(
        "en", "English", json3={"events": []}, po_token=True)]))
    monkeypatch.setattr(ytdlp, "YDL_FACTORY", fake_ytdlp.fake_ydl_factory(fake))

    with pytest.raises(TranscriptTemporarilyUnavailable) as raised:
        second_path(["en"])
    assert raised.value.reason == "empty_captions"
    assert [r for r in fake.paths() if r == "/api/timedtext"] == []


def test_1_an_arbitrary_exception_in_the_first_path_falls_through(
        youtube: FakeYouTube) -> None:
    youtube.add(video(human("en")))
    youtube.failures["/youtubei/v1/player"] = RuntimeError("something nobody foresaw")

    result = transcripts.fetch_from_youtube(VIDEO_ID, ["en"])

    assert result.segments[0].text == "human en one."
    assert result.title == "Sorting"


@pytest.mark.parametrize("failure", [500, 429])
def test_1_youtube_errors_on_the_caption_download_fall_through(youtube: FakeYouTube,
                                                              failure: int) -> None:
    youtube.add(video(human("en")))
    youtube.failures["/api/timedtext"] = failure

    assert transcripts.fetch_from_youtube(VIDEO_ID, ["en"]).segments


# --- 2. Regional track codes: both paths choose the same track --------------------

@pytest.mark.parametrize("tracks,languages,expected", [
    ((auto("en"), human("en-US")), ["en"], ("en-US", False)),
    ((auto("en"), human("en-GB")), ["en"], ("en-GB", False)),
    ((human("en"), human("pt")), ["pt-BR", "en"], ("pt", False)),
    ((human("en"), auto("es")), ["es-419", "en"], ("es", True)),
    ((human("en"), human("zh-Hans")), ["zh", "en"], ("zh-Hans", False)),
    ((human("pt-BR"), human("pt")), ["pt-BR"], ("pt-BR", False)),  # exact code first
])
def test_2_regional_variants_match_their_base_language_on_both_paths(
        youtube: FakeYouTube, tracks, languages, expected) -> None:
    youtube.add(video(*tracks))

    first, second = first_path(languages), second_path(languages)

    assert (first.language, first.is_generated) == expected
    assert (second.language, second.is_generated) == expected
    assert first.segments[0].text == second.segments[0].text


# --- 3. Originals over machine translations ---------------------------------------

@pytest.mark.parametrize("tracks,languages,expected,translations", [
    ((auto("fr"),), ["de", "en"], ("fr", True), ONLY_ENGLISH),
    ((human("de"),), ["en"], ("de", False), ANDROID_TRANSLATIONS),
    ((human("ja"), auto("es")), ["en"], ("es", True), ONLY_ENGLISH),  # spoken language
    ((human("es"), auto("es")), ["en"], ("es", False), ()),
    ((auto("pa", translatable=False),), ["en"], ("pa", True), ()),
])
def test_3_an_original_beats_a_machine_translation_on_both_paths(
        youtube: FakeYouTube, tracks, languages, expected, translations) -> None:
    youtube.add(video(*tracks, translations=translations))

    first, second = first_path(languages), second_path(languages)

    assert (first.language, first.is_generated) == expected
    assert (second.language, second.is_generated) == expected
    assert not first.segments[0].text.startswith("[")
    assert all("tlang" not in url for url in caption_urls(youtube))
    assert all("tlang" not in r.url for r in youtube.other_clients.requests)  # type: ignore


# --- 4. An answer only one client gives --------------------------------------------

def test_4_unplayable_for_the_android_client_alone_is_not_final(youtube: FakeYouTube) -> None:
    youtube.add(video(human("en"), android_playability="unplayable_for_client"))

    with pytest.raises(TranscriptTemporarilyUnavailable):
        first_path(["en"])
    result = transcripts.fetch_from_youtube(VIDEO_ID, ["en"])

    assert result.segments[0].text == "human en one."


def test_4_one_ytdlp_client_unplayable_uses_the_answer_of_another(
        monkeypatch: pytest.MonkeyPatch) -> None:
    fake = fake_ytdlp.FakeYouTube()
    fake.add(fake_ytdlp.FakeVideo(
        VIDEO_ID, client_playability={"WEB": {"status": "UNPLAYABLE",
                                              "reason": "This video is not available"}},
        tracks=[fake_ytdlp.FakeTrack("en", "English", json3={"events": [
            {"tStartMs": 0, "dDurationMs": 1000, "segs": [{"utf8": "hello"}]}]})]))
    monkeypatch.setattr(ytdlp, "YDL_FACTORY", fake_ytdlp.fake_ydl_factory(fake))

    assert [s.text for s in second_path(["en"]).segments] == ["hello"]


# --- 5. Chapters ----------------------------------------------------------------------

def test_5_chapters_from_youtube_markers_in_the_watch_page(youtube: FakeYouTube) -> None:
    youtube.add(video(human("en"), markers=[(0, "Intro"), (250, "Merge sort"),
                                            (750.5, "Quick sort")],
                      description="No timestamps here."))

    first, second = first_path(["en"]), second_path(["en"])

    assert [(c.title, c.start) for c in first.chapters] == [
        ("Intro", 0), ("Merge sort", 250), ("Quick sort", 750.5)]
    assert [c.title for c in second.chapters] == ["Intro", "Merge sort", "Quick sort"]


def test_5_markers_win_over_the_description(youtube: FakeYouTube) -> None:
    youtube.add(video(human("en"), markers=[(0, "From markers"), (60, "B"), (120, "C")],
                      description="0:00 From the description\n1:00 B\n2:00 C"))

    assert first_path(["en"]).chapters[0].title == "From markers"


def test_5_key_moments_are_not_chapters(youtube: FakeYouTube) -> None:
    # YouTube's "Key moments" panel is a search feature, never on the player bar
    # (issue 21 item 4; the whole matrix is in test_chapters.py).
    youtube.add(video(human("en"), key_moments=[(39, "Build quality"), (66, "Screen"),
                                                (106, "Battery")]))

    for result in (first_path(["en"]), second_path(["en"])):
        assert result.chapters == []


def test_5_clean_drops_placeholders_and_empty_titles() -> None:
    found = chapters.clean([chapters.Chapter("<Untitled Chapter 1>", 0),
                            chapters.Chapter("  Real   title ", 10),
                            chapters.Chapter("", 20), chapters.Chapter("Earlier", 5),
                            chapters.Chapter("Later", 30)])
    assert [(c.title, c.start) for c in found] == [("Real title", 10), ("Later", 30)]


def test_5_a_watch_page_without_initial_data_has_no_chapters() -> None:
    assert chapters.initial_data("<html>ytcfg.set({})</html>") is None
    assert chapters.from_markers(None) == []
    assert chapters.from_markers({"engagementPanels": [{"x": 1}]}) == []


# --- 6. Members-only, Premium, private, removed, age-restricted, live -------------

@pytest.mark.parametrize("setup,code", [
    (dict(playability="members_only"), "members_only"),
    (dict(playability="premium"), "premium_only"),
    (dict(playability="private"), "video_private"),
    (dict(playability="removed"), "video_unavailable"),
    (dict(playability="unavailable"), "video_unavailable"),
    (dict(playability="geo"), "video_unavailable"),
    (dict(playability="age_restricted"), "age_restricted"),
    (dict(playability="live_offline"), "live_not_started"),
    (dict(live=True), "live_stream"),
    (dict(captions=False), "captions_disabled"),
])
def test_6_videos_youtube_will_not_serve_end_with_their_own_message(
        youtube: FakeYouTube, setup: dict, code: str) -> None:
    youtube.add(video(human("en"), **setup))

    with pytest.raises(TranscriptUnavailable) as raised:
        transcripts.fetch_from_youtube(VIDEO_ID, ["en"])

    assert raised.value.code == code
    assert raised.value.message == PERMANENT_MESSAGES[code]


@pytest.mark.parametrize("case", ["bot_check", "rate_limited"])
def test_6_refusals_of_the_caller_are_transient(youtube: FakeYouTube, case: str) -> None:
    youtube.add(video(human("en"), playability=case))

    with pytest.raises(TranscriptTemporarilyUnavailable) as raised:
        transcripts.fetch_from_youtube(VIDEO_ID, ["en"])

    assert raised.value.reason in ("blocked", "throttled")
    assert "YouTube is" in raised.value.status_message


# --- 7. A WebVTT cue running into the next timing line ----------------------------

def test_7_a_cue_without_a_blank_line_before_the_next_timing_does_not_leak_it() -> None:
    content = ("WEBVTT\n\n"
               "00:05:01.000 --> 00:05:04.080 align:start position:0%\n"
               "the first line\n"
               "00:05:04.080 --> 00:05:05.069 align:start position:0%\n"
               "the next line\n")

    segments = parse_vtt(content)

    assert [s["text"] for s in segments] == ["the first line", "the next line"]
    assert segments[1]["start"] == 304.08
    assert not any("-->" in s["text"] for s in segments)


# --- 8. No network -------------------------------------------------------------------

def test_8_a_closed_proxy_port_is_unreachable_on_both_paths(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Real sockets, real youtube-transcript-api and yt-dlp: the proxy at 127.0.0.1:9
    # refuses the connection (as the local stack's tests configure it).
    monkeypatch.setattr(transcript_api, "session_factory", None)
    monkeypatch.setattr(ytdlp, "YDL_FACTORY", None)
    monkeypatch.setenv("YOUTUBE_PROXY_URL", "http://127.0.0.1:9")

    with pytest.raises(YouTubeUnreachable) as first:
        first_path(["en"])
    with pytest.raises(YouTubeUnreachable) as both:
        transcripts.fetch_from_youtube(VIDEO_ID, ["en"])

    assert first.value.detail == "the proxy 127.0.0.1:9 refused the connection"
    assert both.value.status_message == ("Waiting to retry: YouTube could not be reached "
                                         "from the server (the proxy 127.0.0.1:9 refused "
                                         "the connection)")


def test_8_a_name_that_does_not_resolve_is_unreachable(youtube: FakeYouTube) -> None:
    import socket

    import requests
    from urllib3.exceptions import MaxRetryError, NameResolutionError

    youtube.add(video(human("en")))
    dns = NameResolutionError("www.youtube.com", None,
                              socket.gaierror(-3, "Temporary failure in name resolution"))
    youtube.failures["/watch"] = requests.ConnectionError(
        MaxRetryError(None, "/watch", dns))

    with pytest.raises(YouTubeUnreachable) as raised:
        first_path(["en"])

    assert raised.value.detail == "the name www.youtube.com did not resolve"


def test_8_ytdlp_when_the_name_does_not_resolve(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    from yt_dlp.networking.exceptions import TransportError

    fake = fake_ytdlp.FakeYouTube()
    fake.fail("/", TransportError(  # every request, as offline
        "[Errno -2] Name or service not known",
        cause=socket.gaierror(-2, "Name or service not known")))
    monkeypatch.setattr(ytdlp, "YDL_FACTORY", fake_ytdlp.fake_ydl_factory(fake))

    with pytest.raises(YouTubeUnreachable) as raised:
        second_path(["en"])

    assert raised.value.detail == "the name www.youtube.com did not resolve"


def test_8_unreachable_is_told_apart_from_other_failures() -> None:
    assert network.unreachable(ConnectionRefusedError(111, "Connection refused")) == \
        "www.youtube.com refused the connection"
    assert network.unreachable(TimeoutError("timed out")) is None
    assert network.unreachable(ValueError("bad json")) is None


# --- the fake's own shapes -----------------------------------------------------------

def test_the_fake_answers_in_the_real_request_order_with_real_shapes(
        youtube: FakeYouTube) -> None:
    youtube.add(video(human("en"), auto("en")))

    first_path(["en"])

    assert youtube.paths() == ["/watch", "/youtubei/v1/player", "/api/timedtext"]
    # The library strips "&fmt=srv3" and asks for srv1.
    assert "fmt=" not in caption_urls(youtube)[0] and "lang=en" in caption_urls(youtube)[0]
    assert len(ANDROID_TRANSLATIONS) == 17 and "en" not in ANDROID_TRANSLATIONS
    assert len(fake_ytdlp.WEB_TRANSLATION_CODES) == 156
    # The ANDROID client names tracks in runs (the library reads name.runs[0].text);
    # manual tracks carry no "kind", automatic ones "asr", and URLs end in fmt=srv3.
    from testkit.fake_youtube import caption_track

    manual, automatic = (caption_track(VIDEO_ID, t) for t in (human("en-GB"), auto("en")))
    assert manual["name"] == {"runs": [{"text": "en-GB"}]} and "kind" not in manual
    assert manual["vssId"] == ".en-GB" and automatic["vssId"] == "a.en"
    assert automatic["kind"] == "asr" and automatic["baseUrl"].endswith("&lang=en&fmt=srv3")


@pytest.mark.parametrize("consent,works", [("once", True), ("always", False),
                                           ("no_v", False)])
def test_a_consent_wall(youtube: FakeYouTube, consent: str, works: bool) -> None:
    youtube.add(video(human("en"), consent=consent))

    if works:
        result = first_path(["en"])
        assert result.segments
        assert youtube.paths()[:2] == ["/watch", "/watch"]
        assert "CONSENT=YES+" in youtube.cookies[1]
    else:
        with pytest.raises(TranscriptTemporarilyUnavailable):
            first_path(["en"])
        # ... and yt-dlp, which has no consent wall here, decides.
        assert transcripts.fetch_from_youtube(VIDEO_ID, ["en"]).segments


@pytest.mark.parametrize("fields,code", [
    (dict(live=True), "live_stream"),
    (dict(playability=fake_ytdlp.LIVE_OFFLINE), "live_not_started"),
    (dict(playability=fake_ytdlp.MEMBERS_ONLY), "members_only"),
    (dict(playability=fake_ytdlp.PREMIUM), "premium_only"),
    (dict(playability=fake_ytdlp.REMOVED), "video_unavailable"),
])
def test_6_ytdlp_alone_names_each_case(monkeypatch: pytest.MonkeyPatch, fields, code) -> None:
    fake = fake_ytdlp.FakeYouTube()
    fake.add(fake_ytdlp.FakeVideo(VIDEO_ID, tracks=[fake_ytdlp.FakeTrack(
        "en", "English", json3={"events": []})], **fields))
    monkeypatch.setattr(ytdlp, "YDL_FACTORY", fake_ytdlp.fake_ydl_factory(fake))

    with pytest.raises(TranscriptUnavailable) as raised:
        second_path(["en"])

    assert raised.value.code == code
