"""The cards table (docs/DESIGN.md section 5): the only module that writes it.

One partition per student (user_id); the sort key `card_id` holds cards, their review
logs, the student's day counters and card counts (chalicelib.reviews.records says
which key is which). Three sparse access paths hold the cards only (the items that
carry `due_key`): DueIndex (user_id), SubjectDueIndex (user_subject) and
CourseDueIndex (user_course), each sorted by `due_key`, so a page of due cards is one
Query that reads the page and nothing else, whether the student has 50 cards or
50,000 (no Scan anywhere).

Writes:
- a note's cards are put and deleted (`sync_note`) in transactions of at most
  MAX_TRANSACTION items, each with the counts it moves, every put conditioned on the
  card being absent and every delete on it being there, so a retried or concurrent
  sync never counts a card twice;
- a review (`record_review`) is one transaction: the card's new scheduling
  conditioned on the review count it was read with (a concurrent review fails it:
  nothing is lost, the caller reads again), the log item conditioned on being new (its
  key is the client's review id: a retried request counts once), and the day's
  counters.
"""
from __future__ import annotations

import datetime
import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, cast

from chalicelib.core import aws, config, db
from chalicelib.reviews import cards
from chalicelib.reviews.records import Card, ReviewLog, Scheduling

MAX_TRANSACTION = 100
COUNTS_KEY = "#counts"
DAY_PREFIX = "#day#"
DUE_INDEX, SUBJECT_INDEX, COURSE_INDEX = "DueIndex", "SubjectDueIndex", "CourseDueIndex"


def table() -> str:
    return config.required("CARDS_TABLE")


class CardChanged(Exception):
    """The card is no longer as read (another review, or it was deleted)."""


class AlreadyLogged(Exception):
    """A review with this id is recorded already."""


# --- scopes: the whole deck, a subject, a course ----------------------------------------

@dataclass(frozen=True)
class Scope:
    """Which cards a due list or a stat covers, and where they are found."""

    user_id: str
    index: str
    key_name: str
    key_value: str
    suffix: str  # of the counter attributes that count this scope


def _suffix(kind: str, name: str) -> str:
    return kind + hashlib.sha256(name.encode()).hexdigest()[:12]


def scope(user_id: str, *, subject: str | None = None, course_id: str | None = None) -> Scope:
    if course_id:
        return Scope(user_id, COURSE_INDEX, "user_course", f"{user_id}#{course_id}",
                     _suffix("c", course_id))
    if subject:
        return Scope(user_id, SUBJECT_INDEX, "user_subject", f"{user_id}#{subject}",
                     _suffix("s", subject))
    return Scope(user_id, DUE_INDEX, "user_id", user_id, "all")


def suffixes(card: Card) -> list[str]:
    """The counter suffixes of every scope the card is in."""
    found = ["all"]
    if card.get("subject"):
        found.append(_suffix("s", str(card["subject"])))
    if card.get("course_id"):
        found.append(_suffix("c", str(card["course_id"])))
    return found


# --- keys -------------------------------------------------------------------------------

def log_key(card_id: str, review_id: str) -> str:
    return f"{card_id}#{review_id}"


def day_key(day: datetime.date) -> str:
    return f"{DAY_PREFIX}{day.isoformat()}"


def _key(user_id: str, sort_key: str) -> dict[str, Any]:
    return db.to_item({"user_id": user_id, "card_id": sort_key})


# --- reads ------------------------------------------------------------------------------

def get(user_id: str, card_id: str) -> Card | None:
    item = db.get(table(), {"user_id": user_id, "card_id": card_id}, consistent=True)
    return cast(Card, item) if item is not None and "due_key" in item else None


def get_log(user_id: str, card_id: str, review_id: str) -> ReviewLog | None:
    item = db.get(table(), {"user_id": user_id, "card_id": log_key(card_id, review_id)},
                  consistent=True)
    return cast(ReviewLog, item) if item is not None else None


