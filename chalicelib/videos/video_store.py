"""The videos table: every write to it is here, and every read of one record.

queued -> processing -> completed | failed (docs/ARCHITECTURE.md, "Processing").
Every state change is a conditional write. A worker claims a video with a lease
and an attempt id, and every later write is conditioned on that attempt, so a
duplicate or late delivery never writes a second note or charge, never moves a
completed video backwards, and a deleted video is dropped. A change that ends an
active video (fail, delete) refunds its charge in the same transaction
(chalicelib.ledger.refunds), exactly once.
"""
from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any, Callable

from chalicelib.core import aws, config, db, observability
from chalicelib.core.errors import ConflictError, NotFoundError
from chalicelib.ledger import charges, movements, pricing, refunds

log = logging.getLogger(__name__)

STATUSES = ("queued", "processing", "completed", "failed")
ACTIVE_STATUSES = ("queued", "processing")
LEASE_SECONDS = 960  # the processor's timeout (900 s) and a margin
PUBLIC_FIELDS = ("video_id", "youtube_video_id", "url", "title", "channel",
                 "duration_seconds", "status", "progress", "status_message", "error",
                 "note_id", "subject", "credits_charged", "created_at", "updated_at",
                 "completed_at")
GUARD_NAMES = {"#guard_status": "status"}
_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class Cancelled(Exception):
    """The video was deleted, finished, or taken over by another attempt: stop quietly."""


def _table() -> str:
    return config.videos_table()


def user_status(user_id: str, status: str) -> str:
    """The UserStatusIndex key: kept beside `status` on every status change."""
    return f"{user_id}#{status}"


def public_video(record: dict) -> dict:
    video = {field: record.get(field) for field in PUBLIC_FIELDS}
    video["progress"] = int(video["progress"] or 0)
    video["credits_charged"] = int(video["credits_charged"] or 0)
    return video


# --- reads -------------------------------------------------------------------------

def owned_record(user_id: str, video_id: str, consistent: bool = False) -> dict:
    """The video if it is this user's; 404 exactly as if it did not exist otherwise."""
    if not isinstance(video_id, str) or not _ID_RE.match(video_id):
        raise NotFoundError("Video not found")
    record = db.get(_table(), {"video_id": video_id}, consistent=consistent)
    if record is None or record.get("user_id") != user_id:
        raise NotFoundError("Video not found")
    return record


def load(video_id: str, user_id: str) -> dict | None:
    """The video (read consistently) if it exists and is this user's."""
    record = db.get(_table(), {"video_id": video_id}, consistent=True)
    if record is None or record.get("user_id") != user_id:
        return None
    return record


def list_page(user_id: str, *, status: str | None, limit: int,
              last_key: str | None) -> tuple[list[dict], str | None]:
    """One page of the user's videos, newest first (optionally one status)."""
    if status:
        query = {"index": "UserStatusIndex", "key_name": "user_status",
                 "key_value": user_status(user_id, status), "scope": f"videos:{status}"}
    else:
        query = {"index": "UserVideosIndex", "key_name": "user_id", "key_value": user_id,
                 "scope": "videos"}
    return db.query_page(table=_table(), user_id=user_id, limit=limit, last_key=last_key,
                         **query)


def stuck_candidates(status: str, cutoff: str, page_size: int) -> Any:
    """Videos of `status` created before `cutoff`, page by page (StatusIndex: no scans)."""
    start_key = None
    while True:
        params: dict[str, Any] = {
            "TableName": _table(), "IndexName": "StatusIndex", "Limit": page_size,
            "KeyConditionExpression": "#st = :s AND created_at < :cutoff",
            "ExpressionAttributeNames": {"#st": "status"},
            "ExpressionAttributeValues": db.values(s=status, cutoff=cutoff),
        }
        if start_key:
            params["ExclusiveStartKey"] = start_key
        response = aws.client("dynamodb").query(**params)
        yield from map(db.from_item, response.get("Items", []))
        start_key = response.get("LastEvaluatedKey")
        if not start_key:
            return


