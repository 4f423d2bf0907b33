"""Processing one video: the job that turns a submitted link into a note.

Steps (each visible through GET /videos/{id} while it runs): fetching the
transcript, charging for its duration, generating notes, categorizing, linking,
saving. Every write to the video goes through chalicelib.videos.video_store,
conditioned on this attempt, so a duplicate or late delivery never writes a
second note or charge. The note id is the video id, so a redelivery after a
crash rewrites the same note instead of adding one. Once the note is committed, its
review cards are made (chalicelib.reviews: ids derived from the note and the item).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chalicelib.accounts import users
from chalicelib.core import aws, db, work_queue
from chalicelib.courses import progress as course_progress
from chalicelib.knowledge import embeddings, filing, library, tagging
from chalicelib.knowledge.library import RelatedNote
from chalicelib.ledger import charges, movements
from chalicelib.notes import drafts, generators, markdown, note_store, wikilinks
from chalicelib.processing import cost_bound, failure_memory
from chalicelib.reviews import card_store
from chalicelib.reviews import cards as review_cards
from chalicelib.search import index as search_index
from chalicelib.videos import lifecycle, video_store
from chalicelib.videos.records import Video
from chalicelib.youtube import cache_scope, transcript_cache, transcripts
from chalicelib.youtube.transcript_model import Transcript

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

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
    data = work_queue.decode(body)
    if data is None or "video_id" not in data or "user_id" not in data:
        return None
    return Job(str(data["video_id"]), str(data["user_id"]))


def step(record: Video, name: str, removes: tuple[str, ...] = (), **fields: Any) -> None:
    progress, message = STEPS[name]
    lifecycle.guarded(record, {"progress": progress, "status_message": message, **fields},
                      removes=removes)


def process(job: Job, retry_delay: int = 0) -> str:
    """Run one job to the end. Returns what happened, for logs and tests.

    Transient failures (YouTube blocking, model rate limits) are raised for SQS
    to retry (in `retry_delay` seconds: the video keeps that deadline); permanent
    ones fail the video and refund it.
    """
    record = video_store.load(job.video_id, job.user_id)
    if record is None:
        return "dropped: no such video (deleted)"
    if record["status"] not in video_store.ACTIVE_STATUSES:
        if record["status"] == "completed":
            repair_cards(record)
        return f"dropped: already {record['status']}"
    claimed = lifecycle.claim(record)
    if claimed is None:
        return "dropped: another attempt holds the video"
    try:
        return _run(claimed)
    except video_store.Cancelled:
        return "cancelled: the video changed under this attempt"
    except (transcripts.TranscriptUnavailable, failure_memory.Remembered) as exc:
        return _fail(claimed, exc.code, exc.message)
    except movements.InsufficientCredits as exc:
        return _fail(claimed, "insufficient_credits", str(exc))
    except drafts.GenerationFailed as exc:
        return _fail(claimed, exc.code, f"Notes could not be written: {exc}",
                     spent_tokens=exc.tokens_spent)
    except Exception as exc:  # transient, or unforeseen: retried all the same
        # The retry may claim the video at once; until its deadline it is not stuck.
        spent = exc.tokens_spent if isinstance(exc, drafts.GenerationTemporarilyFailed) else 0
        try:
            lifecycle.wait_for_retry(claimed, retry_delay, waiting_message(exc),
                                     spent_tokens=spent)
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
    """The real reason a video waits, in words a student can act on (docs/DESIGN.md
    section 6)."""
    if isinstance(exc, drafts.GenerationTemporarilyFailed):
        return "Waiting to retry: the note writer is busy"
    if isinstance(exc, TRANSIENT_ERRORS):
        return getattr(exc, "status_message", None) or "Waiting to retry: the source is busy"
    return "Waiting to retry after an unexpected error"


def _fail(claimed: Video, code: str, message: str, spent_tokens: int = 0) -> str:
    """End this attempt's video as failed (refunded, as chalicelib.ledger.refunds
    decides), leaving no file behind."""
    if lifecycle.fail(claimed, code, message, claimed["attempt_id"],
                      spent_tokens=spent_tokens):
        after_failure(claimed)
    return f"failed: {code}"


def after_failure(record: Video, *, remember: bool = False) -> None:
    """What follows a video's failure, whoever failed it: files that no note record
    names are removed (a crashed attempt's staged note), and with `remember` (the
    dead-letter handler giving up while the model was writing), the failure is
    remembered for this video and options (chalicelib.processing.failure_memory)."""
    note_store.delete_files(record["user_id"], record["video_id"])
    if remember and record.get("failure_key"):
        failure_memory.remember(record["failure_key"], "processing_failed",
                                "the model's notes failed on every attempt")
    course_progress.video_settled(record)  # a course's lecture: its course goes on


def _run(record: Video) -> str:
    """The job's steps on a claimed video, each announced with `step`."""
    profile = users.preferences(users.get_record(record["user_id"]))
    options = drafts.Options(note_style=profile["note_style"], language=profile["language"],
                             include_questions=bool(profile["include_questions"]))
    # What the model would be asked (the video with these options) failed recently:
    # fail now, without fetching or charging (docs/DESIGN.md section 6).
    scope = cache_scope.of_video(record)
    failure_key = failure_memory.key(scope, options)
    failure_memory.check(failure_key)
    step(record, "fetching", removes=("failure_key",))
    transcript = transcripts.get_transcript(record["youtube_video_id"],
                                            _languages(record, profile),
                                            uploaded_by=(record["user_id"], record["video_id"]))
    _title_untitled_upload(record, transcript)
    billing = cost_bound.bill(transcript)
    record = _charge(record, billing)
    fields: dict[str, Any] = {"title": transcript.title or None,
                              "channel": transcript.channel or None,
                              "duration_seconds": transcript.duration_seconds,
                              "failure_key": failure_key}
    if billing.by_size:
        fields["status_message"] = f"Generating notes. {billing.message}"
    step(record, "generating", **fields)
    generated = _generate(transcript, options, scope, failure_key)

    step(record, "categorizing")
    filed = _file(record, profile, transcript, generated.draft)
    step(record, "linking")
    related = filed.user_library.related(filed.vector)
    step(record, "saving")
    content = _content(record, transcript, options, generated, filed, related)
    # The search entries are embedded before the save (the slow part), so the note is
    # searchable one S3 write after it shows as completed, not seconds later.
    search_entries = search_document(record, filed.title, filed.category, transcript,
                                     generated.draft)
    _save(record, options, generated, filed, related, content, billing)
    index_for_search(record, search_entries)
    _link_back(record["user_id"], {"note_id": record["video_id"], "title": filed.title},
               related)
    make_cards(record["user_id"], record["video_id"], title=filed.title,
               subject=filed.category, youtube_video_id=record["youtube_video_id"],
               draft=generated.draft, include_questions=options.include_questions)
    return "completed"


