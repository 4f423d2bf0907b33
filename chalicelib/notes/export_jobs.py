"""GET /notes/export for a library too large to build inside the API's 29 s: a job.

A library of at most EXPORT_SYNC_MAX_NOTES notes (DEFAULT_SYNC_MAX_NOTES, set from
`bench/export.py`'s measurements) is still built in the request: 200 with the link
(chalicelib.notes.export.export_now). A larger one answers at once with 202
{export_id, status: "building", note_count, format}; the worker builds the file, and
GET /notes/export/{export_id} says building, ready (with the link) or failed.

Where it runs: a message {"kind": "export", "user_id", "export_id"} on the video
queue, taken by the processor (app.py's process_video hands it here before any
video code sees it). The processor is already sized for long work (1.5 GB, 900 s,
/tmp) and retried by SQS; a queue of its own would need its own function, outputs,
deploy settings and grants for the same thing.

What an export is, in S3 beside its file (exports/{user_id}/: the bucket's
lifecycle removes everything there after a day, so exports are short-lived):

- exports/{user_id}/{export_id}.json: the export (`status` building, ready or
  failed; format, note_count, created_at; `claimed_at` while an attempt builds it;
  the file's key when ready; `error` when failed). Another user's export id names
  another user's key: 404, exactly as if it did not exist.
- exports/{user_id}/{export_id}-{filename}: the file. Its key is the export's, so
  an attempt that builds it again overwrites it: one file per export.
- exports/{user_id}/running-{format}.json: the last export of that format the user
  started. Asking again while it is building gets it back (202, the same id), not a
  second job; S3's conditional writes make two requests at once start one.

Delivery is at least once. An attempt claims the export (a conditional write of
`claimed_at` on the version it read) before building, so a duplicate delivery
leaves a claimed export alone and a finished one is never built again. An attempt
that fails gives the claim back and is retried in RETRY_SECONDS; the last receive
(MAX_RECEIVES) marks the export failed instead. An attempt that never returns
(killed at the processor's timeout) leaves a claim older than CLAIM_SECONDS: the
export reads as failed from then on, and its redelivery does not build it again.
"""
from __future__ import annotations

import json
import logging
import re
import time
import uuid
from dataclasses import dataclass
from typing import Any

from chalicelib.core import aws, config, db, observability, work_queue
from chalicelib.core.errors import NotFoundError, ServiceUnavailableError
from chalicelib.notes import export

log = logging.getLogger(__name__)

# The largest library built in the request. bench/export.py: on the API's 256 MB
# Lambda an export costs about 37-47 ms a note (an S3 GET each, and our CPU at a
# seventh of a vCPU), so 29 s holds about 620-780 notes; under half of that leaves
# room for slower S3 reads, longer notes and a cold start (README, "Export").
DEFAULT_SYNC_MAX_NOTES = 300
KIND = "export"
MAX_RECEIVES = 3  # infra/template.yaml VideoQueue maxReceiveCount
CLAIM_SECONDS = 960  # process_video's 900 s lambda_timeout (.chalice/config.json), and a minute
RETRY_SECONDS = 30
# S3 conditional writes: 412 when the object changed (or exists), 409 when two
# conditional writes of one key race.
PRECONDITION_FAILED = ("PreconditionFailed", "ConditionalRequestConflict")
_EXPORT_ID = re.compile(r"[0-9a-f]{32}")

FAILED = ("export_failed", "We could not build this export. Try again in a few minutes.")
TOO_LONG = ("export_timed_out", "Building this export took too long and was stopped. "
            "Try again in a few minutes.")


def sync_max_notes() -> int:
    """EXPORT_SYNC_MAX_NOTES: the largest library exported inside the request."""
    raw = config.env("EXPORT_SYNC_MAX_NOTES", str(DEFAULT_SYNC_MAX_NOTES))
    try:
        value = int(raw or DEFAULT_SYNC_MAX_NOTES)
    except ValueError as exc:
        raise config.ConfigError(
            f"EXPORT_SYNC_MAX_NOTES must be a whole number, not {raw!r}") from exc
    if value < 0:
        raise config.ConfigError("EXPORT_SYNC_MAX_NOTES must not be negative")
    return value


def status_key(user_id: str, export_id: str) -> str:
    return f"exports/{user_id}/{export_id}.json"


