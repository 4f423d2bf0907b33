"""GET /reviews/due, POST /reviews/{card_id}, GET /reviews/stats (docs/DESIGN.md
sections 4 and 12) through the app, against the emulator: a review counts once however
often it is retried, concurrent reviews never lose one, the due list is a Query, bad
input is a 4xx that changes nothing."""
from __future__ import annotations

import threading
import time
import uuid
from typing import Any

import pytest

from chalicelib.core import aws, config, db
from chalicelib.reviews import card_store
from tests.conftest import call
from tests.reviews.conftest import make_cards


def review_id() -> str:
    return uuid.uuid4().hex


def due(client: Any, user: dict, query: str = "") -> Any:
    return call(client, "GET", f"/reviews/due{query}", token=user["id_token"])


def rate(client: Any, user: dict, card_id: str, rating: Any = 3, ident: str | None = None,
         **extra: Any) -> Any:
    return call(client, "POST", f"/reviews/{card_id}", token=user["id_token"],
                body={"rating": rating, "review_id": ident or review_id(), **extra})


def stored(user: dict, card_id: str) -> dict:
    return db.get(config.env("CARDS_TABLE") or "", {"user_id": user["user_id"],
                                                    "card_id": card_id}, consistent=True)


def logs(user: dict, card_id: str) -> list[dict]:
    response = aws.client("dynamodb").query(
        TableName=config.env("CARDS_TABLE"), ConsistentRead=True,
        KeyConditionExpression="user_id = :u AND begins_with(card_id, :c)",
        ExpressionAttributeValues=db.values(u=user["user_id"], c=f"{card_id}#"))
    return sorted((db.from_item(item) for item in response["Items"]),
                  key=lambda log: log["reviewed_at"])


def stats(client: Any, user: dict, query: str = "") -> dict:
    response = call(client, "GET", f"/reviews/stats{query}", token=user["id_token"])
    assert response.status_code == 200, response.json_body
    return response.json_body


def test_new_cards_are_due_with_their_intervals(client, user):
    made = make_cards(user["user_id"], questions=2, concepts=1)
    response = due(client, user)
    assert response.status_code == 200
    body = response.json_body
    assert (body["count"], body["due_count"], body["new_count"]) == (3, 0, 3)
    assert [card["card_id"] for card in body["cards"]] == [card["card_id"] for card in made]
    card = body["cards"][0]
    assert card["state"] == "new" and card["reps"] == 0 and card["stability"] is None
    assert card["url"].startswith("https://www.youtube.com/watch?v=sbPhysics01&t=")
    assert card["next_intervals"]["1"] == 60 and card["next_intervals"]["3"] == 600
    assert list(card["next_intervals"].values()) == sorted(card["next_intervals"].values())


def test_a_review_schedules_the_card_and_its_retry_counts_once(client, user):
    card_id = make_cards(user["user_id"], questions=1, concepts=0)[0]["card_id"]
    ident = review_id()
    first = rate(client, user, card_id, 3, ident, duration_ms=4200)
    assert first.status_code == 200, first.json_body
    reviewed = first.json_body
    assert reviewed["state"] == "learning" and reviewed["reps"] == 1
    assert reviewed["last_review"] and reviewed["due"] > reviewed["last_review"]
    assert set(reviewed["next_intervals"]) == {"1", "2", "3", "4"}
    again = rate(client, user, card_id, 3, ident, duration_ms=4200)
    assert again.status_code == 200
    assert {k: v for k, v in again.json_body.items() if k != "next_intervals"} == \
        {k: v for k, v in reviewed.items() if k != "next_intervals"}
    assert stored(user, card_id)["reps"] == 1
    (log,) = logs(user, card_id)
    assert log["rating"] == 3 and log["duration_ms"] == 4200 and log["state_before"] == "new"
    counted = stats(client, user)
    assert counted["reviewed_today"] == 1 and counted["streak_days"] == 1
    assert counted["cards"] == 1
    # The same review_id with another rating is a client's mistake, not a new review.
    clash = rate(client, user, card_id, 1, ident)
    assert clash.status_code == 409 and "rating 3" in clash.json_body["Message"]
    assert clash.json_body["Code"] == "ReviewAlreadyRecorded"  # not a concurrent review's
    assert stored(user, card_id)["reps"] == 1


def test_after_a_review_the_card_leaves_the_due_list_until_due(client, user):
    card_id = make_cards(user["user_id"], questions=1, concepts=0)[0]["card_id"]
    assert rate(client, user, card_id, 4).status_code == 200  # easy: due in days
    body = due(client, user).json_body
    assert body["cards"] == [] and body["count"] == 0
    counted = stats(client, user)
    assert counted["new_today"] == 0 and counted["due_today"] == 0


