"""A note's cards from its grounded draft (docs/DESIGN.md section 12): only verified
items, ids derived from the note and the item, the quote and the second of the video."""
from __future__ import annotations

from chalicelib.reviews import cards
from tests.reviews.conftest import grounded_draft


def made(draft: dict, note_id: str = "n1", include_questions: bool = True) -> list[dict]:
    return [dict(card) for card in cards.from_draft(
        user_id="u", note_id=note_id, note_title="Entropy", subject="Physics",
        youtube_video_id="sbPhysics01", draft=draft, include_questions=include_questions,
        created_at="2026-03-01T08:00:00.000Z")]


def test_verified_concepts_and_questions_become_cards_in_note_order() -> None:
    made_cards = made(grounded_draft(questions=2, concepts=2))
    assert [(c["kind"], c["front"]) for c in made_cards] == [
        ("concept", "What is Concept 0?"), ("concept", "What is Concept 1?"),
        ("question", "What does line 0 say?"), ("question", "What does line 1 say?")]
    question = made_cards[2]
    assert question["url"] == "https://www.youtube.com/watch?v=sbPhysics01&t=100s"
    assert question["back"] == question["quote"] and question["state"] == "new"
    assert [c["position"] for c in made_cards] == [0, 1, 2, 3]
    assert all(cards.is_card_id(c["card_id"]) and c["card_id"].startswith("n1-")
               for c in made_cards)
    assert made_cards[0]["due_key"] == \
        f"n#2026-03-01T08:00:00.000Z#0000#{made_cards[0]['card_id']}"
    assert made_cards[0]["user_subject"] == "u#Physics"


def test_an_unverified_item_never_becomes_a_card() -> None:
    draft = grounded_draft(questions=3, concepts=1, unverified=(1,))
    draft["core_concepts"].append({"term": "Ungrounded", "definition": "d", "quote": "q",
                                   "timestamp": None, "verified": False})
    draft["core_concepts"].append({"term": "No grounding", "definition": "d", "quote": "q",
                                   "timestamp": 3.0})  # never checked: no card either
    fronts = [c["front"] for c in made(draft)]
    assert fronts == ["What is Concept 0?", "What does line 0 say?", "What does line 2 say?"]


def test_ids_are_stable_per_note_and_item() -> None:
    first, again = made(grounded_draft()), made(grounded_draft())
    assert [c["card_id"] for c in first] == [c["card_id"] for c in again]
    other_note = made(grounded_draft(), note_id="n2")
    assert not {c["card_id"] for c in first} & {c["card_id"] for c in other_note}
    twice = grounded_draft(questions=1)
    twice["review_questions"].append(dict(twice["review_questions"][0]))
    assert len(made(twice)) == 3  # the same item twice is one card


def test_questions_only_when_the_note_shows_them() -> None:
    assert {c["kind"] for c in made(grounded_draft(), include_questions=False)} == {"concept"}


def test_public_card_has_the_contracts_fields() -> None:
    shown = cards.public_card(made(grounded_draft())[0])  # type: ignore[arg-type]
    assert set(shown) == {"card_id", "note_id", "note_title", "subject", "kind", "front",
                          "back", "quote", "url", "state", "due", "last_review", "reps",
                          "lapses", "stability", "difficulty"}


def test_a_concepts_front_takes_the_article_the_lecture_says() -> None:
    """"What is the fluid mosaic model?", not "What is fluid mosaic model?"; a term said
    bare stays bare; the id is the one the plain front made, so history is kept."""
    draft = grounded_draft(questions=0, concepts=2)
    mosaic, entropy = draft["core_concepts"]
    mosaic.update(term="fluid mosaic model",
                  quote="that picture is called the fluid mosaic model")
    entropy.update(term="entropy", quote="entropy counts the microstates")
    made_cards = made(draft)
    assert [c["front"] for c in made_cards] == ["What is the fluid mosaic model?",
                                                "What is entropy?"]
    assert made_cards[0]["card_id"] == cards.card_id(
        "n1", "concept", "What is fluid mosaic model?", mosaic["quote"])
    assert cards.concept_front("operon", "An operon is a cluster") == "What is an operon?"
    assert cards.concept_front("gene", "a generation later") == "What is gene?"


def test_a_sentence_of_the_lecture_is_asked_about_once() -> None:
    # The offline writer asks "What is meant by ...?" of a sentence a concept card
    # already asks about, and may blank two terms of one sentence: one card each.
    draft = grounded_draft(questions=2, concepts=2)
    concept = draft["core_concepts"][1]
    draft["review_questions"] += [
        {"question": "What is meant by “Concept 1”?", "kind": "recall",
         "answer": concept["definition"], "quote": concept["quote"].upper() + "  ",
         "timestamp": concept["timestamp"], "verified": True},
        {"question": "Fill in the blank: _____ line", "kind": "recall", "answer": "x",
         "quote": draft["review_questions"][0]["quote"], "timestamp": 100.0,
         "verified": True}]
    fronts = [c["front"] for c in made(draft)]
    assert fronts == ["What is Concept 0?", "What is Concept 1?", "What does line 0 say?",
                      "What does line 1 say?"]
