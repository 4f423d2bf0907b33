"""Processing a video end to end (docs/DESIGN.md sections 5 to 8): HTTP submit, the real SQS
queue, the Lambda handlers, youtube-transcript-api on a fake YouTube transport,
the anthropic SDK against a fake Messages API, and the emulator for everything else."""
from __future__ import annotations

import json
import re

import pytest

from app import dead_letter, process_video
from chalicelib.core import aws, config, db
from chalicelib.processing import cleanup
from chalicelib.youtube import chapters, transcript_api
from infra.local.worker import drain as drain_queue
from infra.local.worker import poll_once
from testkit.fake_anthropic import OVERLOADED, RATE_LIMITED, FakeAnthropic
from testkit.fake_youtube import FakeVideo, FakeYouTube, Track
from testkit.lectures import SENTENCES, lecture
from tests.conftest import call, ledger_total, queued_jobs
from tests.knowledge.test_lecture_filing import LOGARITHMS, RAINY_TRIP

LINK_RE = re.compile(r"\]\(https://www\.youtube\.com/watch\?v=([\w-]{11})&t=(\d+)s\)")


@pytest.fixture
def youtube(monkeypatch, stack) -> FakeYouTube:
    fake = FakeYouTube()
    monkeypatch.setattr(transcript_api, "session_factory", fake.session)
    # yt-dlp, the fallback, sees the same videos (nothing may reach the internet).
    from chalicelib.youtube import ytdlp as ytdlp_path
    from testkit import fake_ytdlp
    monkeypatch.setattr(ytdlp_path, "YDL_FACTORY", fake_ytdlp.fake_ydl_factory(
        fake_ytdlp.mirror(fake)))
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.setenv("JOB_RETRY_BASE_SECONDS", "0")
    for url in (stack["VideoQueueUrl"], stack["DeadLetterQueueUrl"]):
        drain(url)
    return fake


def drain(queue_url: str) -> None:
    """Throw away every visible message (infra.local.worker.drain)."""
    drain_queue(aws.client("sqs"), queue_url)


@pytest.fixture
def claude(monkeypatch) -> FakeAnthropic:
    with FakeAnthropic() as fake:
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", fake.url)
        yield fake


def work(stack, queue: str = "VideoQueueUrl", handler=None, rounds: int = 20) -> int:
    """Run the worker until the queue has nothing visible; returns jobs completed."""
    handler = handler or (process_video if queue == "VideoQueueUrl" else dead_letter)
    done = 0
    for _ in range(rounds):
        before = done
        done += poll_once(aws.client("sqs"), stack[queue], handler)
        visible = aws.client("sqs").get_queue_attributes(
            QueueUrl=stack[queue], AttributeNames=["ApproximateNumberOfMessages"])
        if done == before and visible["Attributes"]["ApproximateNumberOfMessages"] == "0":
            break
    return done


def submit(client, user, video, **extra) -> dict:
    response = call(client, "POST", "/videos", token=user["id_token"],
                    body={"url": f"https://youtu.be/{video.video_id}", **extra})
    assert response.status_code == 202, response.body
    return response.json_body


def video_of(client, user, video_id) -> dict:
    return call(client, "GET", f"/videos/{video_id}", token=user["id_token"]).json_body


def note_of(client, user, note_id) -> dict:
    return call(client, "GET", f"/notes/{note_id}?include_content=true",
                token=user["id_token"]).json_body




