"""Processing a video: the SQS job, the dead-letter handler and the scheduled cleanup.

queued -> processing -> completed | failed (DESIGN section 6). Every state change
is a conditional write. A worker claims a video with a lease and an attempt id,
and every later write is conditioned on that attempt, so a duplicate or late
delivery never writes a second note or charge, never moves a completed video
backwards, and a deleted video is dropped. The note id is the video id, so a
redelivery after a crash rewrites the same note instead of adding one.
"""
from __future__ import annotations

import json
import logging
import math
import time
import uuid
from dataclasses import dataclass
from typing import Any

from chalicelib import (
    aws,
    observability,
    config,
    credits,
    db,
    embeddings,
    generation,
    jobs,
    knowledge,
    notes,
    rendering,
    transcripts,
    users,
    videos,
)

log = logging.getLogger(__name__)

LEASE_SECONDS = 960  # the processor's timeout (900 s) and a margin
QUEUED_DEADLINE_SECONDS = 3600
SECONDS_PER_CREDIT = 3600
MAX_RETRY_DELAY_SECONDS = 900
STEPS = {
    "fetching": (10, "Fetching transcript"),
    "generating": (30, "Generating notes"),
    "categorizing": (70, "Categorizing"),
    "linking": (80, "Linking related notes"),
    "saving": (90, "Saving"),
}
GAVE_UP = ("processing_failed",
           "We could not process this video after several attempts; your credits were "
           "refunded. Try again later.")
TIMED_OUT = ("timed_out", "Processing took too long; your credits were refunded. Try again.")


class Cancelled(Exception):
    """The video was deleted, finished, or taken over by another attempt: stop quietly."""


@dataclass(frozen=True)
class Job:
    video_id: str
    user_id: str


def lease_seconds() -> int:
    """How long a claim holds the video. JOB_LEASE_SECONDS overrides it (fault tests)."""
    return int(config.env("JOB_LEASE_SECONDS", str(LEASE_SECONDS)) or LEASE_SECONDS)


def credits_for(duration_seconds: int) -> int:
    """1 credit per started hour (a 20-minute video costs 1, a 61-minute video 2)."""
    return max(1, math.ceil(max(duration_seconds, 1) / SECONDS_PER_CREDIT))


def parse_job(body: str) -> Job | None:
    try:
        data = json.loads(body)
        return Job(str(data["video_id"]), str(data["user_id"]))
    except (ValueError, KeyError, TypeError):
        return None


def _table() -> str:
    return config.videos_table()


def _load(job: Job) -> dict | None:
    record = db.get(_table(), {"video_id": job.video_id}, consistent=True)
    if record is None or record.get("user_id") != job.user_id:
        return None
    return record


# --- state changes ---------------------------------------------------------------

def _update(video_id: str, sets: dict, *, condition: str, values: dict,
            removes: tuple[str, ...] = ()) -> dict | None:
    """SET (and REMOVE) under a condition; None when the condition failed."""
    names = {f"#f{i}": key for i, key in enumerate(sets)}
    expression = "SET " + ", ".join(f"#f{i} = :f{i}" for i in range(len(sets)))
    if removes:
        expression += " REMOVE " + ", ".join(removes)
    names["#st"] = "status"
    try:
        response = aws.client("dynamodb").update_item(
            TableName=_table(), Key=db.to_item({"video_id": video_id}),
            UpdateExpression=expression, ConditionExpression=condition,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=db.values(
                **{f"f{i}": value for i, value in enumerate(sets.values())}, **values),
            ReturnValues="ALL_NEW")
    except Exception as exc:  # noqa: BLE001 - only a failed condition is expected
        if aws.error_code(exc) == "ConditionalCheckFailedException":
            return None
        raise
    return db.from_item(response["Attributes"])


def claim(record: dict) -> dict | None:
    """Take the video for this attempt: queued, or processing with an expired lease."""
    now = time.time()
    return _update(record["video_id"], {
        "status": "processing", "user_status": videos.user_status(record["user_id"],
                                                                  "processing"),
        "attempt_id": uuid.uuid4().hex, "lease_until": int(now + lease_seconds()),
        "progress": 5, "status_message": "Starting", "updated_at": db.now_iso(),
    }, condition="#st = :queued OR (#st = :processing AND "
                 "(attribute_not_exists(lease_until) OR lease_until < :now))",
        values={"queued": "queued", "processing": "processing", "now": int(now)})


