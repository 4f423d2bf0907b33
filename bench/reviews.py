"""Reviews benchmark (docs/DESIGN.md section 12, issue 22).

(a) Our scheduling against the `fsrs` package's own Scheduler on 1,000 random review
    histories (the same parameters: FSRS-6 defaults and a desired retention drawn per
    history from 0.70-0.97; fuzz off), every card going through its stored form
    (DynamoDB's Decimal numbers, millisecond times) between reviews as in the app: a
    history counts as identical when every due date along it is the package's.
(b) The due list (GET /reviews/due, a page of 20) and a review (POST /reviews/{card_id})
    at 50 and at 50,000 cards (60% in review and overdue, 40% new): our own code's time
    (chalicelib.api.reviews down, minus the time inside DynamoDB calls, measured from
    botocore's events), median of REPEAT calls, and the ratio of the two deck sizes.
    The emulator's own time grows with the table (moto reads every item of a table for
    a Query and copies every table for a transaction), which DynamoDB's does not.
(c) The items a due page reads (Query ScannedCount plus GetItems found), at both sizes.
"""
from __future__ import annotations

import datetime
import functools
import random
import statistics
import time
import uuid
from collections.abc import Iterator
from typing import Any

import fsrs

from chalicelib.accounts import users
from chalicelib.accounts.tokens import Identity
from chalicelib.api import reviews as review_api
from chalicelib.core import aws, db
from chalicelib.reviews import card_store, cards, scheduling
from chalicelib.reviews.records import Card

HISTORIES = 1000
DECKS = (50, 50_000)
CARDS_PER_NOTE = 100
REPEAT = 7  # a Query of the emulator reads the whole table: 50,000 cards take seconds
START = datetime.datetime(2026, 1, 5, 9, 0, tzinfo=datetime.UTC)


# --- (a) the same due dates as the package ----------------------------------------------

def _history(rng: random.Random) -> list[tuple[int, datetime.timedelta]]:
    steps = []
    for _ in range(rng.randint(1, 20)):
        rating = rng.choices((1, 2, 3, 4), weights=(15, 15, 55, 15))[0]
        seconds = rng.choice((rng.uniform(20, 3600), rng.uniform(3600, 2 * 86400),
                              rng.uniform(0.5 * 86400, 120 * 86400)))
        steps.append((rating, datetime.timedelta(milliseconds=int(seconds * 1000))))
    return steps


def compare_with_package(histories: int = HISTORIES, seed: int = 22) -> dict[str, int]:
    """{"histories", "identical", "reviews"}: histories whose every due date is the
    package's."""
    rng = random.Random(seed)
    identical = reviews = 0
    for number in range(histories):
        retention = round(rng.uniform(0.70, 0.97), 2)
        package = fsrs.Scheduler(desired_retention=retention, enable_fuzzing=False)
        theirs = fsrs.Card(card_id=number + 1, due=START)
        ours: Any = {"user_id": "bench", "card_id": f"bench-q{number:016x}", "state": "new",
                     "due": scheduling.stored(START), "reps": 0, "lapses": 0,
                     "stability": None, "difficulty": None, "step": None,
                     "last_review": None}
        at, same = START, True
        for rating, wait in _history(rng):
            at += wait
            after = scheduling.review(ours, rating, at, retention, fuzz=False)
            ours = db.from_item(db.to_item({**ours, **after}))  # as the table gives it back
            theirs, _ = package.review_card(theirs, fsrs.Rating(rating), review_datetime=at)
            same = same and scheduling.parse(ours["due"]) == theirs.due
            reviews += 1
        identical += same
    return {"histories": histories, "identical": identical, "reviews": reviews}


# --- (b), (c) latency and reads against the emulator -----------------------------------------

