"""A note's cards (docs/DESIGN.md section 12): its verified core concepts ("What is
X?") and review questions, with the quote and the link to the second of the video
where the answer is said. Pure: no AWS (chalicelib.reviews.card_store writes them).

Only an item the grounding found (`verified: true`: its quote is in the transcript and
its text states no number or negation the quote does not, chalicelib.notes.grounding)
becomes a card; a draft without grounding makes none. Review questions count only
when the note shows them (`include_questions`).

A card's id is derived from the note and the item (kind, text, quote), so a retried
job, or the same note saved again, makes no second card; it starts with the note's
id, so a note's cards are one key range of the user's partition.
"""
from __future__ import annotations

import hashlib
import re
from typing import Any

from chalicelib.reviews.records import Card, CardKind
from chalicelib.youtube.links import canonical_url

CARD_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}-[qc][0-9a-f]{16}$")
PUBLIC_FIELDS = ("card_id", "note_id", "note_title", "course_id", "subject", "kind",
                 "front", "back", "quote", "url", "state", "due", "last_review", "reps",
                 "lapses", "stability", "difficulty")
MAX_FRONT = 600
MAX_BACK = 2000


def card_id(note_id: str, kind: CardKind, text: str, quote: str) -> str:
    digest = hashlib.sha256(f"{note_id}\n{kind}\n{text}\n{quote}".encode()).hexdigest()
    return f"{note_id}-{kind[0]}{digest[:16]}"


def is_card_id(value: object) -> bool:
    return isinstance(value, str) and CARD_ID.match(value) is not None


def note_prefix(note_id: str) -> str:
    """What every card id (and review log key) of the note starts with."""
    return f"{note_id}-"


def due_key(card: Card) -> str:
    """The due-date access path's sort key: scheduled cards by due date (most overdue
    first), then new cards in the order their notes and items came."""
    if card["state"] == "new":
        return f"n#{card['created_at']}#{card['position']:04d}#{card['card_id']}"
    return f"d#{card['due']}#{card['card_id']}"


def scope_keys(card: Card) -> dict[str, str]:
    """The card's keys of the subject and course access paths (where it has them)."""
    keys = {}
    if card.get("subject"):
        keys["user_subject"] = f"{card['user_id']}#{card['subject']}"
    if card.get("course_id"):
        keys["user_course"] = f"{card['user_id']}#{card['course_id']}"
    return keys


def concept_front(term: str, said: str) -> str:
    """"What is X?" with the article the lecture puts before the term where it first
    says it ("What is the fluid mosaic model?"), none when it has none ("What is
    entropy?")."""
    spoken = re.search(rf"\b(?:(the|an|a)\s+)?{re.escape(term.lower())}\b", said.lower())
    article = f"{spoken.group(1)} " if spoken and spoken.group(1) else ""
    return f"What is {article}{term}?"


def _seconds(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        return None
    return int(value)


def from_draft(*, user_id: str, note_id: str, note_title: str, subject: str | None,
               youtube_video_id: str, draft: dict[str, Any], include_questions: bool,
               created_at: str, course_id: str | None = None) -> list[Card]:
    """The cards of a note's (grounded) draft, in note order: concepts, then questions."""
    items: list[tuple[CardKind, str, str, dict[str, Any]]] = []
    for concept in draft.get("core_concepts") or []:
        if isinstance(concept, dict) and concept.get("term") and concept.get("definition"):
            items.append(("concept", str(concept["term"]), str(concept["definition"]),
                          concept))
    if include_questions:
        for question in draft.get("review_questions") or []:
            if isinstance(question, dict) and question.get("question") and \
                    question.get("answer"):
                items.append(("question", str(question["question"]), str(question["answer"]),
                              question))
    cards: list[Card] = []
    seen: set[str] = set()
    tested: set[str] = set()  # the quotes a card already asks about
    for kind, front, back, item in items:
        second = _seconds(item.get("timestamp"))
        quote = str(item.get("quote") or "")
        if item.get("verified") is not True or second is None or not quote:
            continue  # never a card from an item the transcript does not bear out
        # One card per sentence of the lecture: "What is meant by 'fluid mosaic model'?"
        # after the concept card "What is the fluid mosaic model?", or a second blank
        # in the same sentence, would ask the student the same thing twice.
        said = " ".join(quote.casefold().split())
        if said in tested:
            continue
        tested.add(said)
        if kind == "concept":
            # The id keeps the plain "What is X?" it was first made from, so a card
            # keeps its history whatever article the front gains.
            ident = card_id(note_id, kind, f"What is {front}?", quote)
            front = concept_front(front, f"{quote} {back}")
        else:
            ident = card_id(note_id, kind, front, quote)
        if ident in seen:
            continue
        seen.add(ident)
        card: Card = {
            "user_id": user_id, "card_id": ident, "note_id": note_id,
            "note_title": note_title, "kind": kind, "front": front[:MAX_FRONT],
            "back": back[:MAX_BACK], "quote": quote,
            "url": f"{canonical_url(youtube_video_id)}&t={second}s",
            "position": len(cards), "created_at": created_at, "state": "new",
            "due": created_at, "reps": 0, "lapses": 0, "stability": None,
            "difficulty": None, "step": None, "last_review": None,
        }
        if subject:
            card["subject"] = subject
        if course_id:
            card["course_id"] = course_id
        card["due_key"] = due_key(card)
        card.update(scope_keys(card))  # type: ignore[typeddict-item]
        cards.append(card)
    return cards


def public_card(card: Card) -> dict[str, Any]:
    """The card as the API shows it (docs/DESIGN.md section 4)."""
    shown = {field: card.get(field) for field in PUBLIC_FIELDS}
    for optional in ("course_id", "subject"):
        if shown[optional] is None:
            del shown[optional]
    return shown