def _note_items(user_id: str, note_id: str) -> Iterator[dict[str, Any]]:
    """Every card and review log of the note (one key range)."""
    for item in db.query_items(
            TableName=table(), ConsistentRead=True,
            KeyConditionExpression="user_id = :u AND begins_with(card_id, :p)",
            ExpressionAttributeValues=db.values(u=user_id, p=cards.note_prefix(note_id))):
        if item.get("note_id") == note_id:
            yield item


def student_items(user_id: str) -> Iterator[dict[str, Any]]:
    """Every card and review log of the student, a page at a time (one key range: the
    student's partition; their day counters and counts are left out)."""
    for item in db.query_items(TableName=table(), KeyConditionExpression="user_id = :u",
                               ExpressionAttributeValues=db.values(u=user_id)):
        if not str(item.get("card_id", "")).startswith("#"):
            yield item


def note_cards(user_id: str, note_id: str) -> list[Card]:
    return [cast(Card, item) for item in _note_items(user_id, note_id) if "due_key" in item]


def _due_condition(where: Scope, kind: str, until: str | None) -> dict[str, Any]:
    if kind == "d":  # scheduled, due by `until`: "d#{due}#{card_id}" <= "d#{until}#~"
        return {"KeyConditionExpression": "#k = :k AND due_key BETWEEN :low AND :high",
                "ExpressionAttributeValues": db.values(k=where.key_value, low="d#",
                                                       high=f"d#{until}#~")}
    return {"KeyConditionExpression": "#k = :k AND begins_with(due_key, :new)",
            "ExpressionAttributeValues": db.values(k=where.key_value, new="n#")}


def due_page(where: Scope, kind: str, *, limit: int, until: str | None = None) -> list[Card]:
    """Up to `limit` cards of the scope, earliest first: kind "d" scheduled cards due by
    `until`, "n" new cards in note order. One Query (a page of at most 100 cards)."""
    if limit <= 0:
        return []
    response = aws.client("dynamodb").query(
        TableName=table(), IndexName=where.index, ScanIndexForward=True, Limit=limit,
        ExpressionAttributeNames={"#k": where.key_name}, **_due_condition(where, kind, until))
    return [cast(Card, db.from_item(item)) for item in response.get("Items", [])]


def count(where: Scope, kind: str, *, cap: int, until: str | None = None) -> int:
    """How many cards due_page would find, counted up to `cap` (the reads stop there)."""
    total, start = 0, None
    while total < cap:
        params: dict[str, Any] = {
            "TableName": table(), "IndexName": where.index, "Select": "COUNT",
            "Limit": cap - total, "ExpressionAttributeNames": {"#k": where.key_name},
            **_due_condition(where, kind, until)}
        if start:
            params["ExclusiveStartKey"] = start
        response = aws.client("dynamodb").query(**params)
        total += int(response.get("Count", 0))
        start = response.get("LastEvaluatedKey")
        if not start:
            break
    return min(total, cap)


def day(user_id: str, when: datetime.date) -> dict[str, Any]:
    """The student's counters of one day ({} before their first review that day)."""
    return db.get(table(), {"user_id": user_id, "card_id": day_key(when)}) or {}


def recent_days(user_id: str, last: datetime.date, limit: int) -> list[dict[str, Any]]:
    """The day items up to `last`, newest first, at most `limit` (one bounded Query)."""
    response = aws.client("dynamodb").query(
        TableName=table(), ScanIndexForward=False, Limit=limit,
        KeyConditionExpression="user_id = :u AND card_id BETWEEN :low AND :high",
        ExpressionAttributeValues=db.values(u=user_id, low=DAY_PREFIX,
                                            high=day_key(last)))
    return [db.from_item(item) for item in response.get("Items", [])]


def card_counts(user_id: str) -> dict[str, Any]:
    return db.get(table(), {"user_id": user_id, "card_id": COUNTS_KEY}) or {}


# --- a note's cards ---------------------------------------------------------------------