def running_key(user_id: str, chosen: str) -> str:
    return f"exports/{user_id}/running-{chosen}.json"


def file_key(user_id: str, export_id: str, name: str) -> str:
    return f"exports/{user_id}/{export_id}-{name}"


# --- the API ------------------------------------------------------------------------

def request(user_id: str, chosen: str) -> tuple[dict[str, Any], bool]:
    """GET /notes/export of format `chosen`: (body, queued). A library of at most
    sync_max_notes() notes is built now (the link); a larger one is queued (or the one
    already building is handed back)."""
    entries = export.records(user_id)
    if len(entries) <= sync_max_notes():
        return export.export_now(user_id, chosen, entries), False
    return start(user_id, chosen, len(entries)), True


def start(user_id: str, chosen: str, note_count: int) -> dict[str, Any]:
    """The user's export of this format that is building, or a new one queued."""
    for _ in range(3):
        pointer, pointer_tag = _read(running_key(user_id, chosen))
        if pointer is not None:
            running, _ = _read(status_key(user_id, str(pointer.get("export_id"))))
            if running is not None and state(running) == "building":
                return public(running)
        export_id = uuid.uuid4().hex
        record = {"export_id": export_id, "user_id": user_id, "format": chosen,
                  "status": "building", "note_count": note_count,
                  "created_at": db.now_iso()}
        # The export first, then the pointer to it: whoever reads the pointer finds it.
        _write(status_key(user_id, export_id), record)
        try:
            _write(running_key(user_id, chosen), {"export_id": record["export_id"]},
                   if_match=pointer_tag, only_new=pointer_tag is None)
        except Exception as exc:
            if aws.is_error(exc, *PRECONDITION_FAILED):
                continue  # another request started one just now: hand that one back
            raise
        _enqueue(record)
        return public(record)
    raise ServiceUnavailableError("Exports are being started too quickly; try again")


def _enqueue(record: dict[str, Any]) -> None:
    body = {"kind": KIND, "user_id": record["user_id"], "export_id": record["export_id"]}
    try:
        work_queue.send(body)
    except Exception:
        _finish(record, error=FAILED)  # nobody would ever build it: never "building"
        raise


def status(user_id: str, export_id: str) -> dict[str, Any]:
    """GET /notes/export/{export_id}; 404 for an unknown, malformed or expired id, and
    for another user's."""
    if not isinstance(export_id, str) or not _EXPORT_ID.fullmatch(export_id):
        raise NotFoundError("Export not found")
    record, _ = _read(status_key(user_id, export_id))
    if record is None or record.get("user_id") != user_id:
        raise NotFoundError("Export not found")
    return public(record)


def state(record: dict[str, Any], now: float | None = None) -> str:
    """building, ready or failed: a build whose claim outlived the processor's timeout
    was killed, and counts as failed."""
    if record.get("status") == "building" and _claim_expired(record, now):
        return "failed"
    return str(record.get("status"))


def _claim_expired(record: dict[str, Any], now: float | None = None) -> bool:
    claimed = record.get("claimed_at")
    return isinstance(claimed, (int, float)) and \
        (time.time() if now is None else now) - claimed > CLAIM_SECONDS


def public(record: dict[str, Any]) -> dict[str, Any]:
    """{export_id, status, format, note_count, created_at} and, when ready, {url,
    expires_in, filename} (a new presigned GET each time; card_count for Anki), or
    when failed, error {code, message}."""
    current = state(record)
    body: dict[str, Any] = {field: record.get(field) for field in
                            ("export_id", "format", "note_count", "created_at")}
    body["status"] = current
    if current == "ready":
        body.update(export.presigned(record["key"], record["filename"],
                                     export.CONTENT_TYPES[record["format"]]))
        if "card_count" in record:
            body["card_count"] = record["card_count"]
    elif current == "failed":
        code, message = TOO_LONG if record.get("status") == "building" else FAILED
        body["error"] = record.get("error") or {"code": code, "message": message}
    return body


# --- the worker ---------------------------------------------------------------------

@dataclass(frozen=True)
class Job:
    user_id: str
    export_id: str


def is_job(body: Any) -> bool:
    """Whether a message of the video queue is an export's (`"kind": "export"`)."""
    data = work_queue.decode(body)
    return data is not None and data.get("kind") == KIND


