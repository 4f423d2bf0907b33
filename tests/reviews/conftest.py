"""What the review tests share: cards made by the real code from a grounded draft
(chalicelib.reviews.cards.from_draft, written by chalicelib.reviews.card_store), and a
log of every DynamoDB operation the app makes."""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.core import aws, config, db
from chalicelib.reviews import card_store, cards
from testkit.lectures import SENTENCES


def grounded_draft(questions: int = 3, concepts: int = 2, *,
                   unverified: tuple[int, ...] = ()) -> dict[str, Any]:
    """A draft as the grounding leaves it: items with quotes, timestamps and `verified`
    (the questions whose positions are in `unverified` were not found)."""
    return {
        "title": "Entropy", "summary": "Entropy and the second law.",
        "core_concepts": [{"term": f"Concept {i}", "definition": SENTENCES[i],
                           "quote": SENTENCES[i], "timestamp": 10.0 * i, "verified": True}
                          for i in range(concepts)],
        "key_points": [], "sections": [],
        "review_questions": [{"question": f"What does line {i} say?", "kind": "recall",
                              "answer": SENTENCES[i + 5], "quote": SENTENCES[i + 5],
                              "timestamp": 100.0 + i, "verified": i not in unverified}
                             for i in range(questions)],
    }


def make_cards(user_id: str, *, note_id: str | None = None, subject: str = "Physics",
               draft: dict[str, Any] | None = None, **counts: Any) -> list[dict[str, Any]]:
    note_id = note_id or uuid.uuid4().hex
    # Cards are only made for a note that exists (card_store checks it in each write).
    aws.client("dynamodb").put_item(TableName=config.notes_table(), Item=db.to_item({
        "note_id": note_id, "user_id": user_id, "title": "Entropy",
        "created_at": db.now_iso()}))
    wanted = cards.from_draft(user_id=user_id, note_id=note_id, note_title="Entropy",
                              subject=subject, youtube_video_id="sbPhysics01",
                              draft=draft or grounded_draft(**counts),
                              include_questions=True, created_at=db.now_iso())
    card_store.sync_note(user_id, note_id, wanted)
    return [dict(card) for card in wanted]


@pytest.fixture
def dynamodb_calls(stack: dict) -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """(operation, params) of every DynamoDB call made while the test runs."""
    calls: list[tuple[str, dict[str, Any]]] = []

    def record(model: Any, params: dict[str, Any], **_: Any) -> None:
        calls.append((model.name, params))

    events = aws.client("dynamodb").meta.events
    events.register("provide-client-params.dynamodb.*", record)
    try:
        yield calls
    finally:
        events.unregister("provide-client-params.dynamodb.*", record)