def _languages(record: Video, profile: dict[str, Any]) -> list[str]:
    """The caption languages asked for: the video's own, else the user's then English."""
    languages: list[str] = record.get("languages") or list(
        dict.fromkeys([profile["language"], "en"]))
    return languages


def _charge(record: Video, billing: cost_bound.Billing) -> Video:
    """The video charged the rest of its price; a refusal billed by size says so."""
    try:
        return lifecycle.charge(record, billing.billed_seconds, by_size=billing.by_size)
    except movements.InsufficientCredits as exc:
        if billing.by_size:
            exc.args = (f"{billing.message} {exc}",)
        raise


def _generate(transcript: Transcript, options: drafts.Options,
              scope: cache_scope.CacheScope, failure_key: str | None) -> drafts.Generated:
    """The draft; a permanent failure is remembered for this video and options."""
    try:
        return generators.generate(cost_bound.split_long_segments(transcript), options, scope)
    except drafts.GenerationFailed as exc:
        failure_memory.remember(failure_key, exc.code, str(exc))
        raise


def _title_untitled_upload(record: Video, transcript: Transcript) -> None:
    """Uploaded captions sent without a title (nor a file name) take YouTube's title
    for the video when the shared transcript cache knows it: public metadata, only
    read (nothing of an upload is ever written there)."""
    if transcript.source != cache_scope.UPLOADED or transcript.title:
        return
    known = transcript_cache.read_cache(record["youtube_video_id"])
    if known is not None and known.title:
        transcript.title = known.title