class DynamoTimer:
    """Time spent inside DynamoDB calls, and the items they read (botocore events)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.items = 0
        self._started = 0.0

    def _start(self, **_: Any) -> None:
        self._started = time.perf_counter()

    def _end(self, parsed: dict[str, Any] | None = None, model: Any = None, **_: Any) -> None:
        self.seconds += time.perf_counter() - self._started
        if parsed and model is not None:
            if model.name == "Query":
                self.items += int(parsed.get("ScannedCount", parsed.get("Count", 0)))
            elif model.name == "GetItem":
                self.items += int("Item" in parsed)

    def __enter__(self) -> DynamoTimer:
        events = aws.client("dynamodb").meta.events
        events.register("provide-client-params.dynamodb.*", self._start)
        events.register("after-call.dynamodb.*", self._end)
        return self

    def __exit__(self, *_: Any) -> None:
        events = aws.client("dynamodb").meta.events
        events.unregister("provide-client-params.dynamodb.*", self._start)
        events.unregister("after-call.dynamodb.*", self._end)


def _deck(user_id: str, size: int, rng: random.Random) -> list[str]:
    """`size` cards: 60% in review and overdue by up to 30 days, the rest new, notes of
    CARDS_PER_NOTE. Written in batches as card_store.sync_note leaves them (without its
    transactions: moto copies every table for each one, which would make filling
    50,000 cards the slow part). Returns the ids of the reviewed ones."""
    now = scheduling.now()
    reviewed: list[str] = []
    written: list[Card] = []
    for first in range(0, size, CARDS_PER_NOTE):
        note_id = uuid.uuid4().hex
        for index in range(first, min(size, first + CARDS_PER_NOTE)):
            text = f"Question {index}?"
            card: Card = {
                "user_id": user_id, "card_id": cards.card_id(note_id, "question", text, text),
                "note_id": note_id, "note_title": f"Lecture {first // CARDS_PER_NOTE}",
                "kind": "question", "front": text, "back": "An answer of a sentence or two.",
                "quote": "what the lecturer said, word for word",
                "url": "https://www.youtube.com/watch?v=sbPhysics01&t=60s",
                "position": index - first, "created_at": scheduling.stored(now),
                "state": "new", "due": scheduling.stored(now), "reps": 0, "lapses": 0,
                "stability": None, "difficulty": None, "step": None, "last_review": None,
                "subject": "Physics", "user_subject": f"{user_id}#Physics"}
            if rng.random() < 0.6:
                due = now - datetime.timedelta(days=rng.uniform(0.01, 30))
                card.update({"state": "review", "reps": 3, "stability": rng.uniform(1, 40),
                             "difficulty": rng.uniform(2, 8), "due": scheduling.stored(due),
                             "last_review": scheduling.stored(due - datetime.timedelta(
                                 days=5))})
                reviewed.append(card["card_id"])
            card["due_key"] = cards.due_key(card)
            written.append(card)
    for first in range(0, len(written), 25):
        aws.client("dynamodb").batch_write_item(RequestItems={card_store.table(): [
            {"PutRequest": {"Item": db.to_item(card)}} for card in written[first:first + 25]]})
    return reviewed


def _user() -> str:
    user_id = f"bench-reviews-{uuid.uuid4().hex}"
    users.ensure_user(Identity(user_id=user_id, email=f"{user_id}@example.com", name="Bench",
                               expires_at=int(time.time()) + 3600, email_verified=True))
    return user_id


def _measure(call: Any) -> dict[str, float]:
    ours, items = [], []
    for _ in range(REPEAT):
        with DynamoTimer() as timer:
            started = time.perf_counter()
            call()
            total = time.perf_counter() - started
        ours.append(total - timer.seconds)
        items.append(timer.items)
    return {"ours_ms": statistics.median(ours) * 1000, "items": statistics.median(items)}


def _review_next(user_id: str, pending: Iterator[str]) -> None:
    review_api.review(user_id, next(pending), {"rating": 3, "review_id": uuid.uuid4().hex})


def run(stack: dict, env: Any) -> dict[str, Any]:
    results: dict[str, Any] = {"package": compare_with_package(), "decks": []}
    rng = random.Random(50)
    for size in DECKS:
        user_id = _user()
        started = time.perf_counter()
        reviewed = _deck(user_id, size, rng)
        filled = time.perf_counter() - started
        due = _measure(lambda user_id=user_id: review_api.due(user_id, {"limit": "20"}))
        rated = _measure(functools.partial(_review_next, user_id, iter(reviewed)))
        results["decks"].append({"cards": size, "fill_s": filled, "due": due,
                                 "review": rated})
    return results


def report(results: dict[str, Any]) -> list[str]:
    package = results["package"]
    small, large = results["decks"][0], results["decks"][-1]
    lines = ["", "## Reviews (FSRS-6)", "",
             f"Scheduling against the `fsrs` package's own Scheduler, fuzz off, the same "
             f"parameters: {package['identical']}/{package['histories']} random review "
             f"histories with every due date identical ({package['reviews']:,} reviews, "
             "each card through its stored form between reviews).", "",
             f"Our own code's time (the request layer down, DynamoDB calls excluded), "
             f"median of {REPEAT}; items read per due page (Query ScannedCount and "
             "GetItems found):", "",
             "| cards | due page of 20 (ms) | items read per due page | review (ms) "
             "| items read per review |", "|---|---|---|---|---|"]
    for deck in results["decks"]:
        lines.append(f"| {deck['cards']:,} | {deck['due']['ours_ms']:.2f} | "
                     f"{deck['due']['items']:.0f} | {deck['review']['ours_ms']:.2f} | "
                     f"{deck['review']['items']:.0f} |")
    lines += ["", f"Ratio {large['cards']:,} / {small['cards']:,} cards: due page "
              f"{large['due']['ours_ms'] / small['due']['ours_ms']:.2f}x, review "
              f"{large['review']['ours_ms'] / small['review']['ours_ms']:.2f}x. A due page "
              "reads the page, today's counters and the user record; when the page is "
              "full, counting what is left reads up to the day's limits "
              "(reviews_per_day, new_cards_per_day), never the deck."]
    return lines
