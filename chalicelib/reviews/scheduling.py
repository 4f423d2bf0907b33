"""FSRS-6 through the `fsrs` package (py-fsrs, pinned in requirements.txt): default
parameters, the student's desired retention (docs/DESIGN.md section 12). No AWS here:
a card's stored scheduling in, the scheduling after a rating out.

The package keeps no "new" state: a new card is its Learning state at step 0 with no
stability yet. Times are kept to the millisecond (the stored form,
chalicelib.core.db.iso_from_epoch), and a review's moment is cut to the millisecond
before FSRS sees it, so a card read back schedules exactly as the package would
have scheduled it (bench/reviews.py checks it on 1,000 random histories).

Fuzz: on (py-fsrs's default), so cards learnt together do not fall due together
forever; but seeded by the card and its review count instead of the process's random
state, so the interval `next_intervals` shows on a button is the interval that
rating then gives, and a retried review computes the same due date. The seeded fuzz
draws from the package's own range (fsrs.scheduler.FUZZ_RANGES) and is applied where
the package applies it (a card in Review, an interval of 3 days or more). Off
(`fuzz=False`) the result is the package's to the millisecond.
"""
from __future__ import annotations

import datetime
import functools
import hashlib
import random
import zoneinfo
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import fsrs
from fsrs.scheduler import FUZZ_RANGES

from chalicelib.reviews.records import Card, CardState, Scheduling

DEFAULT_RETENTION = 0.90
MIN_RETENTION, MAX_RETENTION = 0.70, 0.97
DEFAULT_NEW_CARDS_PER_DAY = 20
DEFAULT_REVIEWS_PER_DAY = 200
MAX_NEW_CARDS_PER_DAY = 500
MAX_REVIEWS_PER_DAY = 2000
DEFAULT_TIMEZONE = "UTC"
FUZZ = True
RATINGS = (1, 2, 3, 4)  # again, hard, good, easy

_STATE = {fsrs.State.Learning: "learning", fsrs.State.Review: "review",
          fsrs.State.Relearning: "relearning"}
_FSRS_STATE = {"new": fsrs.State.Learning, "learning": fsrs.State.Learning,
               "review": fsrs.State.Review, "relearning": fsrs.State.Relearning}


@dataclass(frozen=True)
class Settings:
    """The student's review preferences (chalicelib.accounts.users keeps them)."""

    desired_retention: float = DEFAULT_RETENTION
    new_cards_per_day: int = DEFAULT_NEW_CARDS_PER_DAY
    reviews_per_day: int = DEFAULT_REVIEWS_PER_DAY
    timezone: str = DEFAULT_TIMEZONE


# --- time ---------------------------------------------------------------------------

def now() -> datetime.datetime:
    """UTC now, to the millisecond (what is stored)."""
    return to_millisecond(datetime.datetime.now(datetime.UTC))


def to_millisecond(moment: datetime.datetime) -> datetime.datetime:
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def stored(moment: datetime.datetime) -> str:
    """The stored form: ISO-8601 UTC with milliseconds and a Z (sorts as text)."""
    moment = moment.astimezone(datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(
        datetime.UTC)


@functools.cache
def _known_zones() -> frozenset[str]:
    # The system's files beside the zones are not zones a student lives in.
    return frozenset(zoneinfo.available_timezones()) - {"localtime", "posixrules", "Factory"}


def zone(name: str) -> ZoneInfo:
    """The IANA zone; UTC for a name that is not one (never a 500)."""
    return ZoneInfo(name if is_timezone(name) else DEFAULT_TIMEZONE)


def is_timezone(name: str) -> bool:
    """A zone name from the IANA database: not a folder of it ("America": ZoneInfo
    raises IsADirectoryError there), nor "localtime" or another file beside it."""
    return name in _known_zones()


def local_day(moment: datetime.datetime, timezone: str) -> datetime.date:
    """The student's day that `moment` falls on."""
    return moment.astimezone(zone(timezone)).date()


def day_end(day: datetime.date, timezone: str) -> datetime.datetime:
    """When the student's `day` ends (the next one starts), in UTC."""
    start = datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time(0),
                                      tzinfo=zone(timezone))
    return start.astimezone(datetime.UTC)