# --- creating ------------------------------------------------------------------------
#
# Two kinds of small items live in the videos table beside the videos, with no
# user_id or status attribute (so no index sees them, and no list shows them):
# a user's submission marker per YouTube video ("submitted#{user}#{youtube id}",
# naming the video that holds it), and a user's submission counter per time
# window ("submits#{user}#{seconds}#{window start}", expiring by the table's TTL).
# Both are written in the transaction that creates the video and reserves its
# credit, under conditions, so concurrent submits cannot slip past either
# (docs/DESIGN.md section 4: duplicates are 409, limits are 429).

HOLDING_STATUSES = ("queued", "processing", "completed")


class SubmissionChanged(Exception):
    """The user's marker for this YouTube video moved since it was read: read again."""


class LimitReached(Exception):
    """The user reached a submission limit (`window_seconds`, `limit`)."""

    def __init__(self, window_seconds: int, limit: int) -> None:
        super().__init__(f"{limit} submissions per {window_seconds} s")
        self.window_seconds = window_seconds
        self.limit = limit


def submission_key(user_id: str, youtube_video_id: str) -> str:
    return f"submitted#{user_id}#{youtube_video_id}"


def current_submission(user_id: str, youtube_video_id: str) -> tuple[str | None, dict | None]:
    """(the video id the user's marker names, that video if it still exists)."""
    marker = db.get(_table(), {"video_id": submission_key(user_id, youtube_video_id)},
                    consistent=True)
    if marker is None:
        return None, None
    named = marker.get("current_video")
    video = db.get(_table(), {"video_id": named}, consistent=True) if named else None
    if video is not None and video.get("user_id") != user_id:
        video = None
    return named, video


def holds_submission(video: dict | None) -> bool:
    """The user already has this video: a failed or deleted one may be submitted again."""
    return video is not None and video.get("status") in HOLDING_STATUSES


def _marker_put(record: dict, replaces: str | None, force: bool) -> dict:
    put: dict = {"TableName": _table(), "Item": db.to_item({
        "video_id": submission_key(record["user_id"], record["youtube_video_id"]),
        "current_video": record["video_id"], "created_at": record["created_at"]})}
    if not force:  # as read: absent, or still naming the video we saw
        if replaces is None:
            put["ConditionExpression"] = "attribute_not_exists(video_id)"
        else:
            put["ConditionExpression"] = "current_video = :previous"
            put["ExpressionAttributeValues"] = db.values(previous=replaces)
    return {"Put": put}


