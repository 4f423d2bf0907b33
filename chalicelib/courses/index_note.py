"""A finished course's index note (docs/DESIGN.md section 14): its lectures in order,
each a [[link]] to its note, and a concept index: for each concept the lectures'
grounded drafts explain (their verified core concepts), the lecture that explains it
first and the second where it is said. Saved as an ordinary note of the student's
(chalicelib.notes.note_store), its id derived from the course, so writing it again
rewrites it. The course's cards join the course here too (chalicelib.reviews), and its
notes its folder of the vault export (the note record's `course`)."""
from __future__ import annotations

import logging
from typing import Any

from chalicelib.core import db
from chalicelib.courses import course_store
from chalicelib.courses.records import Course, Lecture
from chalicelib.notes import note_store, safe_text
from chalicelib.reviews import card_store
from chalicelib.youtube import links

log = logging.getLogger(__name__)

CATEGORY = "Courses"
MAX_CONCEPTS = 500


def note_id_of(course_id: str) -> str:
    return f"course-{course_id}"[:64]


def folder_of(course: Course) -> str:
    """The course's folder in the vault export: its title."""
    return course["title"]


def delete(user_id: str, course_id: str) -> None:
    """Delete the course's index note (saved as the note of a "video" named by it)."""
    note_store.delete_for_video(user_id, note_id_of(course_id))


def _clock(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else \
        f"{rest // 60:02d}:{rest % 60:02d}"


def _link(title: str) -> str:
    return f"[[{safe_text.alias(title)}]]"


def lecture_notes(course: Course) -> list[tuple[Lecture, dict[str, Any]]]:
    """The completed lectures with their notes, in order (a note gone is left out)."""
    found = []
    for lecture in course["lectures"]:
        if lecture["status"] != "completed" or not lecture.get("note_id"):
            continue
        try:
            found.append((lecture, dict(note_store.owned_record(course["user_id"],
                                                                lecture["note_id"]))))
        except Exception:  # noqa: BLE001 - deleted by the student: not in the index
            continue
    return found


def concept_index(notes: list[tuple[Lecture, dict[str, Any]]]) -> list[dict[str, Any]]:
    """Each verified concept once, where it is first explained (lecture order)."""
    first: dict[str, dict[str, Any]] = {}
    for lecture, note in notes:
        stored = note_store.read_draft(note) or {}  # type: ignore[arg-type]
        draft = stored.get("draft") if isinstance(stored, dict) else None
        for concept in (draft or {}).get("core_concepts") or []:
            if not isinstance(concept, dict) or concept.get("verified") is not True:
                continue
            term = " ".join(str(concept.get("term") or "").split())
            if not term or term.casefold() in first or len(first) >= MAX_CONCEPTS:
                continue
            first[term.casefold()] = {
                "term": term, "title": note["title"], "position": lecture["position"],
                "youtube_video_id": lecture["youtube_video_id"],
                "seconds": int(concept.get("timestamp") or 0)}
    return sorted(first.values(), key=lambda item: item["term"].casefold())


def _have_notes(course: Course) -> str:
    """"3 of 4 lectures have notes.", not counting the entries YouTube does not serve."""
    skipped = course_store.skipped_count(course["lectures"])
    said = f"{course['completed_count']} of {course['lecture_count'] - skipped} lectures have notes"
    return f"{said} ({skipped} skipped: private or deleted)." if skipped else f"{said}."


def render(course: Course, notes: list[tuple[Lecture, dict[str, Any]]],
           concepts: list[dict[str, Any]]) -> str:
    titles = {lecture["position"]: note["title"] for lecture, note in notes}
    lines = ["---", f"title: {safe_text.yaml_string(course['title'])}",
             f"course_id: {course['course_id']}", f"source: {course['source_url']}",
             "tags: [course]", "---", "", f"# {safe_text.inline(course['title'])}", "",
             _have_notes(course), "", "## Lectures", ""]
    for lecture in course["lectures"]:
        shown = _link(titles[lecture["position"]]) if lecture["position"] in titles else \
            f"{safe_text.inline(lecture['title'])} ({lecture['status'].replace('_', ' ')})"
        lines.append(f"{lecture['position']}. {shown}")
    lines += ["", "## Concept index", ""]
    if not concepts:
        lines.append("No concept of these lectures was verified against its transcript.")
    for concept in concepts:
        url = f"{links.canonical_url(concept['youtube_video_id'])}&t={concept['seconds']}s"
        lines.append(f"- **{safe_text.inline(concept['term'])}**: first explained in lecture "
                     f"{concept['position']}, {_link(concept['title'])} "
                     f"([{_clock(concept['seconds'])}]({url}))")
    return "\n".join(lines) + "\n"


# Two workers can finish a course at once (its last two lectures settling together):
# both write the same note, and the second's write, conditioned on the note as it read
# it, fails. It writes again over the first's (the same content).
WRITE_TRIES = 3


def write(course: Course) -> str | None:
    """Save the index note and tag the course's cards; the note id, or None when it
    could not be written in WRITE_TRIES tries (logged: the course completes all the
    same)."""
    for attempt in range(1, WRITE_TRIES + 1):
        note_id = _write_once(course, last=attempt == WRITE_TRIES)
        if note_id:
            return note_id
    return None


def _write_once(course: Course, *, last: bool) -> str | None:
    try:
        notes = lecture_notes(course)
        for _lecture, note in notes:
            card_store.tag_course(course["user_id"], note["note_id"], course["course_id"])
            note_store.set_course(course["user_id"], note["note_id"], folder_of(course))
        note_id = note_id_of(course["course_id"])
        title = note_store.unique_title(course["user_id"], f"{course['title']} (course index)",
                                        note_id)
        content = render(course, notes, concept_index(notes))
        note_store.save_note(user_id=course["user_id"], video_id=note_id, title=title,
                             category=str(course.get("subject") or CATEGORY),
                             content=content, tags=["course"], note_id=note_id)
        note_store.set_course(course["user_id"], note_id, folder_of(course))
        log.info("course %s: index note written at %s", course["course_id"], db.now_iso())
        return note_id
    except Exception:  # noqa: BLE001 - the lectures' notes stand without the index
        if last:
            log.exception("course %s: index note not written", course["course_id"])
        else:
            log.info("course %s: index note write lost a race; trying again",
                     course["course_id"], exc_info=True)
        return None
