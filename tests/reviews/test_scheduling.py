"""FSRS-6 through the `fsrs` package (docs/DESIGN.md section 12): with fuzz off our
scheduling is the package's to the millisecond, through the stored form and back; the
seeded fuzz stays in the package's range and repeats itself; next_intervals never
decrease from again to easy; days start in the student's time zone."""
from __future__ import annotations

import datetime
import random
from typing import Any

import fsrs
import pytest

from chalicelib.core import db
from chalicelib.reviews import scheduling
from chalicelib.reviews.records import Card

START = datetime.datetime(2026, 3, 1, 8, 30, 15, 123000, tzinfo=datetime.UTC)


def new_card(card_id: str = "note-q0123456789abcdef", at: datetime.datetime = START) -> Card:
    return {"user_id": "u", "card_id": card_id, "note_id": "note", "note_title": "t",
            "kind": "question", "front": "f", "back": "b", "quote": "q", "url": "u",
            "position": 0, "created_at": scheduling.stored(at), "state": "new",
            "due": scheduling.stored(at), "reps": 0, "lapses": 0, "stability": None,
            "difficulty": None, "step": None, "last_review": None}


def stored_round_trip(card: Card) -> Card:
    """The card as DynamoDB gives it back (floats as Decimal and back)."""
    return db.from_item(db.to_item(card))  # type: ignore[return-value]


def history(rng: random.Random, length: int) -> list[tuple[int, datetime.timedelta]]:
    """Ratings and the waits before them: minutes in learning, days later on, some
    early and some late."""
    steps = []
    for _ in range(length):
        rating = rng.choices((1, 2, 3, 4), weights=(15, 15, 55, 15))[0]
        wait = rng.choice((datetime.timedelta(seconds=rng.randint(30, 3600)),
                           datetime.timedelta(hours=rng.uniform(1, 30)),
                           datetime.timedelta(days=rng.uniform(0.5, 90))))
        steps.append((rating, datetime.timedelta(milliseconds=int(wait.total_seconds() * 1000))))
    return steps


@pytest.mark.parametrize("retention", [0.7, 0.9, 0.97])
def test_fuzz_off_is_the_package_to_the_millisecond(retention: float) -> None:
    rng = random.Random(retention)
    package = fsrs.Scheduler(desired_retention=retention, enable_fuzzing=False)
    for _ in range(100):
        ours, theirs = new_card(), fsrs.Card(card_id=1, due=START)
        at = START
        for rating, wait in history(rng, rng.randint(1, 15)):
            at += wait
            after = scheduling.review(ours, rating, at, retention, fuzz=False)
            ours = stored_round_trip({**ours, **after})  # type: ignore[typeddict-item]
            theirs, _ = package.review_card(theirs, fsrs.Rating(rating), review_datetime=at)
            assert scheduling.parse(ours["due"]) == theirs.due
            assert ours["stability"] == theirs.stability
            assert ours["difficulty"] == theirs.difficulty
            assert ours["state"] == {1: "learning", 2: "review", 3: "relearning"}[theirs.state]


def test_a_review_cut_to_the_millisecond_is_stored_exactly() -> None:
    at = START + datetime.timedelta(microseconds=456789)
    after = scheduling.review(new_card(), 3, at, 0.9)
    assert after["last_review"] == "2026-03-01T08:30:15.579Z"
    assert scheduling.parse(after["due"]) - scheduling.parse(after["last_review"]) == \
        datetime.timedelta(minutes=10)


def review_state(stability: float, card_id: str = "note-q0123456789abcdef") -> Card:
    return {**new_card(card_id), "state": "review", "stability": stability,  # type: ignore[typeddict-item]
            "difficulty": 5.0, "reps": 4, "last_review": scheduling.stored(START),
            "due": scheduling.stored(START + datetime.timedelta(days=30))}


def test_seeded_fuzz_repeats_itself_and_stays_in_the_packages_range() -> None:
    at = START + datetime.timedelta(days=30)
    card = review_state(30.0)
    first = scheduling.review(card, 3, at, 0.9)
    assert all(scheduling.review(card, 3, at, 0.9) == first for _ in range(5))
    plain = scheduling.parse(scheduling.review(card, 3, at, 0.9, fuzz=False)["due"])
    package = fsrs.Scheduler(enable_fuzzing=True)
    theirs = {package.review_card(scheduling.to_fsrs(card), fsrs.Rating.Good,
                                  review_datetime=at)[0].due for _ in range(3000)}
    ours = {scheduling.parse(scheduling.review(review_state(30.0, f"n-q{i:016x}"), 3, at,
                                               0.9)["due"]) for i in range(300)}
    assert len(ours) > 3 and plain in theirs  # it does spread cards, around the plain day
    assert min(theirs) <= min(ours) and max(ours) <= max(theirs)


def test_fuzz_leaves_short_intervals_alone() -> None:
    card = new_card()
    for rating in (1, 2, 3):
        assert scheduling.review(card, rating, START, 0.9) == \
            scheduling.review(card, rating, START, 0.9, fuzz=False)


@pytest.mark.parametrize("fuzz", [True, False])
def test_next_intervals_never_decrease_from_again_to_easy(fuzz: bool) -> None:
    rng = random.Random(7)
    for index in range(200):
        card = new_card(f"n-q{index:016x}")
        at = START
        for rating, wait in history(rng, rng.randint(0, 10)):
            at += wait
            card = {**card, **scheduling.review(card, rating, at, 0.9,  # type: ignore[typeddict-item]
                                                fuzz=fuzz)}
        at += datetime.timedelta(days=rng.uniform(0, 60))
        retention = rng.uniform(0.7, 0.97)
        shown = scheduling.next_intervals(card, at, retention, fuzz=fuzz)
        seconds = [shown[str(rating)] for rating in (1, 2, 3, 4)]
        assert seconds == sorted(seconds) and seconds[0] > 0, (card, shown)
        for rating in (1, 2, 3, 4):  # what the button shows is what the rating does
            due = scheduling.parse(scheduling.review(card, rating, at, retention,
                                                     fuzz=fuzz)["due"])
            assert round((due - scheduling.to_millisecond(at)).total_seconds()) == \
                shown[str(rating)]


def test_lapses_count_forgotten_reviews_only() -> None:
    card: Any = review_state(10.0)
    at = START + datetime.timedelta(days=12)
    forgot = scheduling.review(card, 1, at, 0.9)
    assert forgot["state"] == "relearning" and forgot["lapses"] == 1 and forgot["reps"] == 5
    assert scheduling.review(new_card(), 1, START, 0.9)["lapses"] == 0


def test_days_start_in_the_students_time_zone() -> None:
    late = datetime.datetime(2026, 3, 1, 23, 30, tzinfo=datetime.UTC)
    assert scheduling.local_day(late, "UTC") == datetime.date(2026, 3, 1)
    assert scheduling.local_day(late, "Pacific/Auckland") == datetime.date(2026, 3, 2)
    assert scheduling.local_day(late, "America/Los_Angeles") == datetime.date(2026, 3, 1)
    assert scheduling.day_end(datetime.date(2026, 3, 1), "Europe/Berlin") == \
        datetime.datetime(2026, 3, 1, 23, 0, tzinfo=datetime.UTC)
    assert scheduling.local_day(late, "Not/AZone") == datetime.date(2026, 3, 1)  # UTC
    assert scheduling.is_timezone("Europe/Berlin") and not scheduling.is_timezone("Mars/Base")
