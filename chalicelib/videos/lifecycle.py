"""Every transition of a video, and what ending one gives back: the one module that
writes the videos table (reads and keys are chalicelib.videos.video_store).

Read top to bottom, a video's life (docs/DESIGN.md section 6):

  create          queued      a submit: the video, its credit reserved, the user's
                              submission marker and limit counters, one transaction
  claim           processing  a worker takes it with a lease and an attempt id; every
                              later write of the worker is conditioned on that attempt
  guarded         processing  a step's progress and message (job.step)
  charge          processing  the rest of the price, once the duration is known
  wait_for_retry  processing  a transient error: SQS retries; not stuck until then
  requeue         queued      the cleanup puts a stuck video back, once
  completion      completed   the transaction item written with the note
  fail            failed      permanent error, dead letter or cleanup: refunded
  delete          (gone)      the student deletes it: refunded if still active

Ending an active video (fail, delete) refunds in the same transaction, exactly once
(chalicelib.ledger.refunds.refund_video applies it); how much is decided here, by
refund_due: everything it was charged, except a video made from the student's own
uploaded captions that failed after the note writer was paid to read them. Uploads
need no real video, so otherwise any text under made-up ids would buy model calls for
nothing (docs/DESIGN.md section 6: "a failure that would fail again is not retried
for free"); a failure the model was never paid for, and every deletion, refund in full.
"""
from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from typing import Any, cast

from chalicelib.core import aws, config, db, observability
from chalicelib.core.errors import ConflictError, NotFoundError
from chalicelib.ledger import charges, movements, pricing, refunds
from chalicelib.videos.records import Video
from chalicelib.videos.video_store import (
    ACTIVE_STATUSES,
    GUARD_NAMES,
    QUEUED_DEADLINE_SECONDS,
    Cancelled,
    in_flight,
    lease_seconds,
    owned_record,
    submission_key,
    user_status,
)

log = logging.getLogger(__name__)


def _table() -> str:
    return config.videos_table()


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

class SubmissionChanged(Exception):
    """The user's marker for this YouTube video moved since it was read: read again."""


class LimitReached(Exception):
    """The user reached a submission limit (`window_seconds`, `limit`)."""

    def __init__(self, window_seconds: int, limit: int) -> None:
        super().__init__(f"{limit} submissions per {window_seconds} s")
        self.window_seconds = window_seconds
        self.limit = limit


def _marker_put(record: Video, replaces: str | None, force: bool) -> dict[str, Any]:
    put: dict[str, Any] = {"TableName": _table(), "Item": db.to_item({
        "video_id": submission_key(record["user_id"], record["youtube_video_id"]),
        "current_video": record["video_id"], "created_at": record["created_at"]})}
    if not force:  # as read: absent, or still naming the video we saw
        if replaces is None:
            put["ConditionExpression"] = "attribute_not_exists(video_id)"
        else:
            put["ConditionExpression"] = "current_video = :previous"
            put["ExpressionAttributeValues"] = db.values(previous=replaces)
    return {"Put": put}