def _counter_update(user_id: str, window_seconds: int, limit: int, now: float) -> dict:
    start = int(now // window_seconds) * window_seconds
    return {"Update": {
        "TableName": _table(),
        "Key": db.to_item({"video_id": f"submits#{user_id}#{window_seconds}#{start}"}),
        "UpdateExpression": "SET expires_at = :expires ADD submissions :one",
        "ConditionExpression": "attribute_not_exists(submissions) OR submissions < :limit",
        "ExpressionAttributeValues": db.values(expires=start + window_seconds + 3600, one=1,
                                               limit=limit),
    }}


def create(record: dict, *, replaces: str | None = None, reprocess: bool = False,
           limits: tuple[tuple[int, int], ...] = ()) -> dict:
    """Create a submitted video and reserve its first credit, in one transaction,
    with the user's submission marker for this YouTube video (it must still be as
    read: `replaces` is the video it named, None for none; `reprocess` takes it
    whatever it names) and a count in each (window seconds, limit) of `limits`.

    Returns the ledger's Applied. Raises movements.InsufficientCredits,
    SubmissionChanged (a concurrent submit of the same video), LimitReached."""
    put = {"Put": {"TableName": _table(), "Item": db.to_item(record),
                   "ConditionExpression": "attribute_not_exists(video_id)"}}
    now = time.time()
    extra = [put, _marker_put(record, replaces, reprocess),
             *(_counter_update(record["user_id"], seconds, limit, now)
               for seconds, limit in limits)]
    try:
        return charges.reserve(record["user_id"], record["video_id"],
                               record["youtube_video_id"], extra=extra)
    except movements.ConditionFailed as exc:
        if exc.index == 1:
            raise SubmissionChanged(record["youtube_video_id"]) from exc
        if exc.index >= 2:
            raise LimitReached(*limits[exc.index - 2]) from exc
        raise


# --- the worker's writes ---------------------------------------------------------------

def lease_seconds() -> int:
    """How long a claim holds the video. JOB_LEASE_SECONDS overrides it (fault tests)."""
    return int(config.env("JOB_LEASE_SECONDS", str(LEASE_SECONDS)) or LEASE_SECONDS)


def _update(video_id: str, sets: dict, *, condition: str, values: dict,
            removes: tuple[str, ...] = (), adds: dict[str, int] | None = None) -> dict | None:
    """SET (REMOVE, ADD) under a condition; None when the condition failed."""
    names = {f"#f{i}": key for i, key in enumerate(sets)}
    expression = "SET " + ", ".join(f"#f{i} = :f{i}" for i in range(len(sets)))
    if removes:
        expression += " REMOVE " + ", ".join(removes)
    added = dict(adds or {})
    if added:
        names.update({f"#a{i}": key for i, key in enumerate(added)})
        expression += " ADD " + ", ".join(f"#a{i} :a{i}" for i in range(len(added)))
        values = {**values, **{f"a{i}": amount for i, amount in enumerate(added.values())}}
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
        if aws.is_error(exc, aws.CONDITION_FAILED):
            return None
        raise
    return db.from_item(response["Attributes"])


def claim(record: dict) -> dict | None:
    """Take the video for this attempt: queued, processing with an expired lease, or
    processing and waiting for its retry (this delivery is that retry)."""
    now = time.time()
    return _update(record["video_id"], {
        "status": "processing", "user_status": user_status(record["user_id"], "processing"),
        "attempt_id": uuid.uuid4().hex, "lease_until": int(now + lease_seconds()),
        "progress": 5, "status_message": "Starting", "updated_at": db.now_iso(),
    }, condition="#st = :queued OR (#st = :processing AND "
                 "(attribute_not_exists(lease_until) OR lease_until < :now OR "
                 "attribute_exists(retry_pending)))",
        values={"queued": "queued", "processing": "processing", "now": int(now)},
        removes=("retry_pending",))


def wait_for_retry(record: dict, delay_seconds: int, message: str,
                   spent_tokens: int = 0) -> None:
    """This attempt hit a transient error and SQS retries in `delay_seconds`: the
    video is not stuck. Its lease becomes the retry's deadline (the delay and a
    lease more), so cleanup leaves it alone until then, and `retry_pending` lets
    the retry claim it at once (docs/DESIGN.md section 6). `spent_tokens`: what the
    attempt's model answers cost, added to the video's `model_tokens_spent` (the
    refund rule reads it)."""
    deadline = int(time.time() + max(0, delay_seconds) + lease_seconds())
    guarded(record, {"status_message": message, "lease_until": deadline, "retry_pending": 1},
            adds={"model_tokens_spent": spent_tokens} if spent_tokens > 0 else None)


def live_claim(record: dict, now: float | None = None) -> bool:
    """A worker holds the video right now: processing, its lease running, no retry
    pending (a video waiting for its retry is held by no one)."""
    now = time.time() if now is None else now
    return record.get("status") == "processing" and not record.get("retry_pending") \
        and int(record.get("lease_until") or 0) >= now


def pending_retry(record: dict, now: float | None = None) -> bool:
    """Waiting for its scheduled retry, before the retry's deadline."""
    now = time.time() if now is None else now
    return record.get("status") == "processing" and bool(record.get("retry_pending")) \
        and int(record.get("lease_until") or 0) >= now


def _claim_as_read(record: dict) -> tuple[str, dict]:
    """A condition that holds only while no claim changed the video since `record`
    was read (its attempt and lease as read, or still absent)."""
    parts, values = [], {}
    for name, field in (("guard_attempt", "attempt_id"), ("guard_lease", "lease_until")):
        if record.get(field) is None:
            parts.append(f"attribute_not_exists({field})")
        else:
            parts.append(f"{field} = :{name}")
            values[name] = record[field]
    return " AND ".join(parts), values


def guarded(record: dict, sets: dict, removes: tuple[str, ...] = (),
            adds: dict[str, int] | None = None) -> None:
    """Update the video while this attempt still holds it; Cancelled otherwise.
    `adds`: numbers added to (counters)."""
    sets = {key: value for key, value in sets.items() if value is not None}
    updated = _update(record["video_id"], {**sets, "updated_at": db.now_iso()},
                      condition="#st = :processing AND attempt_id = :attempt",
                      values={"processing": "processing", "attempt": record["attempt_id"]},
                      removes=removes, adds=adds)
    if updated is None:
        raise Cancelled(record["video_id"])


def charge(record: dict, duration_seconds: int, *, by_size: bool = False) -> dict:
    """Charge the rest of the price once the duration is known (one credit was reserved).
    `by_size`: the seconds are what the captions' size is billed as."""
    cost = pricing.credits_for(duration_seconds)
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
    try:
        charges.charge_duration(record["user_id"], record["video_id"],
                                record["youtube_video_id"], duration_seconds=duration_seconds,
                                already_charged=charged, extra=[update], by_size=by_size)
    except movements.ConditionFailed as exc:
        raise Cancelled(record["video_id"]) from exc
    return {**record, "credits_charged": cost}


def completion(record: dict, *, note_id: str, generator: str, usage: dict,
               cached: bool, message: str = "Completed") -> dict:
    """The transaction item that completes the video (written with its note); `usage`
    is the job's model tokens, kept on the video."""
    return {"Update": {
        "TableName": _table(), "Key": db.to_item({"video_id": record["video_id"]}),
        "UpdateExpression": "SET #st = :completed, user_status = :us, progress = :full, "
                            "status_message = :done, note_id = :note, completed_at = :now, "
                            "updated_at = :now, generator = :generator, #usage = :usage, "
                            "draft_cached = :cached "
                            "REMOVE lease_until, attempt_id, retry_pending",
        "ConditionExpression": "#st = :processing AND attempt_id = :attempt",
        "ExpressionAttributeNames": {"#st": "status", "#usage": "usage"},
        "ExpressionAttributeValues": db.values(
            completed="completed", us=user_status(record["user_id"], "completed"),
            full=100, done=message, note=note_id, now=db.now_iso(),
            generator=generator, usage=usage, cached=cached,
            processing="processing", attempt=record["attempt_id"]),
    }}


def requeue(record: dict, requeued_at: str) -> bool:
    """Put a stuck video back in the queue state, once (cleanup): only as it was read,
    so a claim taken meanwhile (a new attempt, a fresh lease) is never undone."""
    claimed, values = _claim_as_read(record)
    updated = _update(record["video_id"], {
        "status": "queued", "user_status": user_status(record["user_id"], "queued"),
        "requeued": 1, "requeued_at": requeued_at, "status_message": "Requeued after a delay",
        "updated_at": db.now_iso(),
    }, condition=f"#st = :s AND attribute_not_exists(requeued) AND {claimed}",
        values={"s": record["status"], **values},
        removes=("lease_until", "attempt_id", "retry_pending"))
    return updated is not None


# --- ending a video: failed or deleted, refunded in the same transaction -----------------

KEPT_CHARGE_MESSAGE = (
    "Notes could not be written from your uploaded captions ({code}). The note writer "
    "had already read them, so the credit was kept. Check that the file is the "
    "lecture's captions before uploading it again.")


def fail(record: dict, code: str, message: str, attempt_id: str | None = None, *,
         unless: Callable[[dict], bool] | None = None, spent_tokens: int = 0) -> bool:
    """Mark an active video failed and refund it (chalicelib.ledger.refunds decides
    how much: `spent_tokens` is what this attempt's model answers cost), once.

    With `attempt_id`, only while that attempt holds it (the worker ending its own
    attempt). With `unless` (cleanup, the dead-letter handler: they hold no
    attempt), only if `unless(video)` is false for the video as read again, and
    only while no claim changed it since that read."""
    def mark(current: dict, refund: int) -> dict:
        charged = int(current.get("credits_charged") or 0)
        said = message if refund or not charged else KEPT_CHARGE_MESSAGE.format(code=code)
        return {"Update": {
            "TableName": _table(), "Key": db.to_item({"video_id": current["video_id"]}),
            # The refund (same transaction) gives the charge back: what is left charged
            # reads afterwards, and credits_refunded keeps what was given back.
            "UpdateExpression": "SET #status = :failed, user_status = :us, #error = :error, "
                                "status_message = :message, updated_at = :now, "
                                "completed_at = :now, credits_charged = :kept, "
                                "credits_refunded = :refunded "
                                "REMOVE lease_until, attempt_id, retry_pending"
                                + (" ADD model_tokens_spent :spent" if spent_tokens > 0
                                   else ""),
            "ExpressionAttributeNames": {"#status": "status", "#error": "error"},
            "ExpressionAttributeValues": db.values(
                failed="failed", us=user_status(current["user_id"], "failed"),
                error={"code": code, "message": said}, message=said,
                now=db.now_iso(), kept=charged - refund, refunded=refund,
                **({"spent": spent_tokens} if spent_tokens > 0 else {})),
        }}

    done = settle(record["user_id"], record["video_id"], change=mark, reason=code,
                  only_active=True, attempt_id=attempt_id, unless=unless,
                  failed_spending=spent_tokens)
    if done:
        log.info("video %s failed: %s", record["video_id"], code)
        observability.metric("VideosFailed", 1, ErrorCode=code)
    return done


def delete(user_id: str, video_id: str, *, reason: str,
           before: Callable[[dict], None] | None = None) -> None:
    """Delete the video record; refund it if it was still active.

    `before(record)` runs first on each try (the caller removes the note)."""
    def remove(record: dict, refund: int) -> dict:
        if before is not None:
            before(record)
        return {"Delete": {"TableName": _table(), "Key": db.to_item({"video_id": video_id})}}

    settle(user_id, video_id, change=remove, reason=reason)


def settle(
    user_id: str,
    video_id: str,
    *,
    change: Callable[[dict, int], dict],
    reason: str,
    only_active: bool = False,
    attempt_id: str | None = None,
    unless: Callable[[dict], bool] | None = None,
    failed_spending: int | None = None,
    attempts: int = 10,
) -> bool:
    """Apply one change to a video, refunding an active video's charge in the same
    transaction, exactly once (chalicelib.ledger.refunds: video_refund_due decides
    how much, refund_video gives it back). `failed_spending` is None for a deletion;
    for a failure, what the ending attempt's model answers cost (beside what earlier
    attempts cost, `model_tokens_spent`).

    `change(record, refund)` builds the transaction item (Update or Delete). A guard is
    added to it: the video is still as read (status, charge, and the worker's
    attempt when given), so a concurrent change makes us read again instead of
    refunding wrongly. Returns False when there was nothing to do.
    """
    for _ in range(attempts):
        try:
            record = owned_record(user_id, video_id, consistent=True)
        except NotFoundError:
            if only_active:
                return False
            raise
        active = record["status"] in ACTIVE_STATUSES
        if (only_active and not active) or \
                (attempt_id is not None and record.get("attempt_id") != attempt_id) or \
                (unless is not None and unless(record)):
            return False
        charged = int(record.get("credits_charged") or 0)
        guard = {"guard_status": record["status"], "guard_charged": charged}
        condition = "#guard_status = :guard_status AND credits_charged = :guard_charged"
        if attempt_id is not None:
            condition += " AND attempt_id = :guard_attempt"
            guard["guard_attempt"] = attempt_id
        elif unless is not None:
            claimed, values = _claim_as_read(record)
            condition += f" AND {claimed}"
            guard.update(values)
        refund = refunds.video_refund_due(
            charged, failed=failed_spending is not None,
            uploaded=bool(record.get("upload_digest")),
            model_tokens_spent=int(record.get("model_tokens_spent") or 0)
            + (failed_spending or 0)) if active else 0
        item = change(record, refund)
        body = next(iter(item.values()))
        body["ConditionExpression"] = condition
        body["ExpressionAttributeNames"] = {**body.get("ExpressionAttributeNames", {}),
                                            **GUARD_NAMES}
        body["ExpressionAttributeValues"] = {**body.get("ExpressionAttributeValues", {}),
                                             **db.values(**guard)}
        try:
            if refund > 0:
                if refunds.refund_video(user_id, video_id, record.get("youtube_video_id"),
                                        charged=refund, reason=reason, extra=[item]):
                    return True
            db.transact([item])
            return True
        except movements.ConditionFailed:
            continue
        except Exception as exc:  # noqa: BLE001 - only a failed condition is retried
            if not aws.is_error(exc, aws.TRANSACTION_CANCELLED):
                raise
    raise ConflictError("The video is changing right now; try again")
