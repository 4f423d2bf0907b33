"""Cards through the real pipeline (docs/DESIGN.md section 12): a saved note's verified
questions and concepts become cards, a retried job makes no second card, an item the
transcript does not bear out never becomes one, deleting the note deletes them."""
from __future__ import annotations

from typing import Any

from chalicelib.core import aws, config, db
from chalicelib.notes import note_store
from chalicelib.processing import job
from chalicelib.reviews import card_store
from testkit import fake_anthropic
from testkit.lectures import lecture
from tests.conftest import call
from tests.processing.test_job_guards import crash_while_saving, force, raw
from tests.processing.test_pipeline import (  # noqa: F401  (fixtures)
    claude,
    drain,
    submit,
    video_of,
    work,
    youtube,
)


def card_items(user: dict) -> list[dict[str, Any]]:
    """Every card of the user, read straight from the table (not through the app)."""
    response = aws.client("dynamodb").query(
        TableName=config.env("CARDS_TABLE"), ConsistentRead=True,
        KeyConditionExpression="user_id = :u", ExpressionAttributeValues=db.values(
            u=user["user_id"]))
    return [item for item in map(db.from_item, response["Items"]) if "due_key" in item]


def counted(user: dict) -> int:
    return int(card_store.card_counts(user["user_id"]).get("cards_all", 0))


def verified_items(user: dict, note_id: str) -> list[dict[str, Any]]:
    stored = note_store.read_draft({"user_id": user["user_id"], "note_id": note_id})
    assert stored is not None
    draft = stored["draft"]
    return [item for item in draft["core_concepts"] + draft["review_questions"]
            if item.get("verified") is True]


def test_a_retried_job_makes_no_second_card(client, stack, user, youtube, monkeypatch):
    video_id = submit(client, user, youtube.add(lecture(10)))["video_id"]
    crash_while_saving(stack, user, monkeypatch)  # the worker dies saving the note
    assert card_items(user) == []  # the note never committed: no card yet
    force(video_id, lease_until=1)  # its lease ran out: SQS delivers the job again
    assert job.process(job.Job(video_id, user["user_id"])) == "completed"
    done = video_of(client, user, video_id)
    assert done["status"] == "completed"
    first = card_items(user)
    said = {" ".join(item["quote"].casefold().split())  # one card per sentence asked about
            for item in verified_items(user, done["note_id"])}
    assert first and len(first) == len(said)
    assert counted(user) == len(first)
    ids = sorted(card["card_id"] for card in first)
    # The whole job again on the same video (its note rewritten): the same cards.
    force(video_id, status="queued", user_status=f"{user['user_id']}#queued")
    assert job.process(job.Job(video_id, user["user_id"])) == "completed"
    assert sorted(card["card_id"] for card in card_items(user)) == ids
    assert counted(user) == len(ids)
    # A redelivery of the completed job (the worker died after the note was saved, before
    # its cards): the cards are made from the stored draft, none twice.
    card_store.delete_note(user["user_id"], done["note_id"])
    assert card_items(user) == [] and counted(user) == 0
    assert job.process(job.Job(video_id, user["user_id"])) == "dropped: already completed"
    assert sorted(card["card_id"] for card in card_items(user)) == ids
    assert job.process(job.Job(video_id, user["user_id"])) == "dropped: already completed"
    assert counted(user) == len(ids) == len(card_items(user))
    assert raw(video_id)["status"] == "completed"


def test_an_item_the_transcript_does_not_bear_out_never_becomes_a_card(
        client, stack, user, youtube, claude):
    # Claude's answer keeps true quotes, but its one concept's definition adds a "not"
    # and its one review answer inflates a number: grounding marks both unverified.
    claude.answer = lambda request: fake_anthropic.with_unsupported_claims(
        fake_anthropic.default_answer(request))
    video_id = submit(client, user, youtube.add(lecture(10)))["video_id"]
    assert work(stack) == 1
    note_id = video_of(client, user, video_id)["note_id"]
    stored = note_store.read_draft({"user_id": user["user_id"], "note_id": note_id})
    assert stored is not None
    draft = stored["draft"]
    unverified = [item for item in draft["core_concepts"] + draft["review_questions"]
                  if item.get("verified") is False]
    assert len(unverified) == 2
    assert verified_items(user, note_id) == [] and card_items(user) == []
    # The same lecture with the honest answer: its concept is a card; its question
    # ("What is entropy?" on the concept's own quote) would only ask it again.
    claude.answer = fake_anthropic.default_answer
    honest = submit(client, user, youtube.add(lecture(10)))["video_id"]
    assert work(stack) == 1
    made = card_items(user)
    assert {card["note_id"] for card in made} == {video_of(client, user, honest)["note_id"]}
    assert [card["kind"] for card in made] == ["concept"]
    assert {card["back"] for card in made}.isdisjoint(
        item.get("definition", item.get("answer")) for item in unverified)


def test_deleting_the_video_deletes_its_cards_and_their_logs(client, stack, user, youtube):
    video_id = submit(client, user, youtube.add(lecture(10)))["video_id"]
    assert work(stack) == 1
    made = card_items(user)
    assert made
    reviewed = call(client, "POST", f"/reviews/{made[0]['card_id']}", token=user["id_token"],
                    body={"rating": 3, "review_id": "review-0001"})
    assert reviewed.status_code == 200
    assert call(client, "DELETE", f"/videos/{video_id}",
                token=user["id_token"]).status_code == 204
    response = aws.client("dynamodb").query(
        TableName=config.env("CARDS_TABLE"), ConsistentRead=True,
        KeyConditionExpression="user_id = :u", ExpressionAttributeValues=db.values(
            u=user["user_id"]))
    left = [item["card_id"]["S"] for item in response["Items"]]
    assert all(key.startswith("#") for key in left), left  # day counters and counts only
    assert counted(user) == 0
    gone = call(client, "POST", f"/reviews/{made[0]['card_id']}", token=user["id_token"],
                body={"rating": 3, "review_id": "review-0002"})
    assert gone.status_code == 404
    due = call(client, "GET", "/reviews/due", token=user["id_token"]).json_body
    assert due["count"] == 0


def test_cards_for_a_note_deleted_meanwhile_are_not_made(client, user):
    # DELETE /videos/{id} between the job's save and its cards: the note is gone when the
    # worker makes them, so none may be left behind (no video to delete them with).
    import uuid

    from tests.reviews.conftest import grounded_draft

    gone_note = uuid.uuid4().hex  # no note with this id
    job.make_cards(user["user_id"], gone_note, title="Deleted lecture", subject="Physics",
                   youtube_video_id="sbPhysics01", draft=grounded_draft(2, 1),
                   include_questions=True)
    assert card_items(user) == [] and counted(user) == 0
    assert call(client, "GET", "/reviews/due", token=user["id_token"]).json_body["count"] == 0