def step(record: dict, name: str, **fields: Any) -> None:
    progress, message = STEPS[name]
    _guarded(record, {"progress": progress, "status_message": message, **fields})


def _guarded(record: dict, sets: dict, removes: tuple[str, ...] = ()) -> None:
    sets = {key: value for key, value in sets.items() if value is not None}
    updated = _update(record["video_id"], {**sets, "updated_at": db.now_iso()},
                      condition="#st = :processing AND attempt_id = :attempt",
                      values={"processing": "processing", "attempt": record["attempt_id"]},
                      removes=removes)
    if updated is None:
        raise Cancelled(record["video_id"])


def fail(record: dict, code: str, message: str, attempt_id: str | None = None) -> bool:
    """Mark an active video failed and refund what it was charged, once."""
    def mark(current: dict) -> dict:
        return {"Update": {
            "TableName": _table(), "Key": db.to_item({"video_id": current["video_id"]}),
            "UpdateExpression": "SET #status = :failed, user_status = :us, #error = :error, "
                                "status_message = :message, updated_at = :now, "
                                "completed_at = :now REMOVE lease_until, attempt_id",
            "ExpressionAttributeNames": {"#status": "status", "#error": "error"},
            "ExpressionAttributeValues": db.values(
                failed="failed", us=videos.user_status(current["user_id"], "failed"),
                error={"code": code, "message": message}, message=message,
                now=db.now_iso()),
        }}

    done = videos.settle(record["user_id"], record["video_id"], change=mark, reason=code,
                         only_active=True, attempt_id=attempt_id)
    if done:
        log.info("video %s failed: %s", record["video_id"], code)
        observability.metric("VideosFailed", 1, ErrorCode=code)
    return done


def charge(record: dict, transcript: transcripts.Transcript) -> dict:
    """Charge the rest of the price once the duration is known (one credit was reserved)."""
    cost = credits_for(transcript.duration_seconds)
    charged = int(record.get("credits_charged") or 0)
    if cost <= charged:
        return record
    update = {"Update": {
        "TableName": _table(), "Key": db.to_item({"video_id": record["video_id"]}),
        "UpdateExpression": "SET credits_charged = :cost",
        "ConditionExpression": "#st = :processing AND attempt_id = :attempt AND "
                               "credits_charged = :charged",
        "ExpressionAttributeNames": {"#st": "status"},
        "ExpressionAttributeValues": db.values(cost=cost, processing="processing",
                                               attempt=record["attempt_id"], charged=charged),
    }}
    movement = credits.Movement(
        f"usage:{record['video_id']}", record["user_id"], -(cost - charged), "usage",
        {"video_id": record["video_id"], "youtube_video_id": record["youtube_video_id"],
         "duration_seconds": transcript.duration_seconds, "reason": "duration"})
    try:
        credits.apply(movement, extra=[update])
    except credits.ConditionFailed as exc:
        raise Cancelled(record["video_id"]) from exc
    return {**record, "credits_charged": cost}


# --- the job -----------------------------------------------------------------------

def process(job: Job) -> str:
    """Run one job to the end. Returns what happened, for logs and tests.

    Transient failures (YouTube blocking, model rate limits) are raised for SQS
    to retry; permanent ones fail the video and refund it.
    """
    record = _load(job)
    if record is None:
        return "dropped: no such video (deleted)"
    if record["status"] not in videos.ACTIVE_STATUSES:
        return f"dropped: already {record['status']}"
    claimed = claim(record)
    if claimed is None:
        return "dropped: another attempt holds the video"
    try:
        return _run(claimed)
    except Cancelled:
        return "cancelled: the video changed under this attempt"
    except transcripts.TranscriptUnavailable as exc:
        fail(claimed, exc.code, exc.message, claimed["attempt_id"])
        return f"failed: {exc.code}"
    except credits.InsufficientCredits as exc:
        fail(claimed, "insufficient_credits", str(exc), claimed["attempt_id"])
        return "failed: insufficient_credits"
    except generation.GenerationFailed as exc:
        fail(claimed, exc.code, f"Notes could not be written: {exc}", claimed["attempt_id"])
        return f"failed: {exc.code}"
    except (transcripts.TranscriptTemporarilyUnavailable,
            generation.GenerationTemporarilyFailed) as exc:
        # Let the retry claim the video at once instead of waiting out the lease.
        try:
            _guarded(claimed, {"status_message": "Waiting to retry: the source is busy"},
                     removes=("lease_until",))
        except Cancelled:
            pass
        log.warning("video %s hit a transient error (%s); SQS will retry", job.video_id, exc)
        raise