# --- FSRS ---------------------------------------------------------------------------

class _SeededScheduler(fsrs.Scheduler):
    """The package's scheduler, its fuzz drawn from a seed instead of `random()`."""

    def __init__(self, desired_retention: float, seed: int) -> None:
        super().__init__(desired_retention=desired_retention, enable_fuzzing=True)
        self._seed = seed

    def _get_fuzzed_interval(self, *, interval: datetime.timedelta) -> datetime.timedelta:
        days = interval.days
        if days < 2.5:
            return interval
        delta = 1.0
        for span in FUZZ_RANGES:
            delta += span["factor"] * max(min(float(days), span["end"]) - span["start"], 0.0)
        high = min(round(days + delta), self.maximum_interval)
        low = min(max(2, round(days - delta)), high)
        drawn = random.Random(self._seed).random() * (high - low + 1) + low  # noqa: S311
        return datetime.timedelta(days=min(round(drawn), self.maximum_interval))


@functools.lru_cache(maxsize=64)
def _plain_scheduler(desired_retention: float) -> fsrs.Scheduler:
    return fsrs.Scheduler(desired_retention=desired_retention, enable_fuzzing=False)


def scheduler(desired_retention: float, *, fuzz: bool = FUZZ, card_id: str = "",
              reps: int = 0) -> fsrs.Scheduler:
    """FSRS-6 with default parameters; with fuzz, seeded by the card and its reps."""
    if not fuzz:
        return _plain_scheduler(desired_retention)
    seed = int.from_bytes(hashlib.sha256(f"{card_id}:{reps}".encode()).digest()[:8], "big")
    return _SeededScheduler(desired_retention, seed)


def to_fsrs(card: Card | Scheduling) -> fsrs.Card:
    """The package's card for a stored one (card_id is not the package's concern: 0)."""
    state = card["state"]
    step = card.get("step")
    if state in ("new", "learning", "relearning") and step is None:
        step = 0
    last = card.get("last_review")
    return fsrs.Card(card_id=0, state=_FSRS_STATE[state], step=step,
                     stability=None if state == "new" else card["stability"],
                     difficulty=None if state == "new" else card["difficulty"],
                     due=parse(card["due"]), last_review=parse(last) if last else None)


def review(card: Card, rating: int, at: datetime.datetime, desired_retention: float, *,
           fuzz: bool = FUZZ) -> Scheduling:
    """The card's scheduling after `rating` at `at` (cut to the millisecond)."""
    at = to_millisecond(at.astimezone(datetime.UTC))
    before: CardState = card["state"]
    chosen = scheduler(desired_retention, fuzz=fuzz, card_id=card["card_id"],
                       reps=int(card["reps"]))
    after, _ = chosen.review_card(to_fsrs(card), fsrs.Rating(rating), review_datetime=at)
    assert after.last_review is not None  # noqa: S101 - the package sets it
    state: CardState = _STATE[after.state]  # type: ignore[assignment]
    lapse = before == "review" and rating == 1
    return {"state": state, "due": stored(after.due), "reps": int(card["reps"]) + 1,
            "lapses": int(card["lapses"]) + int(lapse),
            "stability": after.stability, "difficulty": after.difficulty,
            "step": after.step, "last_review": stored(after.last_review)}


def next_intervals(card: Card, at: datetime.datetime, desired_retention: float, *,
                   fuzz: bool = FUZZ) -> dict[str, int]:
    """{"1": s, ..., "4": s}: the seconds until the card would be due if rated so at
    `at` (non-decreasing from again to easy)."""
    at = to_millisecond(at.astimezone(datetime.UTC))
    return {str(rating): round((parse(review(card, rating, at, desired_retention,
                                             fuzz=fuzz)["due"]) - at).total_seconds())
            for rating in RATINGS}