def test_extractive_notes_end_to_end(client, stack, user, youtube):
    video = youtube.add(lecture(20, chapters=True))
    submitted = submit(client, user, video)
    assert work(stack) == 1
    done = video_of(client, user, submitted["video_id"])
    assert done["status"] == "completed" and done["progress"] == 100
    assert done["title"] == video.title and done["channel"] == video.author
    assert done["duration_seconds"] == 1200 and done["credits_charged"] == 1
    assert done["completed_at"].endswith("Z") and done["error"] is None
    note = note_of(client, user, done["note_id"])
    content = note["content"]
    assert content.startswith("---\ntitle: \"Thermodynamics 101: Entropy\"\n")
    assert f"source: https://www.youtube.com/watch?v={video.video_id}\n" in content
    assert "duration: \"0:20:00\"" in content and "generator: extractive" in content
    for heading in ("# Thermodynamics 101: Entropy", "## Summary", "## Core Concepts",
                    "## Key Points", "## Detailed Notes", "## Review Questions"):
        assert f"\n{heading}\n" in content, heading
    assert "### Introduction ([00:00]" in content and "### Heat engines ([05:30]" in content
    links = LINK_RE.findall(content)
    assert len(links) >= 10
    assert all(vid == video.video_id and 0 <= int(t) <= 1200 for vid, t in links)
    assert "> [!question]- 1." in content
    assert 3 <= len(note["tags"]) <= 8 and note["category"] == "Physics"  # the taxonomy's
    assert "category: Physics\n" in content and "## Related Notes" not in content
    assert ledger_total(client, user) == (2, 2)
    cached = aws.client("s3").get_object(Bucket=stack["NotesBucketName"],
                                         Key=f"transcripts/{video.video_id}.json")
    cache = json.loads(cached["Body"].read())
    assert cache["video_id"] == video.video_id and cache["duration_seconds"] == 1200
    assert [c["title"] for c in cache["chapters"]] == ["Introduction", "The second law",
                                                      "Heat engines"]
    assert set(cache["segments"][0]) == {"text", "start", "duration"}


def test_a_users_second_related_note_links_the_first(client, stack, user, other_user,
                                                     youtube):
    first = youtube.add(lecture(10))
    theirs = submit(client, other_user, youtube.add(lecture(10)))
    first_id = submit(client, user, first)["video_id"]
    assert work(stack) == 2
    second = youtube.add(lecture(15))
    second_id = submit(client, user, second)["video_id"]
    assert work(stack) == 1
    first_note = note_of(client, user, video_of(client, user, first_id)["note_id"])
    second_note = note_of(client, user, video_of(client, user, second_id)["note_id"])
    assert first_note["title"] == "Thermodynamics 101: Entropy"
    assert second_note["title"] == "Thermodynamics 101: Entropy (2)"
    # Two-way: the older note gains the link back (docs/DESIGN.md section 7).
    assert first_note["related"] == [{"note_id": second_note["note_id"],
                                      "title": "Thermodynamics 101: Entropy (2)"}]
    assert first_note["content"].split("## Related Notes\n")[1] == \
        "- [[Thermodynamics 101 Entropy (2)|Thermodynamics 101: Entropy (2)]]\n"
    assert second_note["related"] == [{"note_id": first_note["note_id"],
                                       "title": "Thermodynamics 101: Entropy"}]
    related = second_note["content"].split("## Related Notes\n")[1]
    assert related == "- [[Thermodynamics 101 Entropy|Thermodynamics 101: Entropy]]\n"
    assert second_note["category"] == first_note["category"] == "Physics"
    # The other student's identical lecture is theirs alone: never related across users.
    their_note = note_of(client, other_user, video_of(client, other_user,
                                                      theirs["video_id"])["note_id"])
    assert their_note["related"] == [] and "## Related Notes" not in their_note["content"]
    categories = call(client, "GET", "/categories", token=user["id_token"]).json_body
    assert categories == {"categories": [{"name": "Physics", "note_count": 2}], "count": 1}


def spoken(video_id: str, title: str, text: str) -> FakeVideo:
    """A short talk as YouTube serves it: 10 words of captions every 3 seconds."""
    words = text.split()
    cues = [(3.0 * n, 3.0, " ".join(words[i:i + 10]))
            for n, i in enumerate(range(0, len(words), 10))]
    return FakeVideo(video_id=video_id, title=title, length_seconds=3 * len(cues) + 1,
                     tracks=[Track("en", "English", cues)])


