"""GET /reviews/export: the cards' scheduling and the review log, the student's own
data (docs/DESIGN.md section 12), as CSV files in a zip behind a presigned link."""
from __future__ import annotations

import csv
import io
import uuid
import zipfile

import requests

from tests.conftest import call
from tests.reviews.conftest import grounded_draft, make_cards


def read_zip(url: str) -> dict[str, list[dict[str, str]]]:
    archive = zipfile.ZipFile(io.BytesIO(requests.get(url, timeout=10).content))
    return {name: list(csv.DictReader(io.StringIO(archive.read(name).decode())))
            for name in archive.namelist()}


def test_the_export_holds_every_card_and_every_review_and_nothing_of_others(
        client, user, other_user):
    cards = make_cards(user["user_id"])
    make_cards(other_user["user_id"])
    reviewed = cards[0]["card_id"]
    review_id = uuid.uuid4().hex
    answer = call(client, "POST", f"/reviews/{reviewed}", token=user["id_token"],
                  body={"rating": 3, "review_id": review_id, "duration_ms": 4200})
    assert answer.status_code == 200
    call(client, "POST", f"/reviews/{reviewed}", token=user["id_token"],
         body={"rating": 3, "review_id": review_id})  # a retry: still one review

    exported = call(client, "GET", "/reviews/export", token=user["id_token"])
    assert exported.status_code == 200
    body = exported.json_body
    assert body["card_count"] == len(cards) and body["review_count"] == 1
    assert body["filename"].startswith("study-buddy-reviews-")
    files = read_zip(body["url"])
    assert {row["card_id"] for row in files["cards.csv"]} == {c["card_id"] for c in cards}
    (review,) = files["reviews.csv"]
    assert review["card_id"] == reviewed and review["review_id"] == review_id
    assert review["rating"] == "3" and review["duration_ms"] == "4200"
    scheduled = next(r for r in files["cards.csv"] if r["card_id"] == reviewed)
    assert scheduled["due"] == review["due"] == answer.json_body["due"]
    assert scheduled["reps"] == "1" and scheduled["state"] != "new"


def test_a_cell_a_spreadsheet_would_run_is_defused(client, user):
    draft = grounded_draft(questions=1, concepts=0)
    draft["review_questions"][0]["question"] = '=HYPERLINK("http://evil")'
    make_cards(user["user_id"], draft=draft)
    draft["review_questions"][0]["question"] = "\t=1+1"
    make_cards(user["user_id"], draft=draft)
    files = read_zip(call(client, "GET", "/reviews/export",
                          token=user["id_token"]).json_body["url"])
    assert all(not row["front"].startswith(("=", "+", "-", "@", "\t"))
               for row in files["cards.csv"])


def test_unknown_query_parameters_are_400(client, user):
    answer = call(client, "GET", "/reviews/export?format=apkg", token=user["id_token"])
    assert answer.status_code == 400 and "format" in answer.json_body["Message"]


def test_an_export_past_its_bound_is_refused_before_anything_is_uploaded(
        client, user, monkeypatch):
    from chalicelib.reviews import log_export

    make_cards(user["user_id"])  # five cards
    monkeypatch.setattr(log_export, "MAX_EXPORT_ITEMS", 3)
    answer = call(client, "GET", "/reviews/export", token=user["id_token"])
    assert answer.status_code == 413 and "over 3 items" in answer.json_body["Message"]
