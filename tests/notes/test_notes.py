"""The notes read side (docs/DESIGN.md section 4). Records are written through chalicelib,
as the processing pipeline will write them."""
from __future__ import annotations

import requests

from chalicelib.knowledge import embeddings
from chalicelib.notes import note_store
from tests.conftest import call

CONTENT = "---\ntitle: \"Entropy\"\n---\n# Entropy\n\n## Summary\nDisorder grows.\n"


def save(user, title="Entropy", category="Physics", video_id="v1", content=CONTENT):
    return note_store.save_note(user_id=user["user_id"], video_id=video_id, title=title,
                           category=category, content=content, tags=["thermodynamics"],
                           related=[], embedding=embeddings.pack([0.25, -0.5]))


def test_list_newest_first_without_content_and_paged(client, user):
    saved = [save(user, title=f"Lecture {i}") for i in range(3)]
    page = call(client, "GET", "/notes?limit=2", token=user["id_token"]).json_body
    assert [n["note_id"] for n in page["notes"]] == [saved[2]["note_id"], saved[1]["note_id"]]
    assert all("content" not in n and "embedding" not in n for n in page["notes"])
    assert page["notes"][0]["content_length"] == len(CONTENT.encode())
    assert page["notes"][0]["tags"] == ["thermodynamics"]
    rest = call(client, "GET", f"/notes?limit=2&last_key={page['last_key']}",
                token=user["id_token"]).json_body
    assert [n["note_id"] for n in rest["notes"]] == [saved[0]["note_id"]]
    assert rest["last_key"] is None


def test_category_filter_reads_only_that_category(client, user):
    physics = save(user, title="Heat", category="Physics")
    save(user, title="Sonnets", category="Literature")
    listed = call(client, "GET", "/notes?category=Physics", token=user["id_token"]).json_body
    assert [n["note_id"] for n in listed["notes"]] == [physics["note_id"]]
    assert call(client, "GET", "/notes?category=Chemistry",
                token=user["id_token"]).json_body["count"] == 0
    all_notes = call(client, "GET", "/notes?limit=1", token=user["id_token"]).json_body
    assert call(client, "GET", f"/notes?category=Physics&last_key={all_notes['last_key']}",
                token=user["id_token"]).status_code == 400


def test_read_with_and_without_content(client, user):
    note = save(user)
    plain = call(client, "GET", f"/notes/{note['note_id']}", token=user["id_token"]).json_body
    assert "content" not in plain and plain["title"] == "Entropy"
    full = call(client, "GET", f"/notes/{note['note_id']}?include_content=true",
                token=user["id_token"]).json_body
    assert full["content"] == CONTENT
    assert call(client, "GET", f"/notes/{note['note_id']}?include_content=maybe",
                token=user["id_token"]).status_code == 400


def test_download_is_a_presigned_url_named_after_the_title(client, user):
    note = save(user, title='Entropy: "Why" / How?')
    response = call(client, "GET", f"/notes/{note['note_id']}/download",
                    token=user["id_token"])
    assert response.status_code == 200
    body = response.json_body
    assert body["filename"] == "Entropy Why How.md" and body["expires_in"] == 900
    fetched = requests.get(body["url"], timeout=10)
    assert fetched.status_code == 200
    assert fetched.content.decode() == CONTENT
    assert 'filename="Entropy Why How.md"' in fetched.headers["Content-Disposition"]


def test_titles_are_unique_per_user_not_across_users(user, other_user):
    first = save(user, title="Entropy")
    second = save(user, title="entropy")
    theirs = save(other_user, title="Entropy")
    assert (first["title"], second["title"], theirs["title"]) == \
        ("Entropy", "entropy (2)", "Entropy")


def test_another_users_note_is_404_on_every_route(client, user, other_user):
    note = save(user)
    for path in (f"/notes/{note['note_id']}", f"/notes/{note['note_id']}?include_content=true",
                 f"/notes/{note['note_id']}/download"):
        response = call(client, "GET", path, token=other_user["id_token"])
        assert response.status_code == 404, path
        assert response.json_body == {"Code": "NotFoundError", "Message": "Note not found"}
    assert call(client, "GET", "/notes", token=other_user["id_token"]).json_body["count"] == 0
    assert call(client, "GET", "/notes/unknown-note", token=user["id_token"]).status_code == 404
