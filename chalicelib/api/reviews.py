"""GET /reviews/due, POST /reviews/{card_id}, GET /reviews/stats: the requests
(chalicelib.reviews.deck answers them; docs/DESIGN.md sections 4 and 12).

Bad input is a 400 that names the field, and changes nothing: a rating that is not a
whole number from 1 to 4, a missing or malformed `review_id` (8 to 64 characters of
letters, digits, "_" and "-", made by the client once per review so that a retried
request counts once), a `duration_ms` that is not a whole number of milliseconds
under a day, unknown fields. A card id that is not one, another student's card, and a
card of a deleted note are all 404, as if they did not exist.
"""
from __future__ import annotations

import re
from typing import Any

from chalicelib.accounts import users
from chalicelib.core.errors import BadRequestError, NotFoundError
from chalicelib.http import validation
from chalicelib.reviews import card_store, cards, deck, log_export
from chalicelib.reviews.card_store import Scope
from chalicelib.reviews.scheduling import Settings

REVIEW_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
COURSE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MAX_SUBJECT_LENGTH = 100
MAX_DURATION_MS = 86_400_000


def settings(user_id: str) -> Settings:
    """The student's review preferences (defaults where unset)."""
    prefs = users.preferences(users.get_record(user_id))
    return Settings(desired_retention=float(prefs["desired_retention"]),
                    new_cards_per_day=int(prefs["new_cards_per_day"]),
                    reviews_per_day=int(prefs["reviews_per_day"]),
                    timezone=str(prefs["timezone"]))


def _scope(user_id: str, params: dict[str, Any]) -> Scope:
    subject = params.get("subject") or None  # empty: every subject
    course_id = params.get("course_id")
    if subject is not None and course_id is not None:
        raise BadRequestError("Give 'subject' or 'course_id', not both")
    if subject is not None:
        subject = validation.string(subject, "subject", max_length=MAX_SUBJECT_LENGTH)
    if course_id is not None:
        course_id = validation.string(course_id, "course_id", max_length=64,
                                      pattern=COURSE_ID, hint="a course id from GET /courses")
    return card_store.scope(user_id, subject=subject, course_id=course_id)


def due(user_id: str, params: dict[str, Any] | None) -> dict[str, Any]:
    query = validation.query_params(params, ("limit", "subject", "course_id"))
    limit = validation.page_size(query)
    return deck.due(_scope(user_id, query), settings(user_id), limit=limit)


def stats(user_id: str, params: dict[str, Any] | None) -> dict[str, Any]:
    query = validation.query_params(params, ("subject", "course_id"))
    return deck.stats(_scope(user_id, query), settings(user_id))


def review(user_id: str, card_id: str, body: Any) -> dict[str, Any]:
    if not cards.is_card_id(card_id):
        raise NotFoundError("Card not found")
    body = validation.object_body(body, required=("rating", "review_id"),
                                  optional=("duration_ms",))
    rating = body["rating"]
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 4:
        raise BadRequestError("'rating' must be a whole number from 1 to 4: 1 again, "
                              "2 hard, 3 good, 4 easy")
    review_id = body["review_id"]
    if not isinstance(review_id, str) or not REVIEW_ID.match(review_id):
        raise BadRequestError("'review_id' must be 8 to 64 letters, digits, '_' or '-', "
                              "made once per review (a retry sends the same one)")
    duration = body.get("duration_ms")
    if duration is not None and (isinstance(duration, bool) or not isinstance(duration, int)
                                 or not 0 <= duration <= MAX_DURATION_MS):
        raise BadRequestError(f"'duration_ms' must be a whole number from 0 to "
                              f"{MAX_DURATION_MS} (milliseconds)")
    return deck.review(user_id, card_id, settings(user_id), rating=rating,
                       review_id=review_id, duration_ms=duration)


def export(user_id: str, params: dict[str, Any] | None) -> dict[str, Any]:
    validation.query_params(params, ())
    return log_export.export_reviews(user_id)