def _counter_update(user_id: str, window_seconds: int, limit: int, now: float) -> dict[str, Any]:
    start = int(now // window_seconds) * window_seconds
    return {"Update": {
        "TableName": _table(),
        "Key": db.to_item({"video_id": f"submits#{user_id}#{window_seconds}#{start}"}),
        "UpdateExpression": "SET expires_at = :expires ADD submissions :one",
        "ConditionExpression": "attribute_not_exists(submissions) OR submissions < :limit",
        "ExpressionAttributeValues": db.values(expires=start + window_seconds + 3600, one=1,
                                               limit=limit),
    }}


def create(record: Video, *, replaces: str | None = None, reprocess: bool = False,
           limits: tuple[tuple[int, int], ...] = ()) -> movements.Applied:
    """Create a submitted video and reserve its first credit, in one transaction,
    with the user's submission marker for this YouTube video (it must still be as
    read: `replaces` is the video it named, None for none; `reprocess` takes it
    whatever it names) and a count in each (window seconds, limit) of `limits`.

    Returns the ledger's Applied. Raises movements.InsufficientCredits,
    SubmissionChanged (a concurrent submit of the same video), LimitReached."""
    now = time.time()
    item = {**record, **in_flight(record["video_id"], now + QUEUED_DEADLINE_SECONDS)}
    put = {"Put": {"TableName": _table(), "Item": db.to_item(item),
                   "ConditionExpression": "attribute_not_exists(video_id)"}}
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

def _update(video_id: str, sets: dict[str, Any], *, condition: str, values: dict[str, Any],
            removes: tuple[str, ...] = (),
            adds: dict[str, int] | None = None) -> dict[str, Any] | None:
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
    except Exception as exc:  # only a failed condition is expected
        if aws.is_error(exc, aws.CONDITION_FAILED):
            return None
        raise
    return db.from_item(response["Attributes"])


def claim(record: Video) -> Video | None:
    """Take the video for this attempt: queued, processing with an expired lease, or
    processing and waiting for its retry (this delivery is that retry)."""
    now = time.time()
    lease = int(now + lease_seconds())
    return cast(Video | None, _update(record["video_id"], {
        "status": "processing", "user_status": user_status(record["user_id"], "processing"),
        "attempt_id": uuid.uuid4().hex, "lease_until": lease,
        **in_flight(record["video_id"], lease),
        "progress": 5, "status_message": "Starting", "updated_at": db.now_iso(),
    }, condition="#st = :queued OR (#st = :processing AND "
                 "(attribute_not_exists(lease_until) OR lease_until < :now OR "
                 "attribute_exists(retry_pending)))",
        values={"queued": "queued", "processing": "processing", "now": int(now)},
        removes=("retry_pending",)))


def wait_for_retry(record: Video, delay_seconds: int, message: str,
                   spent_tokens: int = 0) -> None:
    """This attempt hit a transient error and SQS retries in `delay_seconds`: the
    video is not stuck. Its lease becomes the retry's deadline (the delay and a
    lease more), so cleanup leaves it alone until then, and `retry_pending` lets
    the retry claim it at once (docs/DESIGN.md section 6). `spent_tokens`: what the
    attempt's model answers cost, added to the video's `model_tokens_spent` (the
    refund rule reads it)."""
    deadline = int(time.time() + max(0, delay_seconds) + lease_seconds())
    guarded(record, {"status_message": message, "lease_until": deadline, "retry_pending": 1,
                     **in_flight(record["video_id"], deadline)},
            adds={"model_tokens_spent": spent_tokens} if spent_tokens > 0 else None)


def _claim_as_read(record: Video) -> tuple[str, dict[str, Any]]:
    """A condition that holds only while no claim changed the video since `record`
    was read (its attempt and lease as read, or still absent)."""
    parts: list[str] = []
    values: dict[str, Any] = {}
    claimed: dict[str, Any] = {"attempt_id": record.get("attempt_id"),
                               "lease_until": record.get("lease_until")}
    for name, field in (("guard_attempt", "attempt_id"), ("guard_lease", "lease_until")):
        if claimed[field] is None:
            parts.append(f"attribute_not_exists({field})")
        else:
            parts.append(f"{field} = :{name}")
            values[name] = claimed[field]
    return " AND ".join(parts), values


def guarded(record: Video, sets: dict[str, Any], removes: tuple[str, ...] = (),
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


def charge(record: Video, duration_seconds: int, *, by_size: bool = False) -> Video:
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


def completion(record: Video, *, note_id: str, generator: str, usage: dict[str, Any],
               cached: bool, message: str = "Completed") -> dict[str, Any]:
    """The transaction item that completes the video (written with its note); `usage`
    is the job's model tokens, kept on the video."""
    return {"Update": {
        "TableName": _table(), "Key": db.to_item({"video_id": record["video_id"]}),
        "UpdateExpression": "SET #st = :completed, user_status = :us, progress = :full, "
                            "status_message = :done, note_id = :note, completed_at = :now, "
                            "updated_at = :now, generator = :generator, #usage = :usage, "
                            "draft_cached = :cached "
                            "REMOVE lease_until, attempt_id, retry_pending, in_flight, "
                            "stuck_after",
        "ConditionExpression": "#st = :processing AND attempt_id = :attempt",
        "ExpressionAttributeNames": {"#st": "status", "#usage": "usage"},
        "ExpressionAttributeValues": db.values(
            completed="completed", us=user_status(record["user_id"], "completed"),
            full=100, done=message, note=note_id, now=db.now_iso(),
            generator=generator, usage=usage, cached=cached,
            processing="processing", attempt=record["attempt_id"]),
    }}


def requeue(record: Video, now: float) -> bool:
    """Put a stuck video back in the queue state at `now`, once (cleanup): only as it
    was read, so a claim taken meanwhile (a new attempt, a fresh lease) is never undone."""
    claimed, values = _claim_as_read(record)
    updated = _update(record["video_id"], {
        "status": "queued", "user_status": user_status(record["user_id"], "queued"),
        "requeued": 1, "requeued_at": db.iso_from_epoch(now),
        **in_flight(record["video_id"], now + QUEUED_DEADLINE_SECONDS),
        "status_message": "Requeued after a delay", "updated_at": db.now_iso(),
    }, condition=f"#st = :s AND attribute_not_exists(requeued) AND {claimed}",
        values={"s": record["status"], **values},
        removes=("lease_until", "attempt_id", "retry_pending"))
    return updated is not None


# --- ending a video: failed or deleted, refunded in the same transaction -----------------

KEPT_CHARGE_MESSAGE = (
    "Notes could not be written from your uploaded captions ({code}). The note writer "
    "had already read them, so the credit was kept. Check that the file is the "
    "lecture's captions before uploading it again.")


def fail(record: Video, code: str, message: str, attempt_id: str | None = None, *,
         unless: Callable[[Video], bool] | None = None, spent_tokens: int = 0) -> bool:
    """Mark an active video failed and refund it (refund_due decides how much:
    `spent_tokens` is what this attempt's model answers cost), once.

    With `attempt_id`, only while that attempt holds it (the worker ending its own
    attempt). With `unless` (cleanup, the dead-letter handler: they hold no
    attempt), only if `unless(video)` is false for the video as read again, and
    only while no claim changed it since that read."""
    def mark(current: Video, refund: int) -> dict[str, Any]:
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
                                "REMOVE lease_until, attempt_id, retry_pending, in_flight, "
                                "stuck_after"
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
                  failed_spending=spent_tokens) is not None
    if done:
        log.info("video %s failed: %s", record["video_id"], code)
        observability.metric("VideosFailed", 1, ErrorCode=code)
    return done


def delete(user_id: str, video_id: str, *, reason: str,
           before: Callable[[Video], None] | None = None) -> Video:
    """Delete the video record (404 when it is not the student's); refund it if it was
    still active. Returns the record as it was deleted.

    `before(record)` runs first on each try (the caller removes the note)."""
    def remove(record: Video, refund: int) -> dict[str, Any]:
        if before is not None:
            before(record)
        return {"Delete": {"TableName": _table(), "Key": db.to_item({"video_id": video_id})}}

    deleted = settle(user_id, video_id, change=remove, reason=reason)
    if deleted is None:  # not reached: without only_active, _current raises for it
        raise NotFoundError("Video not found")
    return deleted


def refund_due(record: Video, *, failed_spending: int | None) -> int:
    """What ending this active video gives back. `failed_spending` is None for a
    deletion; for a failure, what the ending attempt's model answers cost (beside what
    earlier attempts cost, the video's `model_tokens_spent`)."""
    charged = int(record.get("credits_charged") or 0)
    spent = int(record.get("model_tokens_spent") or 0) + (failed_spending or 0)
    if failed_spending is not None and record.get("upload_digest") and spent > 0:
        return 0  # the student's own captions made the paid model calls fail
    return charged


def settle(
    user_id: str,
    video_id: str,
    *,
    change: Callable[[Video, int], dict[str, Any]],
    reason: str,
    only_active: bool = False,
    attempt_id: str | None = None,
    unless: Callable[[Video], bool] | None = None,
    failed_spending: int | None = None,
    attempts: int = 10,
) -> Video | None:
    """Apply one change that ends a video, refunding what refund_due says in the same
    transaction, exactly once. `change(record, refund)` builds the transaction item
    (Update or Delete); a guard is added to it (_as_read), so a concurrent change makes
    us read again instead of refunding wrongly. Returns the record as it was when the
    change was made, or None when there was nothing to do (only_active: the video is
    gone or no longer active; attempt_id: another attempt holds it; unless(record) is
    true)."""
    for _ in range(attempts):
        record = _current(user_id, video_id, only_active=only_active)
        if record is None or (only_active and record["status"] not in ACTIVE_STATUSES) or \
                (attempt_id is not None and record.get("attempt_id") != attempt_id) or \
                (unless is not None and unless(record)):
            return None
        refund = refund_due(record, failed_spending=failed_spending) \
            if record["status"] in ACTIVE_STATUSES else 0
        item = _as_read(change(record, refund), record, attempt_id=attempt_id,
                        claim_as_read=unless is not None)
        if _commit(record, item, refund, reason):
            return record
    raise ConflictError("The video is changing right now; try again")


def _current(user_id: str, video_id: str, *, only_active: bool) -> Video | None:
    try:
        return owned_record(user_id, video_id, consistent=True)
    except NotFoundError:
        if only_active:
            return None
        raise


def _as_read(item: dict[str, Any], record: Video, *, attempt_id: str | None,
             claim_as_read: bool) -> dict[str, Any]:
    """The item, conditioned on the video as read: its status and charge, and the
    worker's attempt (attempt_id) or no claim taken since the read (claim_as_read)."""
    guard: dict[str, Any] = {"guard_status": record["status"],
                             "guard_charged": int(record.get("credits_charged") or 0)}
    condition = "#guard_status = :guard_status AND credits_charged = :guard_charged"
    if attempt_id is not None:
        condition += " AND attempt_id = :guard_attempt"
        guard["guard_attempt"] = attempt_id
    elif claim_as_read:
        claimed, values = _claim_as_read(record)
        condition += f" AND {claimed}"
        guard.update(values)
    body = next(iter(item.values()))
    body["ConditionExpression"] = condition
    body["ExpressionAttributeNames"] = {**body.get("ExpressionAttributeNames", {}),
                                        **GUARD_NAMES}
    body["ExpressionAttributeValues"] = {**body.get("ExpressionAttributeValues", {}),
                                         **db.values(**guard)}
    return item


def _commit(record: Video, item: dict[str, Any], refund: int, reason: str) -> bool:
    """Write the item (with the refund when there is one); False when a condition
    failed and the video must be read again."""
    try:
        if refund > 0 and refunds.refund_video(
                record["user_id"], record["video_id"], record.get("youtube_video_id"),
                charged=refund, reason=reason, extra=[item]):
            return True
        db.transact([item])
        return True
    except movements.ConditionFailed:
        return False
    except Exception as exc:  # only a failed condition is retried
        if not aws.is_error(exc, aws.TRANSACTION_CANCELLED):
            raise
        return False
