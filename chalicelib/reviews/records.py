"""The items of the cards table (docs/DESIGN.md sections 4, 5 and 12), keyed by
(user_id, card_id): a card with its FSRS state, one log item per review, and the
user's counters. TypedDicts: the plain items DynamoDB reads and writes. Only
chalicelib.reviews.card_store writes them.

The sort key `card_id` holds, per kind of item:
- a card: "{note_id}-{q|c}{16 hex}" (chalicelib.reviews.cards.card_id), so a note's
  cards are one key range (begins_with "{note_id}-");
- a review log: "{card_id}#{review_id}", just after its card (same range);
- a day's counters: "#day#YYYY-MM-DD" (the student's day, in their time zone);
- the card counts: "#counts".
"""
from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

CardKind = Literal["question", "concept"]
CardState = Literal["new", "learning", "review", "relearning"]


class Card(TypedDict):
    user_id: str
    card_id: str  # derived from the note and the item: a retried job makes no second card
    note_id: str
    note_title: str
    kind: CardKind
    front: str
    back: str
    quote: str  # the verified quote the answer rests on
    url: str  # the video at the quote's second
    position: int  # the item's place in the note: new cards come in note order
    created_at: str
    state: CardState
    due: str
    reps: int
    lapses: int
    stability: float | None  # None while new
    difficulty: float | None
    step: NotRequired[int | None]  # FSRS's learning or relearning step
    last_review: NotRequired[str | None]
    last_review_id: NotRequired[str]
    course_id: NotRequired[str]
    subject: NotRequired[str]
    # The due-date access paths (sparse: only cards carry them; chalicelib.reviews.cards
    # due_key): "d#{due}#{card_id}" once scheduled, "n#{created}#{position}#{card_id}" new.
    due_key: NotRequired[str]
    user_subject: NotRequired[str]  # "{user_id}#{subject}": SubjectDueIndex
    user_course: NotRequired[str]  # "{user_id}#{course_id}": CourseDueIndex


class Scheduling(TypedDict):
    """What a review changes on a card (and what its log keeps of the card after it)."""

    state: CardState
    due: str
    reps: int
    lapses: int
    stability: float | None
    difficulty: float | None
    step: int | None
    last_review: str | None


class ReviewLog(TypedDict):
    """One review, kept (the student's data: an export and a future optimiser read it).
    Its key makes a retried request count once; `after` is the card as it left it."""

    user_id: str
    card_id: str  # "{card}#{review_id}"
    of_card: str
    note_id: str  # deleted with the note's cards
    review_id: str
    rating: int  # 1 again, 2 hard, 3 good, 4 easy
    reviewed_at: str
    duration_ms: NotRequired[int | None]
    state_before: CardState
    day: str  # the student's day it counted on
    after: Scheduling
