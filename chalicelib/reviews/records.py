"""The card record (docs/DESIGN.md sections 4, 5 and 12): one item of the cards table,
keyed by (user_id, card_id), with its FSRS state. A TypedDict: the plain item DynamoDB
reads and writes."""
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
    state: CardState
    due: str
    reps: int
    lapses: int
    stability: float
    difficulty: float
    last_review: NotRequired[str | None]
    course_id: NotRequired[str]
    subject: NotRequired[str]
    due_key: NotRequired[str]  # the sparse due-date access path: only schedulable cards
