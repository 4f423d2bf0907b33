"""The transcript stage end to end over HTTP (docs/DESIGN.md section 6): submit through
the chalice test client, the real SQS queue and handlers, youtube-transcript-api on
testkit/fake_youtube.py and yt-dlp on its mirror (testkit/fake_ytdlp.py)."""
from __future__ import annotations

import json

import pytest

from chalicelib.core import aws
from chalicelib.processing import handlers
from chalicelib.youtube import transcript_api
from chalicelib.youtube import ytdlp as ytdlp_path
from testkit import fake_ytdlp
from testkit.fake_anthropic import OVERLOADED
from testkit.fake_youtube import Track
from testkit.lectures import lecture
from tests.conftest import call, ledger_total
from tests.processing.test_pipeline import (  # noqa: F401  (fixtures)
    claude,
    note_of,
    submit,
    video_of,
    work,
    youtube,
)


def cached(stack, youtube_id: str) -> dict | None:
    try:
        body = aws.client("s3").get_object(Bucket=stack["NotesBucketName"],
                                           Key=f"transcripts/{youtube_id}.json")["Body"]
    except Exception as exc:
        assert aws.is_error(exc, *aws.NOT_FOUND)
        return None
    return json.loads(body.read())


def test_an_empty_caption_body_goes_to_ytdlp_and_completes(client, stack, user, youtube):
    video = lecture(10)
    video.tracks[0].body = b""  # what YouTube sends the library without a PO token
    youtube.add(video)

    submitted = submit(client, user, video)
    assert work(stack) == 1

    done = video_of(client, user, submitted["video_id"])
    assert done["status"] == "completed" and done["credits_charged"] == 1
    content = note_of(client, user, done["note_id"])["content"]
    front = content.split("\n---\n")[0]
    assert "\ntranscript: youtube\n" in front and "\nlanguage: en\n" in front
    assert "\nautomatic_captions: false" in front
    assert cached(stack, video.video_id)["segments"][0]["text"].startswith("Today we study")


def test_an_exception_injected_into_the_first_path_runs_the_fallback(client, stack, user,
                                                                     youtube):
    video = youtube.add(lecture(10))
    youtube.failures["/youtubei/v1/player"] = ZeroDivisionError("injected")

    submitted = submit(client, user, video)
    assert work(stack) == 1

    assert video_of(client, user, submitted["video_id"])["status"] == "completed"


def test_both_paths_failing_settles_failed_with_the_real_cause(client, stack, user, youtube,
                                                               monkeypatch):
    video = youtube.add(lecture(10))
    youtube.failures["/api/timedtext"] = KeyError("injected")
    other_clients = fake_ytdlp.FakeYouTube()
    other_clients.add(fake_ytdlp.from_transcript_api_video(video))
    other_clients.fail("/youtubei/v1/player", 503)
    monkeypatch.setattr(ytdlp_path, "YDL_FACTORY", fake_ytdlp.fake_ydl_factory(other_clients))

    submitted = submit(client, user, video)
    work(stack, rounds=1)
    waiting = video_of(client, user, submitted["video_id"])
    assert waiting["status"] == "processing"
    assert waiting["status_message"].startswith("Waiting to retry: YouTube")
    work(stack)  # the last two receives (JOB_RETRY_BASE_SECONDS=0)
    assert work(stack, queue="DeadLetterQueueUrl") == 1

    failed = video_of(client, user, submitted["video_id"])
    assert failed["status"] == "failed" and failed["error"]["code"] == "processing_failed"
    assert failed["error"]["message"].startswith(
        "We could not process this video after 3 attempts (YouTube did not answer")
    assert "WebVTT or SRT" in failed["error"]["message"]
    assert ledger_total(client, user) == (3, 3)


@pytest.mark.parametrize("playability,code,words", [
    ("members_only", "members_only", "members only"),
    ("premium", "premium_only", "Music Premium"),
    ("private", "video_private", "private"),
    ("removed", "video_unavailable", "unavailable"),
    ("age_restricted_web", "age_restricted", "age-restricted"),
    ("live_offline", "live_not_started", "has not started"),
])
def test_videos_youtube_will_not_serve_fail_at_once_with_their_reason(
        client, stack, user, youtube, playability, code, words):
    video = youtube.add(lecture(10, playability=playability))

    submitted = submit(client, user, video)
    assert work(stack) == 1

    failed = video_of(client, user, submitted["video_id"])
    assert failed["status"] == "failed" and failed["error"]["code"] == code
    assert words in failed["error"]["message"]
    assert ledger_total(client, user) == (3, 3)


def test_a_human_regional_track_beats_automatic_captions(client, stack, user, youtube):
    video = lecture(10, generated=True)
    video.tracks.append(Track("en-US", "English (United States)",
                              [(0.0, 4.0, "A human wrote this line about entropy.")]
                              + video.tracks[0].segments[1:]))
    youtube.add(video)

    submitted = submit(client, user, video)
    work(stack)

    note = note_of(client, user, video_of(client, user, submitted["video_id"])["note_id"])
    assert "\nlanguage: en-US\n" in note["content"]
    assert "\nautomatic_captions: false\n" in note["content"]
    assert cached(stack, video.video_id)["segments"][0]["text"].startswith("A human wrote")


def test_offline_locally_fails_at_once_saying_what_works_without_a_network(
        client, stack, user, youtube, monkeypatch):
    # The real libraries over real sockets; the proxy is a closed local port.
    monkeypatch.setattr(transcript_api, "session_factory", None)
    monkeypatch.setattr(ytdlp_path, "YDL_FACTORY", None)
    monkeypatch.setenv("YOUTUBE_PROXY_URL", "http://127.0.0.1:9")

    submitted = call(client, "POST", "/videos", token=user["id_token"],
                     body={"url": "https://youtu.be/notSeeded01"}).json_body
    assert work(stack, rounds=1) == 1  # one attempt: no retry

    failed = video_of(client, user, submitted["video_id"])
    assert failed["status"] == "failed" and failed["error"]["code"] == "youtube_unreachable"
    assert failed["status_message"] == failed["error"]["message"]
    message = failed["error"]["message"]
    assert "only the seeded lectures or uploaded captions" in message
    assert "(the proxy 127.0.0.1:9 refused the connection)" in message
    assert ledger_total(client, user) == (3, 3)


def test_the_retry_schedule_settles_well_within_30_minutes(monkeypatch):
    monkeypatch.setenv("JOB_RETRY_BASE_SECONDS", "60")
    delays = [handlers.retry_delay(n) for n in (1, 2, 3)]
    assert delays == [60, 300, 0]
    # Three attempts of at most a few request timeouts each, plus the waits.
    assert sum(delays) + 3 * 120 < 30 * 60


def test_a_busy_model_is_named_while_waiting_and_when_given_up(client, stack, user, youtube,
                                                               claude, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_MAX_RETRIES", "0")
    claude.failures.extend([OVERLOADED] * 3)
    submitted = submit(client, user, youtube.add(lecture(10)))
    work(stack, rounds=1)
    assert video_of(client, user, submitted["video_id"])["status_message"] == \
        "Waiting to retry: the note writer is busy"
    for _ in range(3):
        work(stack, rounds=1)
    assert work(stack, queue="DeadLetterQueueUrl") == 1
    failed = video_of(client, user, submitted["video_id"])
    assert failed["error"]["message"] == (
        "We could not process this video after 3 attempts (the note writer is busy); "
        "your credits were refunded. Try again later.")