def parse_job(body: Any) -> Job | None:
    data = work_queue.decode(body)
    if data is None or data.get("kind") != KIND:
        return None
    user_id, export_id = data.get("user_id"), data.get("export_id")
    if not isinstance(user_id, str) or not user_id or not isinstance(export_id, str) \
            or not _EXPORT_ID.fullmatch(export_id):
        return None
    return Job(user_id, export_id)


def handle_message(body: str, receipt_handle: str | None = None,
                   receive_count: int = 1) -> str:
    """The processor's work for an export message. Returns what happened, for logs and
    tests; raises (for SQS to retry) only when an attempt before the last failed."""
    observability.configure()
    job = parse_job(body)
    if job is None:
        log.error("dropping a malformed export message")
        return "dropped: malformed message"
    with observability.context(job_id=job.export_id):
        started = time.monotonic()
        outcome = _handle(job, receipt_handle, receive_count)
        log.info("export %s: %s in %.1f s", job.export_id, outcome,
                 time.monotonic() - started)
    return outcome


def _handle(job: Job, receipt_handle: str | None, receive_count: int) -> str:
    key = status_key(job.user_id, job.export_id)
    record, tag = _read(key)
    if record is None or record.get("user_id") != job.user_id:
        return "dropped: no such export"
    if record.get("status") != "building":
        return f"already {record.get('status')}"
    if record.get("claimed_at") is not None:
        if not _claim_expired(record):
            return "left alone: another attempt is building it"
        _finish(record, error=TOO_LONG)
        return "failed: an attempt outlived the timeout"
    record = {**record, "claimed_at": time.time(), "attempt": receive_count}
    try:
        _write(key, record, if_match=tag)
    except Exception as exc:
        if aws.is_error(exc, *PRECONDITION_FAILED):
            return "left alone: another attempt took it"
        raise
    try:
        entries = export.records(job.user_id)
        name = export.filename(record["format"], record["created_at"][:10])
        built = export.build(record["format"], entries,
                             file_key(job.user_id, job.export_id, name))
    except Exception:
        if receive_count >= MAX_RECEIVES:
            log.exception("export %s failed on its last attempt", job.export_id)
            _finish(record, error=FAILED)
            return "failed"
        _write(key, {k: v for k, v in record.items() if k != "claimed_at"})  # for the retry
        # Back in RETRY_SECONDS, not after the video queue's 90 minutes.
        work_queue.retry_later(receipt_handle, RETRY_SECONDS)
        raise
    _finish(record, ready={"key": built["key"], "filename": name,
                           "note_count": len(entries), **built["extra"]})
    return "ready"


def _finish(record: dict[str, Any], *, ready: dict[str, Any] | None = None,
            error: tuple[str, str] | None = None) -> None:
    done = {k: v for k, v in record.items() if k not in ("claimed_at", "attempt")}
    done["finished_at"] = db.now_iso()
    if ready is not None:
        done.update(ready, status="ready")
    else:
        code, message = error or FAILED
        done.update(status="failed", error={"code": code, "message": message})
    _write(status_key(record["user_id"], record["export_id"]), done)


# --- S3 ---------------------------------------------------------------------------------

def _read(key: str) -> tuple[dict[str, Any] | None, str | None]:
    """The JSON object at key and its ETag; (None, None) when there is none."""
    try:
        response = aws.client("s3").get_object(Bucket=config.notes_bucket(), Key=key)
    except Exception as exc:
        if aws.is_error(exc, *aws.NOT_FOUND):
            return None, None
        raise
    data = json.loads(response["Body"].read())
    return (data if isinstance(data, dict) else None), response.get("ETag")


def _write(key: str, data: dict[str, Any], *, if_match: str | None = None,
           only_new: bool = False) -> str:
    """Put the JSON object; returns its ETag. if_match: only over that version;
    only_new: only where there is none yet (else PreconditionFailed)."""
    condition: dict[str, str] = {}
    if only_new:
        condition["IfNoneMatch"] = "*"
    elif if_match:
        condition["IfMatch"] = if_match
    response = aws.client("s3").put_object(
        Bucket=config.notes_bucket(), Key=key, Body=json.dumps(data).encode(),
        ContentType="application/json", **condition)
    return str(response.get("ETag", ""))
