"""GET /search and POST /ask: the requests (chalicelib.search answers them;
docs/DESIGN.md sections 4 and 13).

Bad input is a 400 that names the field: a query or question that is empty or longer
than MAX_QUERY characters, a limit outside 1 to 50, a malformed subject, course or note
id, unknown parameters or fields. A course that is not the student's is 404 (as if it
did not exist); a note that is not theirs matches nothing of their index: no hit,
never its content.
"""
from __future__ import annotations

import re
from typing import Any

from chalicelib.core.errors import BadRequestError
from chalicelib.courses import course_store
from chalicelib.http import validation
from chalicelib.search import ask as asking
from chalicelib.search import ranking
from chalicelib.search.records import Answer

MAX_QUERY = 500
MAX_SUBJECT_LENGTH = 100
MAX_LIMIT = 50
DEFAULT_LIMIT = 10
ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
FILTERS = ("subject", "course_id", "note_id")


def _text(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise BadRequestError(f"'{field}' must not be empty: type a few words to look for")
    if len(value) > MAX_QUERY:
        raise BadRequestError(f"'{field}' must be at most {MAX_QUERY} characters "
                              f"(it has {len(value)}): ask about one thing at a time")
    return " ".join(value.split())


def _filters(user_id: str, values: dict[str, Any]) -> ranking.Filters:
    subject = validation.optional_string(values.get("subject"), "subject",
                                         max_length=MAX_SUBJECT_LENGTH)
    note_id = validation.optional_string(values.get("note_id"), "note_id", max_length=64,
                                         pattern=ID, hint="a note id from GET /notes")
    course_id = validation.optional_string(values.get("course_id"), "course_id",
                                           max_length=64, pattern=ID,
                                           hint="a course id from GET /courses")
    note_ids = course_notes(user_id, course_id) if course_id is not None else None
    return ranking.Filters(subject=subject, note_id=note_id, note_ids=note_ids)


def course_notes(user_id: str, course_id: str) -> frozenset[str]:
    """The notes of the student's course (404 for a course that is not theirs): its
    lectures' notes, read from the course, never written."""
    course = course_store.owned(user_id, course_id)
    return frozenset(lecture["note_id"] for lecture in course["lectures"]
                     if lecture.get("note_id"))


def search(user_id: str, params: dict[str, Any] | None) -> dict[str, Any]:
    query = validation.query_params(params, ("q", "limit", *FILTERS))
    text = _text(query.get("q"), "q")
    limit = validation.int_param(query.get("limit"), "limit", default=DEFAULT_LIMIT,
                                 minimum=1, maximum=MAX_LIMIT)
    hits, respelled = ranking.search(user_id, text, _filters(user_id, query), limit)
    return {"results": hits, "count": len(hits), "respelled": respelled}


def ask(user_id: str, body: Any) -> Answer:
    body = validation.object_body(body, required=("question",), optional=FILTERS)
    return asking.ask(user_id, _text(body["question"], "question"), _filters(user_id, body))
