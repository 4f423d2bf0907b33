"""GET /search (docs/DESIGN.md section 13): a student's notes found by meaning and by
words, every hit at its second of the video; filters; bad input; another student's
notes never read; the index cached per container and re-read only where it changed."""
from __future__ import annotations

import re
from urllib.parse import quote

import pytest

from chalicelib.core import aws, config
from chalicelib.search import index as search_index
from tests.conftest import call
from tests.search.conftest import corpus, index_lecture

URL_RE = re.compile(r"^https://www\.youtube\.com/watch\?v=[\w-]{11}&t=(\d+)s$")


def search(client, user, q: str, **params) -> list[dict]:
    path = "/search?q=" + quote(q) + "".join(f"&{k}={quote(str(v))}" for k, v in params.items())
    response = call(client, "GET", path, token=user["id_token"])
    assert response.status_code == 200, response.body
    assert response.json_body["count"] == len(response.json_body["results"])
    return response.json_body["results"]


@pytest.fixture
def library(stack, user) -> dict[str, str]:
    """The student's notes: three lectures of the corpus, indexed."""
    return {name: index_lecture(user["user_id"], name)
            for name in ("chem_mole", "math_determinants", "es_oferta_demanda")}


def test_a_question_finds_the_lecture_and_second_that_answer_it(client, user, library):
    hits = search(client, user, "what is the number of particles in one mole")
    assert hits and hits[0]["note_id"] == library["chem_mole"]
    best = hits[0]
    assert set(best) == {"note_id", "title", "category", "text", "quote", "start_seconds",
                         "url", "score", "kind"}
    assert best["kind"] in ("item", "passage") and best["category"] == "Chemistry"
    second = int(URL_RE.match(best["url"]).group(1))
    assert second == int(best["start_seconds"])
    assert "qbChemMole1" in best["url"]
    # The hit's moment is where the lecture says it: Avogadro's number at its second.
    transcript = corpus("chem_mole")[0]
    said = [s.start for s in transcript.segments if "6.022" in s.text or "avogadro" in
            s.text.lower()]
    assert min(abs(best["start_seconds"] - t) for t in said) <= 30
    hits = search(client, user, "why is the determinant a d minus b c")
    assert hits[0]["note_id"] == library["math_determinants"]


def test_one_moment_is_one_hit(client, user, library):
    # A concept, its review question and the passage it was said in open the same
    # second of the same lecture: the student sees that moment once.
    hits = search(client, user, "mole", limit=50)
    moments = [(hit["note_id"], int(hit["start_seconds"])) for hit in hits]
    assert len(hits) >= 5 and len(moments) == len(set(moments))
    assert len(search(client, user, "mole", limit=3)) == 3


def test_an_exact_term_is_found_by_its_words(client, user, library):
    # "RuBisCO" is a name the model has no meaning for; the lexical half finds it.
    index_lecture(user["user_id"], "de_photosynthese")
    hits = search(client, user, "RuBisCO", limit=3)
    assert hits and hits[0]["note_id"] == "qbDeFotosy1"
    assert "rubisco" in (hits[0]["text"] + hits[0]["quote"]).lower()


def test_only_verified_items_become_hits(client, user, stack):
    transcript, draft, _ = corpus("chem_mole")
    draft = {**draft, "core_concepts": [dict(c) for c in draft["core_concepts"]]}
    draft["core_concepts"].append({"term": "Phlogiston", "definition":
                                   "Phlogiston is what a mole of gold weighs in Atlantis.",
                                   "quote": "phlogiston weighs nothing in Atlantis",
                                   "timestamp": None, "verified": False})
    index_lecture(user["user_id"], "chem_mole", draft=draft)
    hits = search(client, user, "Phlogiston Atlantis", limit=50)
    assert all("Phlogiston" not in hit["text"] for hit in hits)
    items = [hit for hit in search(client, user, "molar mass", limit=50)
             if hit["kind"] == "item"]
    verified = {item["quote"] for item in search_index.verified_items(draft)}
    assert items and all(hit["quote"] in verified for hit in items)


def test_filters_by_subject_and_note(client, user, library):
    assert {hit["category"] for hit in search(client, user, "mass and price", limit=50)} \
        == {"Chemistry", "Economics"}
    hits = search(client, user, "mass and price", subject="Chemistry", limit=50)
    assert hits and {hit["category"] for hit in hits} == {"Chemistry"}
    hits = search(client, user, "mass and area", note_id=library["math_determinants"],
                  limit=50)
    assert {hit["note_id"] for hit in hits} == {library["math_determinants"]}
    assert search(client, user, "price", subject="Astrology") == []