def _run(record: dict) -> str:
    profile = users.preferences(users.get_record(record["user_id"]))
    languages = record.get("languages") or list(dict.fromkeys([profile["language"], "en"]))
    step(record, "fetching")
    transcript = transcripts.get_transcript(record["youtube_video_id"], languages)
    record = charge(record, transcript)
    options = generation.Options(note_style=profile["note_style"],
                                 language=profile["language"],
                                 include_questions=bool(profile["include_questions"]))
    step(record, "generating", title=transcript.title or None,
         channel=transcript.channel or None, duration_seconds=transcript.duration_seconds)
    generated = generation.generate(transcript, options)
    draft = generated.draft

    step(record, "categorizing")
    note_id = record["video_id"]
    title = notes.unique_title(record["user_id"], draft["title"] or transcript.title, note_id)
    vector = embeddings.embed_one(knowledge.note_text(draft, title))
    library = knowledge.load_library(record["user_id"], exclude_note_id=note_id)
    filing = knowledge.choose_category(
        submitted=record.get("subject"), default_subject=profile.get("default_subject"),
        suggested=draft.get("suggested_subject"), vector=vector, library=library)
    category = filing.category
    tags = knowledge.choose_tags(draft["tags"], [c["term"] for c in draft["core_concepts"]],
                                 title=title, category=category)
    log.info("video %s filed under %r (%s, score %s)", record["video_id"], category,
             filing.source, filing.score)

    step(record, "linking")
    related = library.related(vector)

    step(record, "saving")
    created = db.now_iso()
    content = rendering.render(
        draft=draft, video_id=record["youtube_video_id"], title=title,
        channel=transcript.channel, duration_seconds=transcript.duration_seconds,
        category=category, tags=tags, created=created.split(".")[0] + "Z",
        generator=generated.generator, related_titles=[r["title"] for r in related],
        include_questions=options.include_questions)
    content, _ = knowledge.link_mentions(content, library.titles, own_title=title)
    complete = {"Update": {
        "TableName": _table(), "Key": db.to_item({"video_id": record["video_id"]}),
        "UpdateExpression": "SET #st = :completed, user_status = :us, progress = :full, "
                            "status_message = :done, note_id = :note, completed_at = :now, "
                            "updated_at = :now, generator = :generator, #usage = :usage, "
                            "draft_cached = :cached REMOVE lease_until, attempt_id",
        "ConditionExpression": "#st = :processing AND attempt_id = :attempt",
        "ExpressionAttributeNames": {"#st": "status", "#usage": "usage"},
        "ExpressionAttributeValues": db.values(
            completed="completed", us=videos.user_status(record["user_id"], "completed"),
            full=100, done="Completed", note=note_id, now=db.now_iso(),
            generator=generated.generator, usage=generated.usage, cached=generated.cached,
            processing="processing", attempt=record["attempt_id"]),
    }}
    try:
        notes.save_note(user_id=record["user_id"], video_id=record["video_id"], title=title,
                        category=category, content=content, tags=tags, related=related,
                        embedding=embeddings.pack(vector), note_id=note_id, extra=[complete])
    except Exception as exc:  # noqa: BLE001 - a failed condition means we lost the video
        if aws.error_code(exc) != "TransactionCanceledException":
            raise
        if _load(Job(record["video_id"], record["user_id"])) is None:
            notes.delete_file(record["user_id"], note_id)  # deleted meanwhile: leave nothing
        raise Cancelled(record["video_id"]) from exc
    return "completed"