def test_a_talk_is_filed_by_what_it_says_and_a_vlog_stays_general(client, stack, user,
                                                                  youtube):
    """The lecture's transcript decides its subject, not the thin note of a short talk
    under a title that says nothing (issue 12); an everyday video stays General."""
    lesson = youtube.add(spoken("qbLogRules1", "Week 4, Part 2", LOGARITHMS))
    trip = youtube.add(spoken("qbRainTrip1", "Rainy Day in the Mountains | Road Trip Vlog",
                              RAINY_TRIP))
    ids = [submit(client, user, video)["video_id"] for video in (lesson, trip)]
    assert work(stack) == 2
    notes = [note_of(client, user, video_of(client, user, v)["note_id"]) for v in ids]
    assert [note["category"] for note in notes] == ["Mathematics", "General"]
    assert "category: Mathematics\n" in notes[0]["content"]


def test_extractive_handles_unpunctuated_auto_captions(client, stack, user, youtube):
    video = youtube.add(lecture(12, generated=True))
    submitted = submit(client, user, video)
    work(stack)
    done = video_of(client, user, submitted["video_id"])
    content = note_of(client, user, done["note_id"])["content"]
    summary = content.split("## Summary\n")[1].split("\n## ")[0].strip()
    # Cut into sentences where speech ends one, and written as sentences (issue 21).
    passages = re.split(r"(?<=[.?])\s+", summary)
    said = {re.sub(r"[^\w ]", "", s).casefold() for s in SENTENCES}
    assert len(passages) >= 2
    assert all(p[:1].isupper() and p.endswith(".") for p in passages)
    assert all(re.sub(r"[^\w ]", "", p).casefold() in said for p in passages)


def test_progress_is_visible_while_the_job_runs(client, stack, user, youtube, claude):
    video = youtube.add(lecture(10))
    submitted = submit(client, user, video)
    seen = []
    youtube.on_caption = lambda _: seen.append(video_of(client, user, submitted["video_id"]))
    claude.on_request = lambda _: seen.append(video_of(client, user, submitted["video_id"]))
    work(stack)
    assert [(s["status"], s["progress"], s["status_message"]) for s in seen] == [
        ("processing", 10, "Fetching transcript"), ("processing", 30, "Generating notes")]
    assert seen[1]["duration_seconds"] == 600
    assert video_of(client, user, submitted["video_id"])["progress"] == 100


def test_claude_notes_with_a_429_then_success(client, stack, user, youtube, claude):
    claude.failures.append(RATE_LIMITED)
    video = youtube.add(lecture(15))
    submitted = submit(client, user, video)
    work(stack)
    done = video_of(client, user, submitted["video_id"])
    assert done["status"] == "completed"
    assert len(claude.requests) == 2  # the 429, then the SDK's own retry
    request = claude.requests[-1]
    assert request["model"] == "claude-sonnet-5-5"
    assert request["system"][0]["cache_control"] == {"type": "ephemeral"}
    assert request["output_config"]["format"]["type"] == "json_schema"
    assert "[00:00] L1 Today we study entropy" in request["messages"][0]["content"]
    sent = claude.headers[-1]
    assert sent.get("x-api-key") == "sk-ant-test" or \
        sent.get("authorization") == "Bearer sk-ant-test"
    content = note_of(client, user, done["note_id"])["content"]
    assert "generator: claude-sonnet-5-5" in content
    assert "# Thermodynamics from first principles" in content
    record = db.get(config.videos_table(), {"video_id": submitted["video_id"]})
    assert record["generator"] == "claude-sonnet-5-5"
    assert record["usage"]["calls"] == 1 and record["usage"]["input_tokens"] > 0


