"""A student's deck: what is due, a review, the stats (docs/DESIGN.md section 12).
Requests are read by chalicelib.api.reviews; the table is chalicelib.reviews.card_store's.

Days start at midnight in the student's time zone. The daily limits are the
student's, across every subject: `new_cards_per_day` new cards may be introduced a day
(a new card counts once first rated), and `reviews_per_day` reviews of cards already
introduced. The due list is the cards due now, most overdue first, then new cards in
the order their notes came, up to what the day's limits leave.
"""
from __future__ import annotations

import datetime
from typing import Any

from chalicelib.core.errors import ConflictError, NotFoundError, ReviewAlreadyRecorded
from chalicelib.reviews import card_store, cards, scheduling
from chalicelib.reviews.card_store import Scope
from chalicelib.reviews.records import Card, ReviewLog
from chalicelib.reviews.scheduling import Settings

RETENTION_DAYS = 30
STREAK_MAX_DAYS = 400  # a streak is counted over at most this many day items (one Query)


def _left_today(user_id: str, settings: Settings, today: datetime.date) -> tuple[int, int]:
    """(reviews, new cards) the day's limits still allow: one GetItem."""
    counters = card_store.day(user_id, today)
    introduced = int(counters.get("new_all", 0))
    reviewed = int(counters.get("reviews_all", 0)) - introduced
    return (max(0, settings.reviews_per_day - reviewed),
            max(0, settings.new_cards_per_day - introduced))


def _shown(card: Card, at: datetime.datetime, settings: Settings) -> dict[str, Any]:
    return {**cards.public_card(card), "next_intervals": scheduling.next_intervals(
        card, at, settings.desired_retention)}


def due(where: Scope, settings: Settings, *, limit: int) -> dict[str, Any]:
    """{cards, count, due_count, new_count}: a page of what to review now, each card
    with its next_intervals. due_count and new_count are what the day's limits let in,
    counted up to those limits (so the reads are bounded by them)."""
    at = scheduling.now()
    reviews_left, new_left = _left_today(where.user_id, settings,
                                         scheduling.local_day(at, settings.timezone))
    until = scheduling.stored(at)
    due_limit = min(limit, reviews_left)
    scheduled = card_store.due_page(where, "d", limit=due_limit, until=until)
    new_limit = min(limit - len(scheduled), new_left)
    fresh = card_store.due_page(where, "n", limit=new_limit)
    due_count = len(scheduled) if len(scheduled) < due_limit or due_limit == reviews_left \
        else card_store.count(where, "d", cap=reviews_left, until=until)
    new_count = len(fresh) if len(fresh) < new_limit or new_limit == new_left \
        else card_store.count(where, "n", cap=new_left)
    shown = [_shown(card, at, settings) for card in scheduled + fresh]
    return {"cards": shown, "count": len(shown), "due_count": due_count,
            "new_count": new_count}


def _counters(card: Card, rating: int) -> dict[str, int]:
    counters: dict[str, int] = {}
    for suffix in card_store.suffixes(card):
        counters[f"reviews_{suffix}"] = 1
        if card["state"] == "new":
            counters[f"new_{suffix}"] = 1
        if card["state"] == "review":  # a recall after a delay: what retention measures
            counters[f"graded_{suffix}"] = 1
            counters[f"passed_{suffix}"] = int(rating >= 2)
    return counters


def _replayed(card: Card, logged: ReviewLog, rating: int,
              settings: Settings) -> dict[str, Any]:
    """A review id seen before: the card as that review left it."""
    if int(logged["rating"]) != rating:
        raise ReviewAlreadyRecorded(
            f"review_id {logged['review_id']} was recorded with rating {logged['rating']}; "
            "send a new review_id for a new review")
    left: Card = {**card, **logged["after"]}
    return _shown(left, scheduling.now(), settings)