# --- SQS, dead letters and cleanup -------------------------------------------------

def handle_message(body: str, receipt_handle: str | None = None, receive_count: int = 1) -> str:
    """The SQS handler's work. A transient failure shortens the message's visibility
    (backoff) before it is raised, so the retry comes in minutes, not hours."""
    observability.configure()
    job = parse_job(body)
    if job is None:
        log.error("dropping a malformed job message")
        return "dropped: malformed message"
    with observability.context(job_id=job.video_id):
        return _handle(job, receipt_handle, receive_count)


def _handle(job: Job, receipt_handle: str | None, receive_count: int) -> str:
    started = time.monotonic()
    try:
        outcome = process(job)
    except (transcripts.TranscriptTemporarilyUnavailable,
            generation.GenerationTemporarilyFailed):
        if receipt_handle:
            base = int(config.env("JOB_RETRY_BASE_SECONDS", "60") or 60)
            delay = min(MAX_RETRY_DELAY_SECONDS, base * 2 ** max(receive_count - 1, 0))
            jobs.retry_later(receipt_handle, delay)
        raise
    log.info("job for video %s: %s", job.video_id, outcome)
    if outcome == "completed":
        observability.metric("VideosProcessed", 1)
        observability.metric("ProcessingSeconds", round(time.monotonic() - started, 3),
                             unit="Seconds")
    return outcome


def handle_dead_letter(body: str) -> str:
    """SQS gave up on this job: fail the video and refund it (once)."""
    job = parse_job(body)
    record = _load(job) if job else None
    if record is None:
        return "dropped"
    return "failed" if fail(record, *GAVE_UP) else f"left alone: {record['status']}"


def cleanup(now: float | None = None, page_size: int = 100) -> dict:
    """Requeue jobs stuck past their deadline once, then fail and refund them.

    Reads StatusIndex (status, created_at): no scans. Queued jobs are stuck after
    QUEUED_DEADLINE_SECONDS; processing jobs when their lease ran out.
    """
    now = now or time.time()
    counts = {"requeued": 0, "failed": 0, "skipped": 0}
    cutoff = _iso(now - QUEUED_DEADLINE_SECONDS)
    for status in videos.ACTIVE_STATUSES:
        start_key = None
        while True:
            params: dict[str, Any] = {
                "TableName": _table(), "IndexName": "StatusIndex", "Limit": page_size,
                "KeyConditionExpression": "#st = :s AND created_at < :cutoff",
                "ExpressionAttributeNames": {"#st": "status"},
                "ExpressionAttributeValues": db.values(
                    s=status, cutoff=cutoff if status == "queued" else _iso(now)),
            }
            if start_key:
                params["ExclusiveStartKey"] = start_key
            response = aws.client("dynamodb").query(**params)
            for record in map(db.from_item, response.get("Items", [])):
                if _stuck(record, now):
                    counts[_rescue(record, now)] += 1
            start_key = response.get("LastEvaluatedKey")
            if not start_key:
                break
    return counts


def _iso(epoch: float) -> str:
    return db.iso_from_epoch(epoch)


def _stuck(record: dict, now: float) -> bool:
    if record["status"] == "processing":
        return int(record.get("lease_until") or 0) < now
    requeued_at = record.get("requeued_at")
    return requeued_at is None or requeued_at < _iso(now - QUEUED_DEADLINE_SECONDS)


def _rescue(record: dict, now: float) -> str:
    if not record.get("requeued"):
        updated = _update(record["video_id"], {
            "status": "queued", "user_status": videos.user_status(record["user_id"], "queued"),
            "requeued": 1, "requeued_at": _iso(now), "status_message": "Requeued after a delay",
            "updated_at": db.now_iso(),
        }, condition="#st = :s AND attribute_not_exists(requeued)",
            values={"s": record["status"]}, removes=("lease_until", "attempt_id"))
        if updated is not None:
            jobs.enqueue(record["video_id"], record["user_id"])
            return "requeued"
    return "failed" if fail(record, *TIMED_OUT) else "skipped"