def test_the_users_preferences_reach_the_model(client, stack, user, youtube, claude):
    call(client, "PUT", "/user", token=user["id_token"], body={"preferences": {
        "note_style": "concise", "language": "de", "include_questions": False}})
    video = youtube.add(lecture(5))
    done_id = submit(client, user, video)["video_id"]
    work(stack)
    prompt = claude.requests[-1]["messages"][0]["content"]
    assert "Be concise" in prompt and "code 'de'" in prompt
    assert "Write no review questions" in prompt
    content = note_of(client, user, video_of(client, user, done_id)["note_id"])["content"]
    assert "## Review Questions" not in content


def test_a_three_hour_lecture_is_chunked_and_nothing_is_truncated(client, stack, user,
                                                                   youtube, claude):
    video = youtube.add(lecture(180, seconds_per_segment=3.0))
    submitted = submit(client, user, video)
    work(stack)
    done = video_of(client, user, submitted["video_id"])
    assert done["status"] == "completed" and done["credits_charged"] == 3
    chunk_requests = [r for r in claude.requests
                      if "sections" in r["output_config"]["format"]["schema"]["properties"]]
    assert len(chunk_requests) >= 2
    assert len(claude.requests) == len(chunk_requests) + 1  # one synthesis call
    def line_times(request):
        return [int(m.group(2)) * 60 + int(m.group(3)) + int(m.group(1) or 0) * 3600
                for m in re.finditer(r"^\[(?:(\d+):)?(\d{2}):(\d{2})\]",
                                     request["messages"][0]["content"], re.M)]

    # Written concurrently, so received in any order; each chunk is one time range.
    # Neighbouring chunks share a few lines of context (issue 12), nothing more.
    ranges = sorted(line_times(r) for r in chunk_requests)
    assert all(chunk == sorted(chunk) for chunk in ranges)
    assert all(len(set(a) & set(b)) <= 2 for a, b in zip(ranges, ranges[1:]))
    times = sorted({t for chunk in ranges for t in chunk})
    # Each minute's first sentence carries its time: the last minute is reached.
    assert times[0] == 0 and times[-1] >= 180 * 60 - 60
    transcript_chars = sum(len(s[2]) + 1 for s in video.tracks[0].segments)
    chunk_chars = sum(len(r["messages"][0]["content"].split("Transcript:\n", 1)[1])
                      for r in chunk_requests)
    assert transcript_chars <= chunk_chars <= transcript_chars * 1.1
    content = note_of(client, user, done["note_id"])["content"]
    assert content.count("\n### Part from") == len(chunk_requests)


def test_timestamps_outside_the_video_are_dropped(client, stack, user, youtube, claude):
    # The model never gives seconds (issue 12): an item citing no real line, with a
    # quote the lecture never says, is shown as not found and gets no timestamp.
    def answer(request):
        from testkit.fake_anthropic import default_answer

        draft = default_answer(request)
        draft["key_points"].append({"text": "A claim about minute 900", "line": 54000,
                                    "quote": "a sentence this lecture never says at all"})
        draft["sections"][0]["bullets"].append({"text": "Negative time", "line": -5,
                                                "quote": "nor this one, anywhere in the video"})
        return draft

    claude.answer = answer
    video = youtube.add(lecture(10))
    submitted = submit(client, user, video)
    work(stack)
    content = note_of(client, user, video_of(client, user, submitted["video_id"])["note_id"])[
        "content"]
    study, _, unchecked = content.partition("> [!warning]- Not found in the transcript (2)")
    assert "> - Key Points: A claim about minute 900\n" in unchecked
    assert "Negative time\n" in unchecked and "Negative time" not in study
    assert "minute 900" not in study
    assert all(0 <= int(t) <= 600 for _, t in LINK_RE.findall(content))


def test_a_second_student_gets_the_cached_transcript_and_draft(client, stack, user,
                                                               other_user, youtube, claude):
    video = youtube.add(lecture(10))
    first = submit(client, user, video)
    work(stack)
    calls, fetches = len(claude.requests), len(youtube.requests)
    second = submit(client, other_user, video)
    work(stack)
    assert len(claude.requests) == calls and len(youtube.requests) == fetches
    theirs = video_of(client, other_user, second["video_id"])
    assert theirs["status"] == "completed" and theirs["note_id"] != first["video_id"]
    note = note_of(client, other_user, theirs["note_id"])
    assert "generator: claude-sonnet-5-5" in note["content"]
    record = db.get(config.videos_table(), {"video_id": second["video_id"]})
    assert record["draft_cached"] is True