def review(user_id: str, card_id: str, settings: Settings, *, rating: int, review_id: str,
           duration_ms: int | None = None, at: datetime.datetime | None = None
           ) -> dict[str, Any]:
    """Apply a rating: the card after it, with next_intervals. The same review_id again
    answers the card as that review left it. A review that meets a concurrent one is
    tried once more on the card as it then is, else 409: no review is ever lost.
    `at` (now by default) is for demo data (`make seed`): the API never sets it."""
    for _ in range(2):
        card = card_store.get(user_id, card_id)
        if card is None:
            raise NotFoundError("Card not found")
        logged = card_store.get_log(user_id, card_id, review_id)
        if logged is not None:
            return _replayed(card, logged, rating, settings)
        when = scheduling.to_millisecond(at) if at else scheduling.now()
        after = scheduling.review(card, rating, when, settings.desired_retention)
        log: ReviewLog = {
            "user_id": user_id, "card_id": card_store.log_key(card_id, review_id),
            "of_card": card_id, "note_id": card["note_id"], "review_id": review_id,
            "rating": rating, "reviewed_at": scheduling.stored(when),
            "duration_ms": duration_ms, "state_before": card["state"],
            "day": scheduling.local_day(when, settings.timezone).isoformat(), "after": after}
        try:
            updated = card_store.record_review(card, after, log, _counters(card, rating))
        except card_store.AlreadyLogged:
            continue  # a retry of this very request won: answer as it left the card
        except card_store.CardChanged:
            continue  # another review (or a deletion) came first: read the card again
        return _shown(updated, when, settings)
    card = card_store.get(user_id, card_id)
    logged = card_store.get_log(user_id, card_id, review_id)
    if card is None:
        raise NotFoundError("Card not found")
    if logged is not None:
        return _replayed(card, logged, rating, settings)
    raise ConflictError("This card was being reviewed elsewhere at the same moment; "
                        "fetch it again and rate it once more")


def stats(where: Scope, settings: Settings) -> dict[str, Any]:
    """{due_today, new_today, reviewed_today, cards, retention_30d, streak_days}.

    Bounded reads: one GetItem for today's counters, COUNT Queries capped by what the
    day's limits let in, one GetItem for the card counts, and one Query of at most
    STREAK_MAX_DAYS day items (the last 30 of them give the retention)."""
    at = scheduling.now()
    today = scheduling.local_day(at, settings.timezone)
    reviews_left, new_left = _left_today(where.user_id, settings, today)
    end = scheduling.stored(scheduling.day_end(today, settings.timezone))
    days = card_store.recent_days(where.user_id, today, STREAK_MAX_DAYS)
    by_day = {item["card_id"].removeprefix(card_store.DAY_PREFIX): item for item in days}
    suffix = where.suffix
    first = today - datetime.timedelta(days=RETENTION_DAYS - 1)
    recent = [item for name, item in by_day.items()
              if datetime.date.fromisoformat(name) >= first]
    graded = sum(int(item.get(f"graded_{suffix}", 0)) for item in recent)
    passed = sum(int(item.get(f"passed_{suffix}", 0)) for item in recent)
    return {
        "due_today": card_store.count(where, "d", cap=reviews_left, until=end),
        "new_today": card_store.count(where, "n", cap=new_left),
        "reviewed_today": int(by_day.get(today.isoformat(), {}).get(f"reviews_{suffix}", 0)),
        "cards": max(0, int(card_store.card_counts(where.user_id).get(f"cards_{suffix}", 0))),
        "retention_30d": round(passed / graded, 4) if graded else None,
        "streak_days": _streak(by_day, suffix, today),
    }


def _streak(by_day: dict[str, dict[str, Any]], suffix: str, today: datetime.date) -> int:
    """Consecutive days with a review, ending today (or yesterday, today not begun)."""
    def reviewed(day: datetime.date) -> bool:
        return int(by_day.get(day.isoformat(), {}).get(f"reviews_{suffix}", 0)) > 0

    day = today if reviewed(today) else today - datetime.timedelta(days=1)
    streak = 0
    while reviewed(day):
        streak += 1
        day -= datetime.timedelta(days=1)
    return streak
