"""Chapters are the creator's or YouTube's automatic chapters shown on the player;
"Key moments" are not chapters (docs/DESIGN.md section 7, issue 21 item 4).

The watch pages are those of testkit.fake_youtube.watch_chapters, shaped on recorded
ones (NewPipeExtractor's YouTube mocks): Key moments and YouTube's automatic chapters
share a panel identifier ("engagement-panel-macro-markers-auto-chapters"); only the
player bar's markersMap ("AUTO_CHAPTERS") tells which it is. Both transcript paths run
for real on in-process fakes: youtube-transcript-api on testkit/fake_youtube.py's
transport, yt-dlp on testkit/fake_ytdlp.py's mirror of the same videos. Nothing
leaves the process."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.youtube import chapters, transcript_api, transcripts, ytdlp
from chalicelib.youtube.transcript_model import Transcript
from testkit import fake_ytdlp
from testkit.fake_youtube import FakeVideo, FakeYouTube, Track, initial_data

VIDEO_ID = "M4gD1WSo5mA"

# A 12-minute lecture's Key moments (the first at 8:45, as on a recorded page).
KEY_MOMENTS = [(525.83, "Choreography"), (560.99, "What underlies the fixation requirement"),
               (662.76, "Conventional justification")]
# YouTube's automatic chapters of a phone review, as its player bar shows them.
AUTO_CHAPTERS = [(0, "Intro"), (30, "Unboxing"), (70, "Design"), (170, "Facial recognition")]
CREATOR = [(0, "Welcome"), (95, "Fixation"), (410, "Originality")]
DESCRIPTION = "Lecture notes: example.org\n\n0:00 Welcome\n1:35 Fixation\n6:50 Originality"


@pytest.fixture
def youtube(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeYouTube]:
    fake = FakeYouTube()
    for name in ("YOUTUBE_PROXY_URL", "WEBSHARE_PROXY_USERNAME", "WEBSHARE_PROXY_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(transcript_api, "session_factory", fake.session)
    other_clients = fake_ytdlp.mirror(fake)
    monkeypatch.setattr(ytdlp, "YDL_FACTORY", fake_ytdlp.fake_ydl_factory(other_clients))
    yield fake
    assert other_clients.unexpected == []


def lecture(**fields: Any) -> FakeVideo:
    said = [(0.0, 2.0, "Today: copyright."), (2.0, 2.0, "First, fixation.")]
    return FakeVideo(VIDEO_ID, title="Copyright, lecture 2", author="Law School",
                     length_seconds=720, tracks=[Track("en", "English", said)],
                     **fields)


def both_paths() -> list[Transcript]:
    return [transcript_api.fetch_with_transcript_api(VIDEO_ID, ["en"]),
            transcripts.fetch_with_ytdlp(VIDEO_ID, ["en"])]


def found(transcript: Transcript) -> list[tuple[str, float]]:
    return [(c.title, c.start) for c in transcript.chapters]


def as_found(markers: list[tuple[float, str]]) -> list[tuple[str, float]]:
    return [(title, float(start)) for start, title in markers]


# --- both paths ----------------------------------------------------------------------

def test_key_moments_alone_are_no_chapters(youtube: FakeYouTube) -> None:
    youtube.add(lecture(key_moments=KEY_MOMENTS, description="A lecture on copyright."))

    for transcript in both_paths():
        assert transcript.chapters == []


def test_automatic_chapters_on_the_player_bar_are_chapters(youtube: FakeYouTube) -> None:
    youtube.add(lecture(auto_chapters=AUTO_CHAPTERS, description="A review."))

    for transcript in both_paths():
        assert found(transcript) == as_found(AUTO_CHAPTERS)


@pytest.mark.parametrize("others", [
    dict(key_moments=KEY_MOMENTS),
    dict(auto_chapters=AUTO_CHAPTERS),
    dict(auto_chapters=AUTO_CHAPTERS, key_moments=KEY_MOMENTS),
], ids=["key moments", "automatic", "both"])
def test_creator_chapters_win(youtube: FakeYouTube, others: dict) -> None:
    youtube.add(lecture(markers=CREATOR, description=DESCRIPTION, **others))

    for transcript in both_paths():
        assert found(transcript) == as_found(CREATOR)


@pytest.mark.parametrize("others", [
    dict(key_moments=KEY_MOMENTS),
    dict(auto_chapters=AUTO_CHAPTERS),
], ids=["key moments", "automatic"])
def test_description_timestamps_win_without_creator_markers(
        youtube: FakeYouTube, others: dict) -> None:
    youtube.add(lecture(description=DESCRIPTION, **others))

    for transcript in both_paths():
        assert found(transcript) == as_found(CREATOR)


@pytest.mark.parametrize("description", [
    "1:35 Fixation\n6:50 Originality\n9:00 Questions",  # not from 0:00
    "0:00 Welcome\n6:50 Originality",                    # fewer than three
    "0:00 Welcome\n6:50 Originality\n1:35 Fixation",     # out of order: two left
], ids=["no 0:00", "two", "out of order"])
def test_description_timestamps_youtube_ignores_are_no_chapters(
        youtube: FakeYouTube, description: str) -> None:
    # yt-dlp's own `chapters` takes these (sorted, from anywhere); YouTube does not.
    youtube.add(lecture(description=description))

    for transcript in both_paths():
        assert transcript.chapters == []


def test_ytdlp_without_its_initial_data_takes_the_description_only(
        youtube: FakeYouTube, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    # As if a yt-dlp release renamed the method whose answer is read.
    monkeypatch.setattr(ytdlp._InitialData, "attach", lambda self, ydl: False)
    youtube.add(lecture(key_moments=KEY_MOMENTS, auto_chapters=AUTO_CHAPTERS,
                        description=DESCRIPTION))

    assert found(transcripts.fetch_with_ytdlp(VIDEO_ID, ["en"])) == as_found(CREATOR)
    assert "chapters come from the description only" in caplog.text
    youtube.add(lecture(key_moments=KEY_MOMENTS, description="No timestamps."))
    assert transcripts.fetch_with_ytdlp(VIDEO_ID, ["en"]).chapters == []


# --- the watch page's data -------------------------------------------------------------

def page(**fields: Any) -> dict:
    return initial_data(FakeVideo(VIDEO_ID, **fields))


def test_the_panel_identifier_does_not_tell_key_moments_from_automatic_chapters() -> None:
    key_moments, automatic = page(key_moments=KEY_MOMENTS), page(auto_chapters=AUTO_CHAPTERS)

    def panel_ids(data: dict) -> list[str]:
        return [p["engagementPanelSectionListRenderer"]["panelIdentifier"]
                for p in data["engagementPanels"]
                if "macroMarkersListRenderer" in
                p["engagementPanelSectionListRenderer"].get("content", {})]

    assert panel_ids(key_moments) == panel_ids(automatic) == [
        "engagement-panel-macro-markers-auto-chapters"]
    assert chapters.best(key_moments, "") == []
    assert found_in(chapters.best(automatic, "")) == as_found(AUTO_CHAPTERS)


def found_in(items: list[chapters.Chapter]) -> list[tuple[str, float]]:
    return [(c.title, c.start) for c in items]


def test_automatic_chapters_are_read_from_the_player_bar_alone() -> None:
    data = page(auto_chapters=AUTO_CHAPTERS)
    data["engagementPanels"] = []

    assert found_in(chapters.automatic(data)) == as_found(AUTO_CHAPTERS)
    assert chapters.from_markers(data) == []  # not the creator's


def test_creator_markers_from_the_panel_the_markers_map_or_the_legacy_bar() -> None:
    data = page(markers=CREATOR)
    bar = data["playerOverlays"]["playerOverlayRenderer"]["decoratedPlayerBarRenderer"][
        "decoratedPlayerBarRenderer"]
    assert found_in(chapters.from_markers(data)) == as_found(CREATOR)

    data["engagementPanels"] = []  # the player bar's DESCRIPTION_CHAPTERS
    assert found_in(chapters.from_markers(data)) == as_found(CREATOR)

    entries = bar["playerBar"]["multiMarkersPlayerBarRenderer"].pop("markersMap")
    bar["playerBar"] = {"chapteredPlayerBarRenderer": {"chapters": entries[0]["value"]["chapters"]}}
    assert found_in(chapters.from_markers(data)) == as_found(CREATOR)


def test_best_order_creator_markers_description_automatic() -> None:
    data = page(markers=CREATOR, auto_chapters=AUTO_CHAPTERS, key_moments=KEY_MOMENTS)
    assert found_in(chapters.best(data, "")) == as_found(CREATOR)

    data = page(auto_chapters=AUTO_CHAPTERS, key_moments=KEY_MOMENTS)
    assert found_in(chapters.best(data, DESCRIPTION)) == as_found(CREATOR)
    assert found_in(chapters.best(data, "")) == as_found(AUTO_CHAPTERS)
    assert chapters.best(None, "") == []
