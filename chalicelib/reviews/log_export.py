"""GET /reviews/export: a student's cards with their FSRS scheduling, and every review
they made, as two CSV files in a zip (docs/DESIGN.md section 12: the review log is the
student's data; the Anki export carries the cards' text, this file their history).

`cards.csv`: card_id, note_id, note_title, kind, front, back, url, state, due, stability,
difficulty, reps, lapses, last_review. `reviews.csv`: card_id, review_id, reviewed_at,
rating (1 again .. 4 easy), duration_ms, state_before, and the card as the review left
it (state, due, stability, difficulty). Written to /tmp a page of items at a time (at
most MAX_EXPORT_ITEMS, else 413), zipped and uploaded under exports/{user_id}/ (the
bucket expires them after a day), then handed out as a presigned GET, like the notes'
exports. Text fields are the lecture's and the model's words: a leading =, +, -, @, tab
or carriage return is prefixed with a quote so a spreadsheet never reads a formula.
"""
from __future__ import annotations

import csv
import os
import shutil
import tempfile
import uuid
import zipfile
from typing import Any

from chalicelib.core import aws, config
from chalicelib.core.errors import PayloadTooLargeError
from chalicelib.notes import export
from chalicelib.reviews import card_store

CARD_COLUMNS = ("card_id", "note_id", "note_title", "kind", "front", "back", "url", "state",
                "due", "stability", "difficulty", "reps", "lapses", "last_review")
ZIP = "application/zip"
# A year of a heavy day's reviews (200) over a few thousand cards; the read and the file
# stay within the API's 29 seconds and the Lambda's /tmp.
MAX_EXPORT_ITEMS = 100_000
REVIEW_COLUMNS = ("card_id", "review_id", "reviewed_at", "rating", "duration_ms",
                  "state_before", "state", "due", "stability", "difficulty")


def filename(day: str) -> str:
    return f"study-buddy-reviews-{day}.zip"


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    # OWASP's list of what makes a spreadsheet read a cell as a formula.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def export_reviews(user_id: str) -> dict[str, Any]:
    """{url, expires_in, filename, card_count, review_count}. The rows go to files on
    disk as the pages are read (memory stays flat); past MAX_EXPORT_ITEMS items the
    export is refused (413) before anything is uploaded."""
    folder = tempfile.mkdtemp(prefix="reviews-", dir=config.env("EXPORT_TMP_DIR"))
    cards_path, reviews_path = os.path.join(folder, "cards.csv"), os.path.join(folder,
                                                                              "reviews.csv")
    zip_path = os.path.join(folder, "export.zip")
    try:
        card_count, review_count = _write_rows(user_id, cards_path, reviews_path)
        with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.write(cards_path, "cards.csv")
            archive.write(reviews_path, "reviews.csv")
        day = export.today()
        name = filename(day)
        key = f"exports/{user_id}/{day}-{uuid.uuid4().hex}-{name}"
        aws.client("s3").upload_file(zip_path, config.notes_bucket(), key,
                                     ExtraArgs={"ContentType": ZIP})
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return {**export.presigned(key, name, ZIP), "card_count": card_count,
            "review_count": review_count}


def _write_rows(user_id: str, cards_path: str, reviews_path: str) -> tuple[int, int]:
    card_count = review_count = 0
    with open(cards_path, "w", encoding="utf-8", newline="") as cards_file, \
            open(reviews_path, "w", encoding="utf-8", newline="") as reviews_file:
        cards_csv, reviews_csv = csv.writer(cards_file), csv.writer(reviews_file)
        cards_csv.writerow(CARD_COLUMNS)
        reviews_csv.writerow(REVIEW_COLUMNS)
        for item in card_store.student_items(user_id):
            if card_count + review_count >= MAX_EXPORT_ITEMS:
                raise PayloadTooLargeError(
                    f"Your cards and reviews are over {MAX_EXPORT_ITEMS:,} items, more "
                    "than one request can export")
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
    return card_count, review_count
