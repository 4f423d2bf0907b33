"""Processing one video: the job that turns a submitted link into a note.

Steps (each visible through GET /videos/{id} while it runs): fetching the
transcript, charging for its duration, generating notes, categorizing, linking,
saving. Every write to the video goes through chalicelib.videos.video_store,
conditioned on this attempt, so a duplicate or late delivery never writes a
second note or charge. The note id is the video id, so a redelivery after a
crash rewrites the same note instead of adding one.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from chalicelib.accounts import users
from chalicelib.core import aws, db
from chalicelib.knowledge import embeddings, filing, library, tagging, wikilinks
from chalicelib.ledger import movements
from chalicelib.notes import drafts, generators, markdown, note_store
from chalicelib.videos import video_store
from chalicelib.youtube import transcripts

log = logging.getLogger(__name__)

STEPS = {
    "fetching": (10, "Fetching transcript"),
    "generating": (30, "Generating notes"),
    "categorizing": (70, "Categorizing"),
    "linking": (80, "Linking related notes"),
    "saving": (90, "Saving"),
}
# Raised for SQS to retry (with backoff: chalicelib.processing.handlers).
TRANSIENT_ERRORS = (transcripts.TranscriptTemporarilyUnavailable,
                    drafts.GenerationTemporarilyFailed)


@dataclass(frozen=True)
class Job:
    video_id: str
    user_id: str


def parse_job(body: str) -> Job | None:
    try:
        data = json.loads(body)
        return Job(str(data["video_id"]), str(data["user_id"]))
    except (ValueError, KeyError, TypeError):
        return None


def step(record: dict, name: str, **fields: Any) -> None:
    progress, message = STEPS[name]
    video_store.guarded(record, {"progress": progress, "status_message": message, **fields})


def process(job: Job) -> str:
    """Run one job to the end. Returns what happened, for logs and tests.

    Transient failures (YouTube blocking, model rate limits) are raised for SQS
    to retry; permanent ones fail the video and refund it.
    """
    record = video_store.load(job.video_id, job.user_id)
    if record is None:
        return "dropped: no such video (deleted)"
    if record["status"] not in video_store.ACTIVE_STATUSES:
        return f"dropped: already {record['status']}"
    claimed = video_store.claim(record)
    if claimed is None:
        return "dropped: another attempt holds the video"
    try:
        return _run(claimed)
    except video_store.Cancelled:
        return "cancelled: the video changed under this attempt"
    except transcripts.TranscriptUnavailable as exc:
        video_store.fail(claimed, exc.code, exc.message, claimed["attempt_id"])
        return f"failed: {exc.code}"
    except movements.InsufficientCredits as exc:
        video_store.fail(claimed, "insufficient_credits", str(exc), claimed["attempt_id"])
        return "failed: insufficient_credits"
    except drafts.GenerationFailed as exc:
        video_store.fail(claimed, exc.code, f"Notes could not be written: {exc}",
                         claimed["attempt_id"])
        return f"failed: {exc.code}"
    except Exception as exc:  # noqa: BLE001 - transient, or unforeseen: retried all the same
        # Let the retry claim the video at once instead of waiting out the lease.
        try:
            video_store.guarded(claimed, {"status_message": waiting_message(exc)},
                                removes=("lease_until",))
        except video_store.Cancelled:
            pass
        # The one line an expected transient error gets, with its cause (the worker
        # logs no traceback for it).
        cause = exc.__cause__
        log.warning("video %s hit a transient error (%s%s); SQS will retry", job.video_id,
                    exc, f"; cause: {type(cause).__name__}: {str(cause)[:300]}" if cause
                    else "")
        raise


def waiting_message(exc: Exception) -> str:
    """The real reason a video waits, in words a student can act on (DESIGN section 6)."""
    if isinstance(exc, drafts.GenerationTemporarilyFailed):
        return "Waiting to retry: the note writer is busy"
    if isinstance(exc, TRANSIENT_ERRORS):
        return getattr(exc, "status_message", None) or "Waiting to retry: the source is busy"
    return "Waiting to retry after an unexpected error"


def _run(record: dict) -> str:
    profile = users.preferences(users.get_record(record["user_id"]))
    languages = record.get("languages") or list(dict.fromkeys([profile["language"], "en"]))
    step(record, "fetching")
    transcript = transcripts.get_transcript(record["youtube_video_id"], languages,
                                            uploaded_by=(record["user_id"], record["video_id"]))
    record = video_store.charge(record, transcript.duration_seconds)
    options = drafts.Options(note_style=profile["note_style"], language=profile["language"],
                             include_questions=bool(profile["include_questions"]))
    step(record, "generating", title=transcript.title or None,
         channel=transcript.channel or None, duration_seconds=transcript.duration_seconds)
    generated = generators.generate(transcript, options)
    draft = generated.draft

    step(record, "categorizing")
    note_id = record["video_id"]
    title = note_store.unique_title(record["user_id"], draft["title"] or transcript.title,
                                    note_id)
    vector = embeddings.embed_one(library.note_text(draft, title))
    user_library = library.load_library(record["user_id"], exclude_note_id=note_id)
    filed = filing.choose_category(
        submitted=record.get("subject"), default_subject=profile.get("default_subject"),
        suggested=draft.get("suggested_subject"), vector=vector, library=user_library)
    category = filed.category
    tags = tagging.choose_tags(draft["tags"], [c["term"] for c in draft["core_concepts"]],
                               title=title, category=category)
    log.info("video %s filed under %r (%s, score %s)", record["video_id"], category,
             filed.source, filed.score)

    step(record, "linking")
    related = user_library.related(vector)

    step(record, "saving")
    created = db.now_iso()
    content = markdown.render(
        draft=draft, video_id=record["youtube_video_id"], title=title,
        channel=transcript.channel, duration_seconds=transcript.duration_seconds,
        category=category, tags=tags, created=created.split(".")[0] + "Z",
        generator=generated.generator, related_titles=[r["title"] for r in related],
        include_questions=options.include_questions,
        transcript_info=transcripts.front_matter(transcript))
    content, _ = wikilinks.link_mentions(content, user_library.titles, own_title=title)
    complete = video_store.completion(record, note_id=note_id, generator=generated.generator,
                                      usage=generated.usage, cached=generated.cached)
    try:
        note_store.save_note(user_id=record["user_id"], video_id=record["video_id"],
                             title=title, category=category, content=content, tags=tags,
                             related=related, embedding=embeddings.pack(vector),
                             note_id=note_id, extra=[complete])
    except Exception as exc:  # noqa: BLE001 - a failed condition means we lost the video
        if not aws.is_error(exc, aws.TRANSACTION_CANCELLED):
            raise
        if video_store.load(record["video_id"], record["user_id"]) is None:
            note_store.delete_file(record["user_id"], note_id)  # deleted meanwhile: leave nothing
        raise video_store.Cancelled(record["video_id"]) from exc
    _link_back(record["user_id"], {"note_id": note_id, "title": title}, related)
    return "completed"


def _link_back(user_id: str, newer: dict, related: list[dict]) -> None:
    """Related older notes gain the link back (at most library.MAX_RELATED per save).
    The note is saved: a failure here is logged, not retried."""
    for older in related[:library.MAX_RELATED]:
        try:
            note_store.link_back(user_id, older["note_id"], newer, markdown.add_related)
        except Exception as exc:  # noqa: BLE001 - best effort, never fails the job
            log.warning("link back from note %s to %s failed: %s", older["note_id"],
                        newer["note_id"], exc)