def note_title(record: Video, transcript: Transcript, draft: dict[str, Any]) -> str:
    """The note's title before it is made unique (docs/DESIGN.md section 7).

    From uploaded captions: the title sent with them (the student's, or the file's
    name), else YouTube's if known, else a neutral one naming the video; never the
    writer's, which for a text without a title is a keyword of it ("Exam") that other
    notes' mentions then link to. From YouTube's captions: the writer's title (the
    offline writer's is YouTube's), else YouTube's."""
    if transcript.source == cache_scope.UPLOADED:
        return transcript.title or f"Uploaded captions ({record['youtube_video_id']})"
    return str(draft["title"] or transcript.title)


@dataclass(frozen=True)
class _Filed:
    """Where the note goes: its title (unique for the user), its vector, category and
    tags, and the user's library it was filed against (and is linked to)."""

    title: str
    vector: np.ndarray
    category: str
    tags: list[str]
    user_library: library.Library


def _file(record: Video, profile: dict[str, Any], transcript: Transcript,
          draft: dict[str, Any]) -> _Filed:
    """The note's title, category and tags, chosen against the user's other notes."""
    note_id = record["video_id"]
    title = note_store.unique_title(record["user_id"], note_title(record, transcript, draft),
                                    note_id)
    vector = embeddings.embed_one(library.note_text(draft, title))

    def lecture() -> np.ndarray:
        return filing.lecture_vector(transcript.title or title,
                                     [chapter.title for chapter in transcript.chapters],
                                     transcript.text)

    user_library = library.load_library(record["user_id"], exclude_note_id=note_id)
    filed = filing.choose_category(
        submitted=record.get("subject"), default_subject=profile.get("default_subject"),
        suggested=draft.get("suggested_subject"), vector=vector, lecture=lecture,
        library=user_library)
    category = filed.category
    tags = tagging.choose_tags(draft["tags"], [c["term"] for c in draft["core_concepts"]],
                               title=title, category=category)
    log.info("video %s filed under %r (%s, score %s)", record["video_id"], category,
             filed.source, filed.score)
    return _Filed(title, vector, category, tags, user_library)


def _content(record: Video, transcript: Transcript, options: drafts.Options,
             generated: drafts.Generated, filed: _Filed, related: list[RelatedNote]) -> str:
    """The note's Markdown, with mentions of the user's other notes linked."""
    created = db.now_iso()
    content = markdown.render(
        draft=generated.draft, video_id=record["youtube_video_id"], title=filed.title,
        channel=transcript.channel, duration_seconds=transcript.duration_seconds,
        category=filed.category, tags=filed.tags, created=created.split(".")[0] + "Z",
        generator=generated.generator, related_titles=[r["title"] for r in related],
        include_questions=options.include_questions,
        transcript_info=transcripts.front_matter(transcript))
    content, _ = wikilinks.link_mentions(content, filed.user_library.titles,
                                        own_title=filed.title)
    return content


def make_cards(user_id: str, note_id: str, *, title: str, subject: str,
               youtube_video_id: str, draft: dict[str, Any], include_questions: bool) -> None:
    """The saved note's review cards (docs/DESIGN.md section 12): its verified concepts
    and questions, ids derived from the note and the item, so syncing again makes no
    second card. Made once the note is committed (a superseded attempt never gets
    here). Should this fail, or the worker die first, the job raises (or its message
    is not deleted) and its redelivery finds the video completed: repair_cards."""
    wanted = review_cards.from_draft(
        user_id=user_id, note_id=note_id, note_title=title, subject=subject,
        youtube_video_id=youtube_video_id, draft=draft,
        include_questions=include_questions, created_at=db.now_iso())
    added, removed = card_store.sync_note(user_id, note_id, wanted)
    log.info("note %s: %d cards (%d added, %d removed)", note_id, len(wanted), added,
             removed)