def test_a_61_minute_video_costs_two_credits(client, stack, user, youtube):
    video = youtube.add(lecture(61))
    submitted = submit(client, user, video)
    work(stack)
    assert video_of(client, user, submitted["video_id"])["credits_charged"] == 2
    assert ledger_total(client, user) == (1, 1)
    rows = call(client, "GET", "/credits/history", token=user["id_token"]).json_body
    usage = [r for r in rows["transactions"] if r["type"] == "usage"]
    assert sorted(r["amount"] for r in usage) == [-1, -1]


def test_a_video_that_cannot_be_paid_for_fails_and_refunds(client, stack, user, youtube):
    video = youtube.add(lecture(150))  # 3 credits; the user will have 2 left
    other = youtube.add(lecture(5))
    submit(client, user, other)
    drain(stack["VideoQueueUrl"])
    submitted = submit(client, user, video)
    work(stack)
    failed = video_of(client, user, submitted["video_id"])
    assert failed["status"] == "failed"
    assert failed["error"]["code"] == "insufficient_credits"
    assert ledger_total(client, user) == (2, 2)  # one credit still held by the queued video


@pytest.mark.parametrize("setup,code", [
    (dict(captions=False), "captions_disabled"),
    (dict(playability="unavailable"), "video_unavailable"),
    (dict(playability="private"), "video_private"),
    (dict(playability="age_restricted"), "age_restricted"),
])
def test_permanent_failures_fail_at_once_and_refund(client, stack, user, youtube, setup, code):
    video = youtube.add(lecture(10, **setup))
    submitted = submit(client, user, video)
    work(stack)
    failed = video_of(client, user, submitted["video_id"])
    assert failed["status"] == "failed" and failed["error"]["code"] == code
    assert failed["error"]["message"] == failed["status_message"]
    assert ledger_total(client, user) == (3, 3)
    assert len([r for r in call(client, "GET", "/credits/history", token=user["id_token"])
                .json_body["transactions"] if r["type"] == "refund"]) == 1


def test_the_original_language_when_only_another_language_exists(client, stack, user,
                                                                   youtube):
    # Originals beat YouTube's machine translations (docs/DESIGN.md section 6).
    call(client, "PUT", "/user", token=user["id_token"], body={"preferences": {"language": "de"}})
    video = youtube.add(lecture(5, language="fr"))
    submitted = submit(client, user, video)
    work(stack)
    done = video_of(client, user, submitted["video_id"])
    assert done["status"] == "completed"
    cache = json.loads(aws.client("s3").get_object(
        Bucket=stack["NotesBucketName"], Key=f"transcripts/{video.video_id}.json")["Body"].read())
    assert cache["language"] == "fr" and not cache["segments"][0]["text"].startswith("[")


def test_manual_captions_win_over_generated_ones(client, stack, user, youtube):
    from testkit.fake_youtube import Track
    from testkit.lectures import segments

    video = lecture(5)
    video.tracks = [Track("en", "English (auto)", [(0.0, 3.0, "generated words")] * 3,
                          generated=True),
                    Track("en", "English", segments(5))]
    youtube.add(video)
    submit(client, user, video)
    work(stack)
    cache = json.loads(aws.client("s3").get_object(
        Bucket=stack["NotesBucketName"], Key=f"transcripts/{video.video_id}.json")["Body"].read())
    assert cache["is_generated"] is False
    assert cache["segments"][0]["text"].startswith("Today we study entropy")