def _counts_update(user_id: str, deltas: dict[str, int]) -> dict[str, Any]:
    names = {f"#n{i}": f"cards_{suffix}" for i, suffix in enumerate(sorted(deltas))}
    values = {f"d{i}": deltas[suffix] for i, suffix in enumerate(sorted(deltas))}
    return {"Update": {
        "TableName": table(), "Key": _key(user_id, COUNTS_KEY),
        "UpdateExpression": "ADD " + ", ".join(f"#n{i} :d{i}" for i in range(len(deltas))),
        "ExpressionAttributeNames": names, "ExpressionAttributeValues": db.values(**values)}}


def _write_cards(user_id: str, puts: Sequence[Card], deletes: Sequence[Card]) -> None:
    """Put and delete cards in transactions, each with the counts it moves; a
    transaction that puts cards also checks that their note still exists (a video
    deleted while its job made the cards must leave none behind)."""
    writes: list[tuple[int, Card]] = [(1, card) for card in puts] + \
        [(-1, card) for card in deletes]
    for start in range(0, len(writes), MAX_TRANSACTION - 2):
        chunk = writes[start:start + MAX_TRANSACTION - 2]
        deltas: dict[str, int] = {}
        items: list[dict[str, Any]] = []
        for sign, card in chunk:
            for suffix in suffixes(card):
                deltas[suffix] = deltas.get(suffix, 0) + sign
            if sign > 0:
                items.append({"Put": {"TableName": table(), "Item": db.to_item(card),
                                      "ConditionExpression": "attribute_not_exists(card_id)"}})
            else:
                items.append({"Delete": {"TableName": table(),
                                         "Key": _key(user_id, card["card_id"]),
                                         "ConditionExpression": "attribute_exists(card_id)"}})
        notes = {card["note_id"] for sign, card in chunk if sign > 0}
        checks = [{"ConditionCheck": {"TableName": config.notes_table(),
                                      "Key": db.to_item({"note_id": note_id}),
                                      "ConditionExpression": "attribute_exists(note_id)"}}
                  for note_id in sorted(notes)]
        db.transact([*items, *checks, _counts_update(user_id, deltas)])


def _note_exists(note_id: str) -> bool:
    return db.get(config.notes_table(), {"note_id": note_id}, consistent=True) is not None


def _delete_logs(user_id: str, keys: Sequence[str]) -> None:
    for start in range(0, len(keys), MAX_TRANSACTION):
        db.transact([{"Delete": {"TableName": table(), "Key": _key(user_id, key)}}
                     for key in keys[start:start + MAX_TRANSACTION]])


def sync_note(user_id: str, note_id: str, wanted: Sequence[Card], attempts: int = 3
              ) -> tuple[int, int]:
    """Make the note's cards exactly `wanted`: new ones put, cards of items the note no
    longer has deleted with their logs, the others (and their schedules) kept.
    Idempotent. Returns (added, removed)."""
    for attempt in range(attempts):
        items = list(_note_items(user_id, note_id))
        present = {item["card_id"]: cast(Card, item) for item in items if "due_key" in item}
        wanted_ids = {card["card_id"] for card in wanted}
        puts = [card for card in wanted if card["card_id"] not in present]
        gone = [card for ident, card in present.items() if ident not in wanted_ids]
        try:
            _write_cards(user_id, puts, gone)
        except Exception as exc:  # a concurrent sync moved first, or the note is gone
            if not aws.is_error(exc, aws.TRANSACTION_CANCELLED) or attempt == attempts - 1:
                raise
            if wanted and not _note_exists(note_id):
                wanted = []  # deleted meanwhile: its cards go too, none is made
            continue
        gone_ids = {card["card_id"] for card in gone}
        _delete_logs(user_id, [item["card_id"] for item in items if "due_key" not in item
                               and item.get("of_card") in gone_ids])
        return len(puts), len(gone)
    return 0, 0  # pragma: no cover - the loop returns or raises