def test_concurrent_reviews_of_one_card_are_both_kept_or_one_refused(client, user):
    card_id = make_cards(user["user_id"], questions=1, concepts=0)[0]["card_id"]
    def review(barrier: threading.Barrier, answers: list[Any], rating: int) -> None:
        barrier.wait()
        answers.append(rate(client, user, card_id, rating))

    for _round in range(3):
        before = stored(user, card_id)["reps"]
        barrier = threading.Barrier(4)
        answers: list[Any] = []
        threads = [threading.Thread(target=review, args=(barrier, answers, rating))
                   for rating in (1, 2, 3, 4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        codes = sorted(answer.status_code for answer in answers)
        assert set(codes) <= {200, 409}, [answer.json_body for answer in answers]
        kept = [answer.json_body for answer in answers if answer.status_code == 200]
        after = stored(user, card_id)
        # Every 200 is a review the card went through, in order; none lost.
        assert after["reps"] == before + len(kept)
        assert sorted(body["reps"] for body in kept) == list(range(before + 1, after["reps"] + 1))
    assert len(logs(user, card_id)) == stored(user, card_id)["reps"]


@pytest.mark.parametrize("body,fragment", [
    ({"rating": 0, "review_id": "abcdefgh"}, "from 1 to 4"),
    ({"rating": 5, "review_id": "abcdefgh"}, "from 1 to 4"),
    ({"rating": "3", "review_id": "abcdefgh"}, "from 1 to 4"),
    ({"rating": 3.0, "review_id": "abcdefgh"}, "from 1 to 4"),
    ({"rating": True, "review_id": "abcdefgh"}, "from 1 to 4"),
    ({"rating": 3}, "missing required field(s): review_id"),
    ({"review_id": "abcdefgh"}, "missing required field(s): rating"),
    ({"rating": 3, "review_id": "short"}, "'review_id' must be 8 to 64"),
    ({"rating": 3, "review_id": "x" * 65}, "'review_id' must be 8 to 64"),
    ({"rating": 3, "review_id": "has space!"}, "'review_id' must be 8 to 64"),
    ({"rating": 3, "review_id": 12345678}, "'review_id' must be 8 to 64"),
    ({"rating": 3, "review_id": "abcdefgh", "duration_ms": -1}, "'duration_ms'"),
    ({"rating": 3, "review_id": "abcdefgh", "duration_ms": "5s"}, "'duration_ms'"),
    ({"rating": 3, "review_id": "abcdefgh", "ease": 2}, "unknown field(s): ease"),
    ([3], "must be a JSON object"),
])
def test_bad_reviews_are_400_and_change_nothing(client, user, body, fragment):
    card_id = make_cards(user["user_id"], questions=1, concepts=0)[0]["card_id"]
    response = call(client, "POST", f"/reviews/{card_id}", token=user["id_token"], body=body)
    assert response.status_code == 400, response.json_body
    assert fragment in response.json_body["Message"]
    assert stored(user, card_id)["reps"] == 0 and logs(user, card_id) == []


def test_another_users_card_and_unknown_ids_are_404(client, user, other_user):
    card_id = make_cards(user["user_id"], questions=1, concepts=0)[0]["card_id"]
    theirs = rate(client, other_user, card_id)
    assert theirs.status_code == 404 and theirs.json_body["Message"] == "Card not found"
    for unknown in (card_id[:-1] + ("0" if card_id[-1] != "0" else "1"), "not-a-card",
                    "x" * 90, "%23counts"):
        assert rate(client, user, unknown).status_code == 404, unknown
    assert stored(user, card_id)["reps"] == 0
    assert due(client, other_user).json_body["count"] == 0


def test_a_card_of_a_deleted_note_is_404(client, user):
    made = make_cards(user["user_id"], questions=2, concepts=0)
    card_id, note_id = made[0]["card_id"], made[0]["note_id"]
    assert rate(client, user, card_id).status_code == 200
    assert card_store.delete_note(user["user_id"], note_id) == 2
    gone = rate(client, user, card_id)
    assert gone.status_code == 404
    assert stored(user, card_id) is None and logs(user, card_id) == []
    assert due(client, user).json_body["count"] == 0
    assert stats(client, user)["cards"] == 0


def test_the_due_list_is_a_query_never_a_scan(client, user, dynamodb_calls):
    make_cards(user["user_id"], questions=3, concepts=0)
    make_cards(user["user_id"], questions=2, concepts=0, subject="Chemistry")
    dynamodb_calls.clear()
    assert due(client, user, "?limit=2").json_body["count"] == 2
    assert due(client, user, "?subject=Chemistry").json_body["count"] == 2
    assert due(client, user, "?course_id=none-yet").json_body["count"] == 0
    stats(client, user)
    operations = [name for name, _ in dynamodb_calls]
    assert "Scan" not in operations and "Query" in operations
    indexes = {params.get("IndexName") for name, params in dynamodb_calls if name == "Query"}
    assert {"DueIndex", "SubjectDueIndex", "CourseDueIndex"} <= indexes
    card_queries = [params for name, params in dynamodb_calls
                    if name == "Query" and params.get("IndexName") == "DueIndex"]
    # A page reads at most 100 cards; a count at most what the day's limits let in.
    assert all(params["Limit"] <= (200 if params.get("Select") == "COUNT" else 100)
               for params in card_queries)


def test_most_overdue_first_then_new_cards_up_to_the_days_limit(client, user):
    first, second, third = make_cards(user["user_id"], questions=3, concepts=0)
    make_cards(user["user_id"], questions=3, concepts=0)  # a later note: new cards after
    # The second card was seen long ago and is overdue by more than the first.
    for card, days in ((first, 3), (second, 9)):
        rated = rate(client, user, card["card_id"], 3).json_body
        assert rated["reps"] == 1
        overdue = db.iso_from_epoch(time.time() - days * 86400)
        aws.client("dynamodb").update_item(  # time passes: the card's due date moves back
            TableName=config.env("CARDS_TABLE"),
            Key=db.to_item({"user_id": user["user_id"], "card_id": card["card_id"]}),
            UpdateExpression="SET due = :d, due_key = :k",
            ExpressionAttributeValues=db.values(d=overdue,
                                                k=f"d#{overdue}#{card['card_id']}"))
    assert call(client, "PUT", "/user", token=user["id_token"],
                body={"preferences": {"new_cards_per_day": 4}}).status_code == 200
    body = due(client, user).json_body
    ids = [card["card_id"] for card in body["cards"]]
    assert ids[:3] == [second["card_id"], first["card_id"], third["card_id"]]
    assert (body["due_count"], body["new_count"], body["count"]) == (2, 2, 4)  # 4 - 2 new seen
    page = due(client, user, "?limit=1").json_body
    assert page["count"] == 1 and page["due_count"] == 2 and page["new_count"] == 2


def test_review_preferences_are_checked(client, user):
    good = call(client, "PUT", "/user", token=user["id_token"], body={"preferences": {
        "desired_retention": 0.85, "new_cards_per_day": 5, "reviews_per_day": 50,
        "timezone": "Europe/Berlin"}})
    assert good.status_code == 200, good.json_body
    prefs = good.json_body["preferences"]
    assert (prefs["desired_retention"], prefs["new_cards_per_day"], prefs["reviews_per_day"],
            prefs["timezone"]) == (0.85, 5, 50, "Europe/Berlin")
    for bad, fragment in (({"desired_retention": 0.5}, "from 0.70 to 0.97"),
                          ({"desired_retention": 0.99}, "from 0.70 to 0.97"),
                          ({"desired_retention": "0.9"}, "from 0.70 to 0.97"),
                          ({"desired_retention": True}, "from 0.70 to 0.97"),
                          ({"new_cards_per_day": -1}, "whole number from 0 to 500"),
                          ({"new_cards_per_day": 2.5}, "whole number from 0 to 500"),
                          ({"reviews_per_day": 100000}, "whole number from 0 to 2000"),
                          ({"timezone": "Mars/Olympus"}, "not a time zone"),
                          ({"timezone": "America"}, "not a time zone"),  # a folder of zones
                          ({"timezone": "localtime"}, "not a time zone"),
                          ({"timezone": "../etc/passwd"}, "IANA time zone"),
                          ({"timezone": 1}, "must be a string")):
        response = call(client, "PUT", "/user", token=user["id_token"],
                        body={"preferences": bad})
        assert response.status_code == 400, bad
        assert fragment in response.json_body["Message"], (bad, response.json_body)
    reset = call(client, "PUT", "/user", token=user["id_token"],
                 body={"preferences": {"timezone": None, "desired_retention": None}})
    assert reset.json_body["preferences"]["timezone"] == "UTC"
    assert reset.json_body["preferences"]["desired_retention"] == 0.9
    assert reset.json_body["preferences"]["new_cards_per_day"] == 5


def test_bad_due_and_stats_queries_are_400(client, user):
    for query, fragment in (("?limit=0", "'limit'"), ("?limit=101", "'limit'"),
                            ("?subject=Physics&course_id=c1", "not both"),
                            ("?course_id=a%20b", "'course_id' is not valid"),
                            ("?sort=due", "Unknown query parameter")):
        response = due(client, user, query)
        assert response.status_code == 400 and fragment in response.json_body["Message"], query
    response = call(client, "GET", "/reviews/stats?limit=3", token=user["id_token"])
    assert response.status_code == 400


def test_stats_count_retention_and_stay_per_subject(client, user):
    physics = make_cards(user["user_id"], questions=2, concepts=0)
    make_cards(user["user_id"], questions=1, concepts=0, subject="History")
    for card in physics:
        assert rate(client, user, card["card_id"], 4).status_code == 200
    overall, history = stats(client, user), stats(client, user, "?subject=History")
    assert (overall["cards"], overall["reviewed_today"], overall["new_today"]) == (3, 2, 1)
    assert (history["cards"], history["reviewed_today"], history["new_today"]) == (1, 0, 1)
    assert history["streak_days"] == 0 and overall["retention_30d"] is None
    # A card in review recalled now counts toward retention (2 of 2 passed).
    for card in physics:
        assert rate(client, user, card["card_id"], 3).status_code == 200
    assert stats(client, user)["retention_30d"] == 1.0