def test_duplicate_delivery_makes_one_note_and_one_charge(client, stack, user, youtube):
    video = youtube.add(lecture(70))
    submitted = submit(client, user, video)
    from chalicelib.videos import job_queue

    job_queue.enqueue(submitted["video_id"], user["user_id"])
    assert work(stack) == 2
    done = video_of(client, user, submitted["video_id"])
    assert done["status"] == "completed" and done["credits_charged"] == 2
    notes = call(client, "GET", "/notes", token=user["id_token"]).json_body
    assert notes["count"] == 1
    assert ledger_total(client, user) == (1, 1)
    job_queue.enqueue(submitted["video_id"], user["user_id"])  # a late delivery
    work(stack)
    assert video_of(client, user, submitted["video_id"])["status"] == "completed"
    assert call(client, "GET", "/notes", token=user["id_token"]).json_body["count"] == 1


def test_a_crash_after_the_note_file_then_redelivery_makes_one_note(client, stack, user,
                                                                    youtube, monkeypatch):
    video = youtube.add(lecture(10))
    submitted = submit(client, user, video)
    real_transact = db.transact

    def crash_once(items):
        monkeypatch.setattr(db, "transact", real_transact)
        raise SystemExit("worker killed after writing the note file")

    monkeypatch.setattr(db, "transact", crash_once)
    handles = []

    def recording(event, context):
        handles.append(event["Records"][0]["receiptHandle"])
        return process_video(event, context)

    with pytest.raises(SystemExit):
        work(stack, handler=recording)
    stuck = video_of(client, user, submitted["video_id"])
    assert stuck["status"] == "processing" and stuck["progress"] == 90
    files = aws.client("s3").list_objects_v2(Bucket=stack["NotesBucketName"],
                                             Prefix=f"notes/{user['user_id']}/")
    assert len([f for f in files["Contents"] if f["Key"].endswith(".md")]) == 1  # staged
    # Time passes: the lease runs out and SQS redelivers the message.
    aws.client("dynamodb").update_item(
        TableName=config.videos_table(), Key=db.to_item({"video_id": submitted["video_id"]}),
        UpdateExpression="SET lease_until = :past", ExpressionAttributeValues=db.values(past=1))
    aws.client("sqs").change_message_visibility(
        QueueUrl=stack["VideoQueueUrl"], ReceiptHandle=handles[0], VisibilityTimeout=0)
    work(stack)
    done = video_of(client, user, submitted["video_id"])
    assert done["status"] == "completed"
    assert call(client, "GET", "/notes", token=user["id_token"]).json_body["count"] == 1
    assert ledger_total(client, user) == (2, 2)
    files = aws.client("s3").list_objects_v2(Bucket=stack["NotesBucketName"],
                                             Prefix=f"notes/{user['user_id']}/")
    prefix = f"notes/{user['user_id']}/{done['note_id']}"
    assert sorted(f["Key"] for f in files["Contents"]) == [f"{prefix}.json", f"{prefix}.md"]


def test_a_video_deleted_mid_processing_is_dropped_and_refunded_once(client, stack, user,
                                                                     youtube):
    video = youtube.add(lecture(10))
    submitted = submit(client, user, video)

    def delete_now(_):
        response = call(client, "DELETE", f"/videos/{submitted['video_id']}",
                        token=user["id_token"])
        assert response.status_code == 204

    youtube.on_caption = delete_now
    assert work(stack) == 1  # the job ends normally: nothing to retry
    assert call(client, "GET", f"/videos/{submitted['video_id']}",
                token=user["id_token"]).status_code == 404
    assert call(client, "GET", "/notes", token=user["id_token"]).json_body["count"] == 0
    files = aws.client("s3").list_objects_v2(Bucket=stack["NotesBucketName"],
                                             Prefix=f"notes/{user['user_id']}/")
    assert files.get("KeyCount", 0) == 0
    assert ledger_total(client, user) == (3, 3)


