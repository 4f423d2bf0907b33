"""Word times of automatic captions (issue 21): YouTube times every word of its automatic
captions (json3 `tOffsetMs`, WebVTT inline timestamps). The parsers keep them, the
transcript cache carries them (old entries without them still load), and the pauses
they show are where the splitter cuts sentences (tests/notes/test_pauses.py)."""
from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest

from chalicelib.youtube import transcript_api, transcripts, uploads, ytdlp
from chalicelib.youtube.captions import parse_json3, parse_vtt
from chalicelib.youtube.transcript_model import MAX_WORD_STARTS, Segment, Transcript
from testkit import fake_ytdlp
from testkit.fake_youtube import FakeYouTube
from testkit.lectures import lecture

VIDEO_ID = "wOrDtImEs01"


def cached(segments: list[dict]) -> dict:
    return {"video_id": VIDEO_ID, "title": "T", "channel": "C", "duration_seconds": 60,
            "language": "en", "is_generated": True, "chapters": [], "segments": segments}


# --- the cache format --------------------------------------------------------------

def test_a_cache_entry_written_before_word_times_still_loads() -> None:
    old = cached([{"text": "so today we talk", "start": 0.5, "duration": 2.0}])
    transcript = Transcript.from_dict(old)
    assert transcript.segments == [Segment("so today we talk", 0.5, 2.0)]
    assert transcript.segments[0].word_starts is None
    assert transcript.to_dict() == old  # written back the same: no "word_starts": null


def test_word_times_go_through_the_cache_and_back() -> None:
    entry = cached([{"text": "so today we talk", "start": 0.5, "duration": 2.0,
                     "word_starts": [0.5, 0.8, 1.1, 1.9]}])
    transcript = Transcript.from_dict(json.loads(json.dumps(entry)))
    assert transcript.segments[0].word_starts == [0.5, 0.8, 1.1, 1.9]
    assert transcript.to_dict() == entry


@pytest.mark.parametrize("word_starts", [
    [0.5, 0.8, 1.1],                   # one word short
    [0.5, 1.1, 0.8, 1.9],              # out of order
    [0.5, "0.8", 1.1, 1.9],            # not a number
    [0.5, 0.8, 1.1, float("nan")],     # not finite
    [0.5, 0.8, 1.1, 900.0],            # far outside its cue
    {"0": 0.5},                        # not a list
    [True, 0.8, 1.1, 1.9],
])
def test_odd_word_times_are_dropped_and_the_segment_kept(word_starts: object) -> None:
    entry = cached([{"text": "so today we talk", "start": 0.5, "duration": 2.0,
                     "word_starts": word_starts}])
    segment = Transcript.from_dict(entry).segments[0]
    assert (segment.text, segment.start, segment.word_starts) == ("so today we talk", 0.5, None)


def test_a_segment_keeps_at_most_max_word_starts() -> None:
    many = MAX_WORD_STARTS + 1
    entry = cached([{"text": " ".join(["la"] * many), "start": 0.0, "duration": 30.0,
                     "word_starts": [n * 0.1 for n in range(many)]}])
    assert Transcript.from_dict(entry).segments[0].word_starts is None


# --- the parsers -------------------------------------------------------------------

def test_json3_word_pieces_join_into_words_with_the_first_pieces_time() -> None:
    document = {"events": [{"tStartMs": 1000, "dDurationMs": 4000, "segs": [
        {"utf8": "it"}, {"utf8": "'s", "tOffsetMs": 150}, {"utf8": " twenty", "tOffsetMs": 300},
        {"utf8": " &amp;", "tOffsetMs": 700}, {"utf8": " more", "tOffsetMs": 2100}]}]}
    assert parse_json3(json.dumps(document)) == [
        {"text": "it's twenty & more", "start": 1.0, "duration": 4.0,
         "word_starts": [1.0, 1.3, 1.7, 3.1]}]


def test_human_json3_and_vtt_without_timestamps_have_no_word_times() -> None:
    document = {"events": [{"tStartMs": 0, "dDurationMs": 2000,
                            "segs": [{"utf8": "A human line."}]}]}
    assert "word_starts" not in parse_json3(json.dumps(document))[0]
    vtt = "WEBVTT\n\n00:00:01.000 --> 00:00:03.000\nA <i>human</i> line.\n"
    assert parse_vtt(vtt) == [{"text": "A human line.", "start": 1.0, "duration": 2.0}]


def test_an_uploaded_youtube_vtt_keeps_its_word_times() -> None:
    # A student's download of YouTube's automatic captions: rolling cues, timestamp tags.
    vtt = ("WEBVTT\nKind: captions\nLanguage: en\n\n"
           "00:00:05.569 --> 00:00:08.030 align:start position:0%\n \n"
           "while<00:00:06.569><c> we</c><00:00:06.750><c> became</c><00:00:07.170><c> furless</c>"
           "\n\n00:00:08.030 --> 00:00:08.040 align:start position:0%\n"
           "while we became furless\n \n\n"
           "00:00:08.040 --> 00:00:10.549 align:start position:0%\nwhile we became furless\n"
           "fascinated<00:00:08.280><c> scientists</c>\n")
    transcript = uploads.parse(vtt, VIDEO_ID)
    assert [(s.text, s.word_starts) for s in transcript.segments] == [
        ("while we became furless", [5.569, 6.569, 6.75, 7.17]),
        ("fascinated scientists", [8.04, 8.28])]


@pytest.mark.timeout(30)
def test_many_timestamp_tags_parse_in_linear_time() -> None:
    # A 2.4 MB cue of timestamp tags (each its own piece of text): linear work per tag.
    def parse_seconds(tags: int) -> float:
        line = "<00:00:01.500><c> w</c>" * tags
        began = time.perf_counter()
        parse_vtt(f"WEBVTT\n\n00:00:01.000 --> 00:00:09.000\n{line}\n")
        return time.perf_counter() - began

    small, large = parse_seconds(25_000), parse_seconds(100_000)
    assert large < 8 * small + 0.5  # quadratic would be 16 times


# --- the fakes serve word-timed automatic captions ----------------------------------

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


def test_ytdlp_keeps_the_word_times_youtube_transcript_api_cannot_get(
        youtube: FakeYouTube) -> None:
    youtube.add(lecture(2, video_id=VIDEO_ID, asr=True))

    first = transcript_api.fetch_with_transcript_api(VIDEO_ID, ["en"])
    second = transcripts.fetch_with_ytdlp(VIDEO_ID, ["en"])

    # The same words on both paths; only json3 (yt-dlp) times each of them: the srv1 XML
    # youtube-transcript-api asks for has one time per line.
    assert first.text == second.text
    assert all(segment.word_starts is None for segment in first.segments)
    assert all(segment.word_starts is not None for segment in second.segments)
    times = [at for segment in second.segments for at in segment.word_starts or []]
    assert len(times) == len(second.text.split()) and times == sorted(times)
    assert Transcript.from_dict(second.to_dict()).segments == second.segments
