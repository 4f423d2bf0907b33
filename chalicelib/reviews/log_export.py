"""GET /reviews/export: a student's cards with their FSRS scheduling, and every review
they made, as two CSV files in a zip (docs/DESIGN.md section 12: the review log is the
student's data; the Anki export carries the cards' text, this file their history).

`cards.csv`: card_id, note_id, note_title, kind, front, back, url, state, due, stability,
difficulty, reps, lapses, last_review. `reviews.csv`: card_id, review_id, reviewed_at,
rating (1 again .. 4 easy), duration_ms, state_before, and the card as the review left
it (state, due, stability, difficulty). Built in /tmp a page of items at a time and
uploaded under exports/{user_id}/ (the bucket expires them after a day), then handed
out as a presigned GET, like the notes' exports. Text fields are the lecture's and the
model's words: a leading =, +, - or @ is prefixed with a quote so a spreadsheet never
reads one as a formula.
"""
from __future__ import annotations

import csv
import io
import os
import tempfile
import uuid
import zipfile
from typing import Any

from chalicelib.core import aws, config
from chalicelib.notes import export
from chalicelib.reviews import card_store

CARD_COLUMNS = ("card_id", "note_id", "note_title", "kind", "front", "back", "url", "state",
                "due", "stability", "difficulty", "reps", "lapses", "last_review")
REVIEW_COLUMNS = ("card_id", "review_id", "reviewed_at", "rating", "duration_ms",
                  "state_before", "state", "due", "stability", "difficulty")


def filename(day: str) -> str:
    return f"study-buddy-reviews-{day}.zip"


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def export_reviews(user_id: str) -> dict[str, Any]:
    """{url, expires_in, filename, card_count, review_count}."""
    cards_out, reviews_out = io.StringIO(), io.StringIO()
    cards_csv, reviews_csv = csv.writer(cards_out), csv.writer(reviews_out)
    cards_csv.writerow(CARD_COLUMNS)
    reviews_csv.writerow(REVIEW_COLUMNS)
    card_count = review_count = 0
    for item in card_store.student_items(user_id):
        if "due_key" in item:
            cards_csv.writerow([_cell(item.get(column)) for column in CARD_COLUMNS])
            card_count += 1
        elif "review_id" in item:
            after = item.get("after") or {}
            reviews_csv.writerow([_cell(v) for v in (
                item.get("of_card"), item.get("review_id"), item.get("reviewed_at"),
                item.get("rating"), item.get("duration_ms"), item.get("state_before"),
                after.get("state"), after.get("due"), after.get("stability"),
                after.get("difficulty"))])
            review_count += 1
    day = export.today()
    name = filename(day)
    key = f"exports/{user_id}/{day}-{uuid.uuid4().hex}-{name}"
    handle, path = tempfile.mkstemp(prefix="reviews-", suffix=".zip",
                                    dir=config.env("EXPORT_TMP_DIR"))
    os.close(handle)
    try:
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("cards.csv", cards_out.getvalue())
            archive.writestr("reviews.csv", reviews_out.getvalue())
        aws.client("s3").upload_file(path, config.notes_bucket(), key,
                                     ExtraArgs={"ContentType": "application/zip"})
    finally:
        os.unlink(path)
    return {**export.presigned(key, name, "obsidian"), "card_count": card_count,
            "review_count": review_count}