def test_a_poison_job_goes_to_the_dead_letter_queue_and_is_refunded(client, stack, user,
                                                                    youtube, claude,
                                                                    monkeypatch):
    monkeypatch.setenv("ANTHROPIC_MAX_RETRIES", "0")
    claude.failures.extend([OVERLOADED] * 10)
    video = youtube.add(lecture(10))
    submitted = submit(client, user, video)
    for _ in range(4):  # three receives fail; the fourth finds it moved to the DLQ
        work(stack, rounds=1)
    assert len([r for r in claude.requests]) == 3
    waiting = video_of(client, user, submitted["video_id"])
    assert waiting["status"] == "processing"
    assert work(stack, queue="DeadLetterQueueUrl") == 1
    failed = video_of(client, user, submitted["video_id"])
    assert failed["status"] == "failed" and failed["error"]["code"] == "processing_failed"
    assert ledger_total(client, user) == (3, 3)
    work(stack, queue="DeadLetterQueueUrl")
    assert ledger_total(client, user) == (3, 3)


def test_cleanup_requeues_stuck_jobs_once_then_fails_and_refunds(client, stack, user, youtube):
    video = youtube.add(lecture(10))
    queued = submit(client, user, video)["video_id"]
    processing = submit(client, user, youtube.add(lecture(10)))["video_id"]
    drain(stack["VideoQueueUrl"])  # the messages were lost
    aws.client("dynamodb").update_item(
        TableName=config.videos_table(), Key=db.to_item({"video_id": processing}),
        UpdateExpression="SET #s = :p, user_status = :us, lease_until = :past",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues=db.values(p="processing", us=f"{user['user_id']}#processing",
                                            past=1))
    later = __import__("time").time() + 2 * cleanup.QUEUED_DEADLINE_SECONDS
    counts = cleanup.cleanup(now=later)
    assert counts["requeued"] >= 2
    assert {video_of(client, user, v)["status"] for v in (queued, processing)} == {"queued"}
    assert {m["video_id"] for m in queued_jobs(stack)} >= {queued, processing}
    drain(stack["VideoQueueUrl"])  # lost again
    cleanup.cleanup(now=later + 2 * cleanup.QUEUED_DEADLINE_SECONDS)
    for video_id in (queued, processing):
        failed = video_of(client, user, video_id)
        assert failed["status"] == "failed" and failed["error"]["code"] == "timed_out"
    assert ledger_total(client, user) == (3, 3)


def test_bedrock_runs_the_same_prompts_with_iam_credentials(client, stack, user, youtube,
                                                            monkeypatch):
    with FakeAnthropic() as bedrock:
        monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
        monkeypatch.setenv("NOTES_PROVIDER", "bedrock")
        monkeypatch.setenv("NOTES_MODEL", "us.anthropic.claude-sonnet-5-5-v1:0")
        monkeypatch.setenv("ANTHROPIC_BEDROCK_BASE_URL", bedrock.url)
        video = youtube.add(lecture(10))
        submitted = submit(client, user, video)
        work(stack)
    done = video_of(client, user, submitted["video_id"])
    assert done["status"] == "completed"
    assert bedrock.paths == ["/model/us.anthropic.claude-sonnet-5-5-v1:0/invoke"]
    request, headers = bedrock.requests[0], bedrock.headers[0]
    assert request["anthropic_version"]  # set by the SDK for Bedrock
    assert request["system"][0]["cache_control"] == {"type": "ephemeral"}
    assert headers["authorization"].startswith("AWS4-HMAC-SHA256 ")
    assert "x-api-key" not in headers
    content = note_of(client, user, done["note_id"])["content"]
    assert "generator: us.anthropic.claude-sonnet-5-5-v1:0" in content