def test_another_students_notes_are_never_read(client, user, other_user, library, s3_calls):
    assert search(client, other_user, "Avogadro mole") == []
    # Naming the first student's note finds nothing of it for the second.
    assert search(client, other_user, "mole", note_id=library["chem_mole"]) == []
    prefix = f"index/{user['user_id']}/"
    assert not [params for _, params in s3_calls
                if str(params.get("Key", params.get("Prefix", ""))).startswith(prefix)]
    response = call(client, "GET", "/search?q=mole&course_id=someone-elses-course",
                    token=other_user["id_token"])
    assert response.status_code == 404
    assert "Course not found" in response.json_body["Message"]


@pytest.mark.parametrize("path, message", [
    ("/search", "'q' must not be empty"),
    ("/search?q=", "'q' must not be empty"),
    ("/search?q=%20%20", "'q' must not be empty"),
    ("/search?q=" + "a" * 2000, "at most 500 characters"),
    ("/search?q=mole&limit=0", "'limit' must be a whole number from 1 to 50"),
    ("/search?q=mole&limit=51", "'limit' must be a whole number from 1 to 50"),
    ("/search?q=mole&note_id=..%2F..%2Fetc", "'note_id' is not valid"),
    ("/search?q=mole&sort=new", "Unknown query parameter"),
])
def test_bad_input_is_a_400_that_says_what_to_fix(client, user, path, message):
    response = call(client, "GET", path, token=user["id_token"])
    assert response.status_code == 400
    assert message in response.json_body["Message"]


def test_search_needs_a_token(client):
    assert call(client, "GET", "/search?q=mole").status_code == 401


def test_the_cache_rereads_only_what_changed(client, user, library, s3_calls):
    search_index.forget(user["user_id"])
    search(client, user, "mole")
    reads = [p["Key"] for op, p in s3_calls if op == "GetObject"]
    assert len(reads) == 3  # every note once, cold
    s3_calls.clear()
    search(client, user, "determinant")
    assert [op for op, _ in s3_calls] == ["HeadObject"]  # unchanged: the marker only
    s3_calls.clear()
    index_lecture(user["user_id"], "de_photosynthese")
    s3_calls.clear()
    assert search(client, user, "Calvin-Zyklus")[0]["note_id"] == "qbDeFotosy1"
    reads = [p["Key"] for op, p in s3_calls if op == "GetObject"]
    assert reads == [search_index.note_key(user["user_id"], "qbDeFotosy1")]


def test_a_deleted_note_leaves_the_index(client, user, library):
    assert search(client, user, "Avogadro")[0]["note_id"] == library["chem_mole"]
    search_index.remove_note(user["user_id"], library["chem_mole"])
    assert all(hit["note_id"] != library["chem_mole"]
               for hit in search(client, user, "Avogadro", limit=50))
    assert not search_index.has_note(user["user_id"], library["chem_mole"])


def test_saving_again_replaces_the_notes_entries(client, user, library):
    before = search(client, user, "Avogadro", note_id=library["chem_mole"], limit=50)
    index_lecture(user["user_id"], "chem_mole")  # reprocessed: the same note id
    after = search(client, user, "Avogadro", note_id=library["chem_mole"], limit=50)
    assert len(after) == len(before)
    listed = aws.client("s3").list_objects_v2(
        Bucket=config.notes_bucket(), Prefix=f"index/{user['user_id']}/notes/")
    assert len(listed["Contents"]) == 3


def test_the_cached_indexes_stay_within_the_memory_budget(client, user, other_user, library,
                                                          s3_calls, monkeypatch):
    index_lecture(other_user["user_id"], "chem_mole")
    for student in (user, other_user):
        search_index.forget(student["user_id"])
    search(client, user, "mole")
    first = search_index.load(user["user_id"]).held_bytes
    # Room for the first student's index and not for a second one beside it.
    monkeypatch.setenv("SEARCH_CACHE_MB", str(first * 1.2 / 2**20))
    assert search(client, other_user, "mole")
    assert search(client, other_user, "mole")  # the one just served stays cached
    s3_calls.clear()
    assert search(client, user, "mole")[0]["note_id"] == library["chem_mole"]
    reads = [p["Key"] for op, p in s3_calls if op == "GetObject"]
    assert len(reads) == 3  # dropped to make room: read again, every note
    monkeypatch.setenv("SEARCH_CACHE_MB", "1024")
    s3_calls.clear()
    search(client, user, "mole")
    assert [op for op, _ in s3_calls] == ["HeadObject"]  # within budget: kept