def tag_course(user_id: str, note_id: str, course_id: str) -> int:
    """The note's cards join a course (docs/DESIGN.md section 12: `course_id`, reviewed
    alone through CourseDueIndex): each card without a course gets this one, with the
    course's card count, in transactions conditioned on the card still having none
    (a card is in one course: the first that holds its note). Returns cards tagged."""
    untagged = [card for card in note_cards(user_id, note_id) if not card.get("course_id")]
    tagged = 0
    for start in range(0, len(untagged), MAX_TRANSACTION - 1):
        chunk = untagged[start:start + MAX_TRANSACTION - 1]
        items = [{"Update": {
            "TableName": table(), "Key": _key(user_id, card["card_id"]),
            "UpdateExpression": "SET course_id = :c, user_course = :uc",
            "ConditionExpression": "attribute_exists(due_key) AND attribute_not_exists(course_id)",
            "ExpressionAttributeValues": db.values(c=course_id, uc=f"{user_id}#{course_id}")}}
            for card in chunk]
        try:
            db.transact([*items, _counts_update(user_id, {_suffix("c", course_id): len(chunk)})])
        except Exception as exc:  # a card was deleted or tagged meanwhile: the next call
            if not aws.is_error(exc, aws.TRANSACTION_CANCELLED):
                raise
            continue
        tagged += len(chunk)
    return tagged


def delete_note(user_id: str, note_id: str) -> int:
    """Delete the note's cards and their review logs. Returns the cards deleted."""
    return sync_note(user_id, note_id, [])[1]


# --- a review ---------------------------------------------------------------------------

def record_review(card: Card, after: Scheduling, log: ReviewLog,
                  counters: dict[str, int]) -> Card:
    """Apply one review: the card's new scheduling (only if its review count is still
    the one read), its log item (only if new) and the day's counters, in one
    transaction. Returns the card as the review left it. CardChanged when the card
    moved (a concurrent review, or it is gone); AlreadyLogged when the review id was
    recorded meanwhile."""
    updated = cast(Card, {**card, **after, "last_review_id": log["review_id"]})
    updated["due_key"] = cards.due_key(updated)
    sets = {field: updated[field] for field in (
        "state", "due", "reps", "lapses", "stability", "difficulty", "last_review",
        "last_review_id", "due_key")}
    names = {f"#s{i}": field for i, field in enumerate(sets)}
    values = {f"s{i}": value for i, value in enumerate(sets.values())}
    expression = "SET " + ", ".join(f"#s{i} = :s{i}" for i in range(len(sets)))
    if updated.get("step") is None:
        expression += " REMOVE #step"
    else:
        expression = expression.replace("SET ", "SET #step = :step, ", 1)
        values["step"] = updated["step"]
    names["#step"] = "step"
    names["#reps"] = "reps"
    values["seen"] = card["reps"]
    counter_names = {f"#c{i}": name for i, name in enumerate(sorted(counters))}
    counter_values = {f"c{i}": counters[name] for i, name in enumerate(sorted(counters))}
    items = [
        {"Update": {"TableName": table(), "Key": _key(card["user_id"], card["card_id"]),
                    "UpdateExpression": expression,
                    "ConditionExpression": "attribute_exists(due_key) AND #reps = :seen",
                    "ExpressionAttributeNames": names,
                    "ExpressionAttributeValues": db.values(**values)}},
        {"Put": {"TableName": table(), "Item": db.to_item(log),
                 "ConditionExpression": "attribute_not_exists(card_id)"}},
        {"Update": {"TableName": table(), "Key": _key(card["user_id"], day_key(
            datetime.date.fromisoformat(log["day"]))),
            "UpdateExpression": "ADD " + ", ".join(f"#c{i} :c{i}"
                                                   for i in range(len(counters))),
            "ExpressionAttributeNames": counter_names,
            "ExpressionAttributeValues": db.values(**counter_values)}},
    ]
    try:
        db.transact(items)
    except Exception as exc:
        if not aws.is_error(exc, aws.TRANSACTION_CANCELLED):
            raise
        reasons = db.cancellation_codes(exc)
        if len(reasons) > 1 and reasons[1] == "ConditionalCheckFailed" and \
                reasons[0] != "ConditionalCheckFailed":
            raise AlreadyLogged(log["review_id"]) from exc
        raise CardChanged(card["card_id"]) from exc  # moved, gone, or a write in progress
    return updated