def test_proxy_settings_come_from_the_environment(monkeypatch):
    from youtube_transcript_api.proxies import GenericProxyConfig, WebshareProxyConfig

    monkeypatch.delenv("YOUTUBE_PROXY_URL", raising=False)
    monkeypatch.delenv("WEBSHARE_PROXY_USERNAME", raising=False)
    assert transcript_api.proxy_config() is None
    monkeypatch.setenv("WEBSHARE_PROXY_USERNAME", "user")
    monkeypatch.setenv("WEBSHARE_PROXY_PASSWORD", "secret")
    webshare = transcript_api.proxy_config()
    assert isinstance(webshare, WebshareProxyConfig)
    assert webshare.url == "http://user-rotate:secret@p.webshare.io:80/"
    monkeypatch.setenv("YOUTUBE_PROXY_URL", "http://proxy.internal:3128")
    generic = transcript_api.proxy_config()
    assert isinstance(generic, GenericProxyConfig)
    assert generic.to_requests_dict() == {"http": "http://proxy.internal:3128",
                                          "https": "http://proxy.internal:3128"}


@pytest.mark.parametrize("description,expected", [
    ("0:00 Intro\n1:30 - Entropy\n1:02:05 Second law", [("Intro", 0), ("Entropy", 90),
                                                      ("Second law", 3725)]),
    ("(00:00) Start\n[05:00] Middle\n10:00 | End\nsee 12:00 later", [
        ("Start", 0), ("Middle", 300), ("End", 600)]),
    ("1:00 Starts late\n2:00 B\n3:00 C", []),
    ("0:00 Only\n5:00 two", []),
])
def test_chapters_come_from_the_description_as_youtube_makes_them(description, expected):
    found = chapters.from_description(description)
    assert [(c.title, int(c.start)) for c in found] == expected


@pytest.fixture
def ytdlp(monkeypatch):
    from chalicelib.youtube import ytdlp as ytdlp_path
    from testkit import fake_ytdlp

    fake = fake_ytdlp.FakeYouTube()
    monkeypatch.setattr(ytdlp_path, "YDL_FACTORY", fake_ytdlp.fake_ydl_factory(fake))
    return fake


def _ytdlp_copy(video):
    """The same lecture as yt-dlp sees it: metadata and a json3 caption track."""
    from testkit import fake_ytdlp

    events = [{"tStartMs": int(start * 1000), "dDurationMs": int(duration * 1000),
               "segs": [{"utf8": text}]} for start, duration, text in video.tracks[0].segments]
    return fake_ytdlp.FakeVideo(
        video.video_id, title="Sorting, from yt-dlp", channel="CS Dept",
        duration=video.length_seconds, description="",
        tracks=[fake_ytdlp.FakeTrack("en", "English", json3={"wireMagic": "pb3",
                                                             "events": events})])


def test_blocked_by_youtube_falls_back_to_ytdlp(client, stack, user, youtube, ytdlp):
    video = youtube.add(lecture(10, playability="bot_check"))
    ytdlp.add(_ytdlp_copy(video))
    submitted = submit(client, user, video)
    assert work(stack) == 1
    done = video_of(client, user, submitted["video_id"])
    assert done["status"] == "completed"
    assert done["title"] == "Sorting, from yt-dlp" and done["channel"] == "CS Dept"
    cache = json.loads(aws.client("s3").get_object(
        Bucket=stack["NotesBucketName"], Key=f"transcripts/{video.video_id}.json")["Body"].read())
    assert cache["segments"][0]["text"].startswith("Today we study entropy")


def test_blocked_everywhere_is_retried_by_sqs_then_succeeds(client, stack, user, youtube,
                                                            ytdlp):
    video = youtube.add(lecture(10, blocked="429"))
    ytdlp.add(_ytdlp_copy(video))
    ytdlp.fail("/", 429)
    submitted = submit(client, user, video)
    assert work(stack, rounds=1) == 0
    waiting = video_of(client, user, submitted["video_id"])
    assert waiting["status"] == "processing"
    assert waiting["status_message"] == \
        "Waiting to retry: YouTube is limiting requests from this server"
    assert ledger_total(client, user) == (2, 2)  # still reserved, not refunded
    video.blocked = None  # YouTube lets us in again
    assert work(stack) == 1
    assert video_of(client, user, submitted["video_id"])["status"] == "completed"
    assert ledger_total(client, user) == (2, 2)
