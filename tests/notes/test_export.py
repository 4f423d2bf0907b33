"""GET /notes/export: an Obsidian vault (zip) or Anki cards, built one note at a time."""
from __future__ import annotations

import io
import re
import tracemalloc
import zipfile

import pytest
import requests

from chalicelib.notes import export, markdown, note_store, wikilinks
from tests.conftest import call

WIKILINK = re.compile(r"\[\[([^\[\]\n]+?)\]\]")


def note_draft(title: str, *, mentions=(), questions=2, padding: str = "") -> dict:
    return {
        "summary": f"About {title}. " + " ".join(f"It builds on {m}." for m in mentions)
                   + padding,
        "core_concepts": [{"term": "Entropy", "definition": "Disorder.", "timestamp": 5.0}],
        "key_points": [{"text": "Heat flows to cold.", "timestamp": 12.0}],
        "sections": [{"title": "Start", "timestamp": 0.0,
                      "bullets": [{"text": "First words.", "timestamp": 1.0}]}],
        "review_questions": [{"question": f"What is point {i} of {title}?",
                              "answer": f"Answer {i} <b>with</b>\ttab & HTML.",
                              "timestamp": 30.0 + i} for i in range(1, questions + 1)],
    }


def note_markdown(title: str, category: str, *, related=(), mentions=(), questions=2,
                  padding: str = "") -> str:
    draft = note_draft(title, mentions=mentions, questions=questions, padding=padding)
    content = markdown.render(draft=draft, video_id="dQw4w9WgXcQ", title=title,
                               channel="Prof", duration_seconds=600, category=category,
                               tags=["a", "b", "c"], created="2026-11-22T10:00:00Z",
                               generator="extractive", related_titles=list(related))
    linked, _ = wikilinks.link_mentions(content, list(mentions), own_title=title)
    return linked


def save(user, title, category, *, video_id=None, **markdown) -> dict:
    stored = {"youtube_video_id": "dQw4w9WgXcQ", "include_questions": True,
              "draft": note_draft(title, **{k: v for k, v in markdown.items()
                                            if k != "related"})}
    return note_store.save_note(user_id=user["user_id"], video_id=video_id or title, title=title,
                           category=category, content=note_markdown(title, category,
                                                                    **markdown),
                           draft=stored)


def fetch(client, user, query: str = "") -> tuple[dict, bytes]:
    response = call(client, "GET", f"/notes/export{query}", token=user["id_token"])
    assert response.status_code == 200, response.body
    body = response.json_body
    downloaded = requests.get(body["url"], timeout=10)
    assert downloaded.status_code == 200
    return body, downloaded.content


def stems(vault: zipfile.ZipFile) -> dict[str, str]:
    """File name (no folder, no .md) -> path, as Obsidian resolves [[links]]."""
    return {name.rsplit("/", 1)[-1][:-3]: name for name in vault.namelist()
            if name.endswith(".md")}


def assert_every_link_resolves(vault: zipfile.ZipFile) -> int:
    files = stems(vault)
    assert len(files) == len(vault.namelist())  # every file is a note, names unique
    assert len({name.casefold() for name in files}) == len(files)
    count = 0
    for name in vault.namelist():
        for link in WIKILINK.findall(vault.read(name).decode()):
            target = link.split("|", 1)[0].split("#", 1)[0]
            assert target in files, (name, link)
            count += 1
    return count


def test_the_vault_has_a_folder_per_category_and_every_link_resolves(client, user,
                                                                      other_user):
    save(user, "Entropy", "Physics")
    save(user, 'Entropy: "Why" / How?', "Physics", related=["Entropy"])
    save(user, "A/B testing", "Statistics")
    save(user, "A B testing", "Statistics", related=["A/B testing", 'Entropy: "Why" / How?'],
         mentions=["Entropy", "A/B testing"])
    save(user, "Physics Index", "C++ / Systems", mentions=["Entropy"])
    gone = save(user, "Deleted later", "Physics", video_id="gone")
    save(user, "Linker", "Physics", related=["Deleted later", "Entropy"],
         mentions=["Deleted later"])
    assert note_store.delete_for_video(user["user_id"], "gone") == 1
    save(other_user, "Their secret", "Physics")

    body, data = fetch(client, user)
    assert body["note_count"] == 6 and body["expires_in"] == export.EXPORT_EXPIRES_IN
    assert re.fullmatch(r"study-buddy-vault-\d{4}-\d{2}-\d{2}\.zip", body["filename"])
    vault = zipfile.ZipFile(io.BytesIO(data))
    assert vault.testzip() is None
    names = set(vault.namelist())
    assert {"Study Buddy/Index.md", "Study Buddy/Physics/Entropy.md",
            "Study Buddy/Physics/Entropy Why How.md", "Study Buddy/Statistics/A B testing.md",
            "Study Buddy/Statistics/A B testing (2).md", "Study Buddy/C++ Systems/Physics Index.md",
            "Study Buddy/Physics/Linker.md", "Study Buddy/Physics/Physics Index (2).md",
            "Study Buddy/Statistics/Statistics Index.md",
            "Study Buddy/C++ Systems/C++ Systems Index.md"} == names
    assert assert_every_link_resolves(vault) >= 12
    text = {name: vault.read(name).decode() for name in names}
    # Two titles with one file name: each link still reaches its own note.
    ab = text["Study Buddy/Statistics/A B testing (2).md"]
    assert "- [[A B testing|A/B testing]]\n" in ab
    assert "[[Entropy Why How|Entropy: \"Why\" / How?]]" in ab
    assert "[[Entropy]]" in ab
    # A link to a note that is gone keeps its words, without a link.
    linker = text["Study Buddy/Physics/Linker.md"]
    assert "- Deleted later\n" in linker and "It builds on Deleted later." in linker
    assert gone["title"] not in str(names)
    index = text["Study Buddy/Physics/Physics Index (2).md"]
    assert index.startswith("# Physics\n\n3 notes.\n")
    assert "- [[Entropy Why How|Entropy: \"Why\" / How?]]\n" in index
    root = text["Study Buddy/Index.md"]
    assert "[[C++ Systems Index|C++ / Systems]]" in root and "[[Physics Index (2)|Physics]]" \
        in root
    assert "Their secret" not in str(names) and "secret" not in " ".join(text.values())
    key = body["url"].split("?")[0].split("/", 3)[3]
    assert f"exports/{user['user_id']}/" in key


