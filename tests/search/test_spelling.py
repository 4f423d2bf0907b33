"""A misspelled query word is read as the student's own lectures spell it
(chalicelib.search.spelling): only words no lecture says and the model does not know,
only toward words of the student's own index."""
from __future__ import annotations

from urllib.parse import quote

import pytest

from chalicelib.search import index as search_index
from chalicelib.search import lexical, spelling
from tests.conftest import call
from tests.search.conftest import index_lecture


def searched(client, user, q: str, note_id: str | None = None) -> dict:
    response = call(client, "GET", "/search?q=" + quote(q)
                    + (f"&note_id={quote(note_id)}" if note_id else ""), token=user["id_token"])
    assert response.status_code == 200, response.body
    return response.json_body


@pytest.fixture
def library(stack, user) -> dict[str, str]:
    return {name: index_lecture(user["user_id"], name)
            for name in ("chem_mole", "phil_epistemology")}


def test_edits_are_counted_as_a_typist_makes_them():
    assert spelling.distance("entrophy", "entropy", 2) == 1  # a letter added
    assert spelling.distance("relaibilism", "reliabilism", 2) == 1  # two neighbours swapped
    assert spelling.distance("avagadro", "avogadro", 2) == 1
    assert spelling.distance("photosynthsis", "photosynthesis", 2) == 1
    assert spelling.distance("kitten", "sitting", 3) == 3
    assert spelling.distance("abcdefgh", "zyxwvuts", 2) == 3  # stops at bound + 1
    assert spelling.max_edits("numbr") == 1 and spelling.max_edits("epistimology") == 2


def test_a_misspelled_search_finds_what_the_right_spelling_finds(client, user, library):
    right = searched(client, user, "reliabilism and epistemology")
    typed = searched(client, user, "relaibilism and epistimology")
    assert right["respelled"] == {}
    assert {word.lower(): said.lower() for word, said in typed["respelled"].items()} == \
        {"relaibilism": "reliabilism", "epistimology": "epistemology"}
    assert typed["results"] == right["results"]
    assert typed["results"][0]["note_id"] == library["phil_epistemology"]
    # A question too: answered from the same lecture, not refused.
    answer = call(client, "POST", "/ask", token=user["id_token"],
                  body={"question": "What is relaibilism?"}).json_body
    assert answer["covered"] and answer["citations"][0]["note_id"] == library["phil_epistemology"]


def test_the_student_is_shown_the_word_as_typed_and_as_the_lecture_writes_it(client, user,
                                                                           library):
    # The index keeps "communities" as "community" (its plural fold); the lecture says
    # "communities", so that is what the student reads and what is searched for.
    typed = searched(client, user, "Comunities of knowers")
    assert typed["respelled"] == {"Comunities": "communities"}
    assert typed["results"][0]["note_id"] == library["phil_epistemology"]
    assert spelling.respell(search_index.load(user["user_id"]), "Comunities of knowers",
                            ["comunity", "knower"]).query == "communities of knowers"


def test_a_respelled_word_is_always_said(client, user, library):
    # A decomposed accent is the word the index reads ("relaíbilism" -> "relaibilism").
    decomposed = searched(client, user, "relai\u0301bilism")
    assert list(decomposed["respelled"].values()) == ["reliabilism"]
    assert decomposed["results"][0]["note_id"] == library["phil_epistemology"]
    # A fix the query's own words do not show is still in what the student is told.
    index = search_index.load(user["user_id"])
    assert spelling.respell(index, "what is it", ["relaibilism"]).shown == \
        {"relaibilism": "reliabilism"}


def test_only_words_of_spaced_scripts_are_respelled():
    assert spelling.spelled_in_spaces("entrophy") and spelling.spelled_in_spaces("энтропия")
    # One "word" of Chinese is a phrase: "the second law" is one edit from "the first".
    assert not spelling.spelled_in_spaces("热力学第二定律")
    assert not spelling.spelled_in_spaces("co2") and not spelling.spelled_in_spaces("self_x")


def test_real_words_short_words_and_numbers_are_left_as_typed(client, user, library):
    index = search_index.load(user["user_id"])
    # "moles" is a word of the index; "passes", "heroes" and "wishes" are words the model
    # knows, never made the index's "pause", "here" and "wise" (their plural folds,
    # "passe", "heroe", "wishe", are no words); "mol" is too short to tell; "6022x" holds
    # a digit.
    for typed in ("moles", "passes", "heroes", "wishes", "mol", "6022x", "zyxwvut"):
        assert spelling.corrections(index, lexical.terms(typed)) == {}, typed
    assert searched(client, user, "zyxwvut qqqqqqq")["results"] == []


def test_a_word_is_only_respelled_toward_the_students_own_lectures(client, user, other_user,
                                                                   library):
    # The other student has no epistemology lecture: nothing to respell toward, nothing
    # of this student's found.
    index_lecture(other_user["user_id"], "chem_mole")
    theirs = searched(client, other_user, "relaibilism")
    assert theirs["respelled"] == {}
    assert all(hit["note_id"] != library["phil_epistemology"] for hit in theirs["results"])


def test_at_most_a_few_words_a_query_are_looked_up(client, user, library):
    index = search_index.load(user["user_id"])
    typos = ["epistimology", "relaibilism", "avagadro", "skepticsm", "foundationlism",
             "coherentsm", "contextualsm"]
    fixed = spelling.corrections(index, typos)
    assert len(fixed) == spelling.MAX_RESPELLED
    assert list(fixed) == typos[:spelling.MAX_RESPELLED]


def test_a_filtered_search_respells_only_toward_the_lectures_it_searches(client, user,
                                                                          library):
    # "reliabilism" is said in the epistemology lecture only: a search of the mole
    # lecture alone is not told it searched for a word that lecture never says.
    everywhere = searched(client, user, "relaibilism")
    assert list(everywhere["respelled"].values()) == ["reliabilism"]
    mole_only = searched(client, user, "relaibilism", library["chem_mole"])
    assert mole_only["respelled"] == {}
    assert all(hit["note_id"] == library["chem_mole"] for hit in mole_only["results"])
    epistemology_only = searched(client, user, "relaibilism", library["phil_epistemology"])
    assert list(epistemology_only["respelled"].values()) == ["reliabilism"]


def test_a_name_the_lectures_say_as_a_possessive_is_shown_as_the_name(client, user, library):
    # The mole lecture says "Avogadro's number" far more often than "Avogadro".
    index = search_index.load(user["user_id"])
    said = [hit for hit in searched(client, user, "avogadro")["results"]
            if "Avogadro's" in hit["text"]]
    assert said, "the lecture says the possessive"
    assert spelling.said_as(index, "avogadro") == "Avogadro"
    assert searched(client, user, "avagadro number")["respelled"] == {"avagadro": "Avogadro"}
