"""The index through the real pipeline (docs/DESIGN.md section 13): a processed video's
note is searchable, its unverified items never are, deleting the video removes it."""
from __future__ import annotations

from chalicelib.notes import note_store
from chalicelib.search import index as search_index
from testkit import fake_anthropic
from testkit.lectures import lecture
from tests.conftest import call
from tests.processing.test_pipeline import (  # noqa: F401  (fixtures)
    claude,
    submit,
    video_of,
    work,
    youtube,
)
from tests.search.test_search import search


def test_a_processed_note_is_searchable_until_its_video_is_deleted(client, stack, user,
                                                                    youtube):
    video_id = submit(client, user, youtube.add(lecture(5)))["video_id"]
    assert work(stack) == 1
    done = video_of(client, user, video_id)
    assert done["status"] == "completed"
    hits = search(client, user, "Carnot cycle highest efficiency of a heat engine")
    assert hits and hits[0]["note_id"] == done["note_id"]
    assert hits[0]["url"].endswith(f"&t={int(hits[0]['start_seconds'])}s")
    assert search_index.has_note(user["user_id"], done["note_id"])
    response = call(client, "DELETE", f"/videos/{video_id}", token=user["id_token"])
    assert response.status_code == 204
    assert search(client, user, "Carnot cycle") == []
    assert not search_index.has_note(user["user_id"], done["note_id"])


def test_an_item_the_transcript_does_not_bear_out_is_never_a_hit(client, stack, user,
                                                                   youtube, claude):
    # Claude's items keep true quotes, but some state a number or a "not" their quote
    # does not: the grounding marks them unverified, and the index leaves them out.
    claude.answer = lambda request: fake_anthropic.with_unsupported_claims(
        fake_anthropic.default_answer(request))
    video_id = submit(client, user, youtube.add(lecture(5)))["video_id"]
    assert work(stack) == 1
    note_id = video_of(client, user, video_id)["note_id"]
    stored = note_store.read_draft({"user_id": user["user_id"], "note_id": note_id})
    assert stored is not None
    draft = stored["draft"]
    unverified = [item for item in draft["key_points"] + draft["review_questions"]
                  if item.get("verified") is False]
    assert unverified
    hits = search(client, user, fake_anthropic.UNSUPPORTED_AMOUNT, limit=50)
    assert all(hit["kind"] == "passage" or fake_anthropic.UNSUPPORTED_AMOUNT
                        not in hit["text"] for hit in hits)
    items = [hit for hit in search(client, user, "entropy heat", limit=50)
             if hit["kind"] == "item"]
    assert items