def search_document(record: Video, title: str, category: str, transcript: Transcript,
                    draft: dict[str, Any]) -> dict[str, Any] | None:
    """The note's search entries (docs/DESIGN.md section 13): its verified items and
    transcript passages, embedded. None when they could not be built: the note is
    saved all the same, without search entries (logged)."""
    try:
        return search_index.note_document(
            note_id=record["video_id"], title=title, category=category,
            youtube_video_id=record["youtube_video_id"], transcript=transcript, draft=draft)
    except Exception as exc:  # noqa: BLE001 - best effort, never fails the note
        log.warning("search entries of note %s not built: %s", record["video_id"], exc)
        return None


def index_for_search(record: Video, document: dict[str, Any] | None) -> None:
    """The saved note's entries in the student's search index, replacing what a
    previous save left. The note is saved: a failure here is logged, not retried."""
    if document is None:
        return
    try:
        search_index.write_note(record["user_id"], document)
        log.info("note %s: %d search entries", record["video_id"], len(document["entries"]))
    except Exception as exc:  # noqa: BLE001 - best effort, never fails the saved note
        log.warning("search index of note %s not written: %s", record["video_id"], exc)


def repair_cards(record: Video) -> None:
    """A completed video delivered again: its note's cards synced from the stored
    draft (nothing changes when they are all there). Best effort: logged, not raised."""
    note_id = record.get("note_id") or record["video_id"]
    try:
        note = note_store.owned_record(record["user_id"], note_id)
        stored = note_store.read_draft(note)
        if stored is None or not isinstance(stored.get("draft"), dict):
            return
        make_cards(record["user_id"], note_id, title=note["title"],
                   subject=note["category"],
                   youtube_video_id=str(stored.get("youtube_video_id")
                                        or record["youtube_video_id"]),
                   draft=stored["draft"],
                   include_questions=bool(stored.get("include_questions", True)))
    except Exception as exc:  # noqa: BLE001 - the note is saved; cards are made again later
        log.warning("cards of video %s not repaired: %s", record["video_id"], exc)


def _save(record: Video, options: drafts.Options, generated: drafts.Generated, filed: _Filed,
          related: list[RelatedNote], content: str, billing: cost_bound.Billing) -> None:
    """The note written with the video's completion and the job's tokens in one
    transaction; Cancelled when this attempt lost the video meanwhile."""
    note_id = record["video_id"]
    complete = lifecycle.completion(
        record, note_id=note_id, generator=generated.generator, usage=generated.usage,
        cached=generated.cached,
        message=f"Completed. {billing.message}" if billing.by_size else "Completed")
    # The job's model tokens on its ledger row too (the row the video was charged on).
    tokens = charges.record_tokens(record["video_id"], generated.usage)
    stored_draft = {"youtube_video_id": record["youtube_video_id"], "draft": generated.draft,
                    "include_questions": options.include_questions}
    try:
        # Under this attempt's guard: the files are staged, and become the note's only
        # once the transaction (conditioned on this attempt) committed.
        note_store.save_note(user_id=record["user_id"], video_id=record["video_id"],
                             title=filed.title, category=filed.category, content=content,
                             tags=filed.tags, related=related,
                             embedding=embeddings.pack(filed.vector), note_id=note_id,
                             extra=[complete, tokens], draft=stored_draft,
                             attempt=record["attempt_id"])
    except Exception as exc:  # a failed condition means we lost the video
        if not aws.is_error(exc, aws.TRANSACTION_CANCELLED):
            raise
        raise video_store.Cancelled(record["video_id"]) from exc


def _link_back(user_id: str, newer: dict[str, Any], related: list[RelatedNote]) -> None:
    """Related older notes gain the link back (at most library.MAX_RELATED per save).
    The note is saved: a failure here is logged, not retried."""
    for older in related[:library.MAX_RELATED]:
        try:
            note_store.link_back(user_id, older["note_id"], newer, markdown.add_related)
        except Exception as exc:  # noqa: BLE001 - best effort, never fails the job
            log.warning("link back from note %s to %s failed: %s", older["note_id"],
                        newer["note_id"], exc)