def test_an_empty_vault_is_still_a_vault(client, user):
    body, data = fetch(client, user)
    assert body["note_count"] == 0
    vault = zipfile.ZipFile(io.BytesIO(data))
    assert vault.namelist() == ["Study Buddy/Index.md"]
    assert "No notes yet." in vault.read("Study Buddy/Index.md").decode()


def test_anki_cards_are_tab_separated_and_tagged_by_category(client, user):
    save(user, "Entropy", "Physics", questions=2)
    save(user, "Sorting", "Computer Science", questions=1)
    save(user, "No questions", "Physics", questions=0)
    body, data = fetch(client, user, "?format=anki")
    assert body["note_count"] == 3 and body["card_count"] == 3
    assert body["filename"].endswith(".txt") and body["format"] == "anki"
    lines = data.decode().splitlines()
    assert lines[:4] == ["#separator:tab", "#html:true", "#notetype:Basic", "#tags column:3"]
    cards = [line.split("\t") for line in lines[4:]]
    assert all(len(card) == 3 for card in cards)
    front, back, tag = cards[0]
    assert front.startswith("What is point 1 of Entropy? (<a href=\"https://www.youtube.com/"
                            "watch?v=dQw4w9WgXcQ&amp;t=31s\">00:31</a>)")
    assert back == "Answer 1 &lt;b&gt;with&lt;/b&gt; tab &amp; HTML.<br><small>Entropy</small>"
    assert tag == "Physics"
    assert cards[2][2] == "Computer_Science"


@pytest.mark.parametrize("query", ["?format=pdf", "?format=", "?fmt=anki"])
def test_unknown_formats_are_400(client, user, query):
    response = call(client, "GET", f"/notes/export{query}", token=user["id_token"])
    assert response.status_code == 400
    assert response.json_body["Code"] == "BadRequestError"


def test_export_is_not_taken_for_a_note_id(client, user):
    assert call(client, "GET", "/notes/export").status_code == 401
    assert call(client, "GET", "/notes/export", token=user["id_token"]).status_code == 200
    assert call(client, "GET", "/notes/exports", token=user["id_token"]).status_code == 404


def _peak(entries, path) -> int:
    tracemalloc.start()
    try:
        export.write_vault(str(path), entries)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_the_export_holds_one_note_at_a_time(user, tmp_path):
    """Notes of ~400 KB: the peak does not grow with the number of notes. (Each S3 read
    through the in-process emulator costs a constant ~10 MB transient of its own, so the
    peak is compared between a small and a large vault, not with the notes' total.)"""
    padding = "Words about entropy and heat. " * 13_000
    for i in range(20):
        save(user, f"Long lecture {i}", "Physics", padding=padding)
    entries = list(export._records(user["user_id"]))
    size = len(note_markdown("Long lecture 0", "Physics", padding=padding).encode())
    assert size > 350_000
    # Warm up: the first S3 reads and zip writes load botocore's and the emulator's
    # models and fill their caches, which would otherwise count against one run only.
    _peak(entries[:4], tmp_path / "warm.zip")
    small = _peak(entries[:4], tmp_path / "small.zip")
    large = _peak(entries, tmp_path / "large.zip")
    assert large < small + 3 * size, (small, large, size)  # 16 more notes: not 16 * size
    with zipfile.ZipFile(tmp_path / "large.zip") as vault:
        assert len(vault.namelist()) == 22 and assert_every_link_resolves(vault) >= 21
