"""Cost bounded by the price (docs/DESIGN.md section 6): caption text far beyond human
speech for the duration is priced by size or refused, and the student is told why; no
caption line makes one model call of any size; a failure that would fail again is not
retried for free; per-user submission limits answer 429; each job's model tokens are on
the video and on its ledger row."""
from __future__ import annotations

import concurrent.futures
import threading

from chalicelib.api import videos as video_requests
from chalicelib.core import config, db
from chalicelib.core.errors import TooManyRequestsError
from chalicelib.processing import cost_bound
from testkit.fake_anthropic import OVERLOADED
from testkit.fake_youtube import FakeVideo, Track
from testkit.lectures import SENTENCES, lecture, new_video_id
from tests.conftest import call, ledger, ledger_total
from tests.processing.test_pipeline import (  # noqa: F401  (fixtures)
    claude,
    submit,
    video_of,
    work,
    youtube,
)

WORDS = " ".join(SENTENCES)


def one_minute_video(characters: int) -> FakeVideo:
    """A 60-second video whose captions are one line of `characters` characters."""
    text = (WORDS * (characters // len(WORDS) + 1))[:characters]
    return FakeVideo(video_id=new_video_id(), title="Sixty seconds", length_seconds=60,
                     tracks=[Track("en", "English", [(0.0, 59.0, text)])])


def user_content_tokens(request: dict) -> int:
    return len(request["messages"][0]["content"]) // 4


def test_captions_far_beyond_any_video_we_accept_are_refused_free(client, stack, user,
                                                                  youtube, claude):
    video = youtube.add(one_minute_video(1_600_000))  # 1.6 MB of captions in 60 s
    video_id = submit(client, user, video)["video_id"]
    work(stack)
    failed = video_of(client, user, video_id)
    assert failed["status"] == "failed"
    assert failed["error"]["code"] == "captions_too_large"
    assert "far longer than speech" in failed["error"]["message"]
    assert claude.requests == []  # not one model call
    assert ledger_total(client, user) == (3, 3)


def test_dense_captions_are_priced_by_size_and_no_call_is_oversized(client, stack, user,
                                                                    youtube, claude,
                                                                    monkeypatch):
    monkeypatch.setenv("NOTES_CHUNK_TOKENS", "5000")
    video = youtube.add(one_minute_video(240_000))  # ~60,000 tokens: 1.4 honest hours
    video_id = submit(client, user, video)["video_id"]
    seen, one_at_a_time = [], threading.Lock()

    def look(_request) -> None:
        # chalice's test client swaps os.environ per request: never two at once
        with one_at_a_time:
            if not seen:
                seen.append(video_of(client, user, video_id))

    claude.on_request = look
    work(stack)
    done = video_of(client, user, video_id)
    assert done["status"] == "completed", done
    assert done["credits_charged"] == 2  # by size: 60,000 tokens / 12 a second = 1:23:20
    assert "priced by the size of its captions" in seen[0]["status_message"]
    assert "priced by the size of its captions" in done["status_message"]
    usage = [row for row in ledger(client, user) if row["type"] == "usage"
             and row["metadata"].get("reason") == "caption_size"]
    assert len(usage) == 1 and usage[0]["amount"] == -1
    assert ledger_total(client, user) == (1, 1)
    # The one 240,000-character caption line was split: every call within the chunk budget.
    assert len(claude.requests) >= 12
    assert max(user_content_tokens(r) for r in claude.requests) <= 5000 + 1000


def test_an_honest_lecture_is_priced_by_its_duration():
    transcript = cost_bound.Transcript(
        video_id="x", title="", channel="", duration_seconds=3600, language="en",
        is_generated=False, segments=[cost_bound.Segment(text, start, 3.8) for start, _, text
                                      in lecture(60, seconds_per_segment=3.0).tracks[0].segments])
    billing = cost_bound.bill(transcript)
    assert not billing.by_size and billing.credits == 1 and billing.message == ""
    # A sentence every 2 seconds (~350 words a minute, beyond lecture speech) still fits.
    fast = cost_bound.Transcript(**{**transcript.__dict__, "segments": [
        cost_bound.Segment(text, start, 1.8) for start, _, text
        in lecture(60, seconds_per_segment=2.0).tracks[0].segments]})
    assert not cost_bound.bill(fast).by_size
    # Twice that is not speech: priced by size.
    assert cost_bound.bill(cost_bound.Transcript(**{**fast.__dict__,
                                                    "segments": fast.segments * 2})).by_size


def test_a_permanent_model_failure_is_remembered_for_the_video_and_options(client, stack,
                                                                            user, youtube,
                                                                            claude):
    claude.failures.append((400, {"type": "error", "error": {
        "type": "invalid_request_error", "message": "prompt is too long"}}))
    video = youtube.add(lecture(10))
    first = submit(client, user, video)["video_id"]
    work(stack)
    assert video_of(client, user, first)["error"]["code"] == "generation_failed"
    assert len(claude.requests) == 1
    again = submit(client, user, video)["video_id"]  # a failed video may be submitted again
    work(stack)
    failed = video_of(client, user, again)
    assert failed["status"] == "failed" and failed["error"]["code"] == "failed_before"
    assert "Try another note style or language" in failed["error"]["message"]
    assert len(claude.requests) == 1  # not retried for free
    assert ledger_total(client, user) == (3, 3)
    # Other options are another question for the model.
    response = call(client, "PUT", "/user", token=user["id_token"],
                    body={"preferences": {"note_style": "concise"}})
    assert response.status_code == 200
    third = submit(client, user, video)["video_id"]
    work(stack)
    assert video_of(client, user, third)["status"] == "completed"


def test_a_job_the_dead_letter_queue_gave_up_on_is_remembered(client, stack, user, youtube,
                                                              claude, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_MAX_RETRIES", "0")
    claude.failures.extend([OVERLOADED] * 3)
    video = youtube.add(lecture(10))
    first = submit(client, user, video)["video_id"]
    for _ in range(4):  # three receives fail at the model; the fourth finds it in the DLQ
        work(stack, rounds=1)
    assert work(stack, queue="DeadLetterQueueUrl") == 1
    assert video_of(client, user, first)["error"]["code"] == "processing_failed"
    calls = len(claude.requests)
    again = submit(client, user, video)["video_id"]
    work(stack)
    assert video_of(client, user, again)["error"]["code"] == "failed_before"
    assert len(claude.requests) == calls
    assert ledger_total(client, user) == (3, 3)


def test_submission_limits_answer_429_and_hold_under_concurrent_submits(client, user,
                                                                         monkeypatch):
    monkeypatch.setenv("SUBMIT_LIMIT_PER_HOUR", "0")  # off: the daily one is tested
    monkeypatch.setenv("SUBMIT_LIMIT_PER_DAY", "2")
    assert ledger_total(client, user) == (3, 3)  # the account exists once a token is seen

    def attempt(_) -> str:
        # the request layer's submit itself: chalice's test client swaps os.environ per request,
        # which concurrent requests would leave holding this test's settings.
        try:
            video_requests.submit(user["user_id"], {"url": new_video_id()})
            return "accepted"
        except TooManyRequestsError:
            return "429"

    with concurrent.futures.ThreadPoolExecutor(max_workers=10) as pool:
        outcomes = sorted(pool.map(attempt, range(10)))
    assert outcomes == ["429"] * 8 + ["accepted"] * 2
    refused = call(client, "POST", "/videos", token=user["id_token"],
                   body={"url": new_video_id()})
    assert refused.status_code == 429
    assert refused.json_body["Code"] == "TooManyRequestsError"
    assert "at most 2 videos per day" in refused.json_body["Message"]
    assert ledger_total(client, user) == (1, 1)  # only the two accepted were charged


def test_each_jobs_model_tokens_are_on_the_video_and_its_ledger_row(client, stack, user,
                                                                    youtube, claude):
    video_id = submit(client, user, youtube.add(lecture(20)))["video_id"]
    work(stack)
    assert video_of(client, user, video_id)["status"] == "completed"
    sent = sum(user_content_tokens(r) for r in claude.requests)
    record = db.get(config.videos_table(), {"video_id": video_id}, consistent=True)
    assert record["usage"]["calls"] == len(claude.requests) == 1
    assert record["usage"]["input_tokens"] >= sent > 0
    rows = [row for row in ledger(client, user) if row["metadata"].get("video_id") == video_id]
    tokens = [row["metadata"]["model_tokens"] for row in rows if "model_tokens" in row["metadata"]]
    assert tokens == [{"input_tokens": record["usage"]["input_tokens"],
                       "output_tokens": record["usage"]["output_tokens"],
                       "cache_read_input_tokens": record["usage"]["cache_read_input_tokens"],
                       "calls": 1}]
