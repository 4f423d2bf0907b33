"""The knowledge layer (docs/DESIGN.md section 7): the exported embedding model, filing notes
under a subject, tags, related notes, [[links]] in the text and category counts.

Everything runs the real artifact in chalicelib/knowledge/model/ (built by `make model`),
with numpy and no torch. The notes here are not the ones the model and the
thresholds were measured on (scripts/eval_notes.py)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from chalicelib.knowledge import embeddings, filing, library, tagging, taxonomy
from chalicelib.notes import note_store, wikilinks
from tests.conftest import call

NOTES_BY_SUBJECT = [
    ("Physics", "Special relativity", "Moving clocks run slow and moving rods contract; the "
     "speed of light is the same for every observer, and mass and energy are equivalent."),
    ("Physics", "Thermodynamics: entropy and the second law", "Entropy counts microscopic "
     "arrangements; heat flows from hot to cold and heat engines are limited by the Carnot "
     "efficiency."),
    ("Chemistry", "Redox reactions and electrochemistry", "Oxidation loses electrons and "
     "reduction gains them; galvanic cells turn redox reactions into electric current."),
    ("Chemistry", "Chemical bonding", "Ionic bonds transfer electrons, covalent bonds share "
     "them; electronegativity and Lewis structures predict molecular shape."),
    ("Biology", "DNA replication and protein synthesis", "DNA is copied by polymerase; genes "
     "are transcribed to messenger RNA and translated into proteins by ribosomes."),
    ("Biology", "Ecosystems and food webs", "Producers, consumers and decomposers pass "
     "energy through trophic levels; predators control prey populations."),
    ("Earth Science", "Rocks and minerals", "Igneous, sedimentary and metamorphic rocks form "
     "and transform in the rock cycle through melting, erosion and pressure."),
    ("Astronomy", "Black holes", "When a massive star collapses, gravity traps even light "
     "inside the event horizon; black holes bend spacetime."),
    ("Mathematics", "Integration techniques", "Substitution and integration by parts evaluate "
     "integrals; the fundamental theorem of calculus links integrals and derivatives."),
    ("Mathematics", "Group theory", "A group is a set with an associative operation, an "
     "identity and inverses; symmetries of a square form a group."),
    ("Statistics", "Bayesian inference", "Bayes' theorem updates a prior belief with the "
     "likelihood of the data to give a posterior probability distribution."),
    ("Computer Science", "Graph algorithms", "Breadth-first search, depth-first search and "
     "Dijkstra's shortest path algorithm traverse graphs of nodes and edges."),
    ("Computer Science", "Introduction to Python programming", "Variables, loops, functions "
     "and lists; writing and debugging small programs in Python."),
    ("Engineering", "Thermal power plants", "Steam turbines, boilers and condensers convert "
     "fuel into electricity; engineers maximise plant efficiency and reliability."),
    ("Medicine", "The nervous system", "Neurons transmit signals along axons; the brain and "
     "spinal cord form the central nervous system; strokes and epilepsy are treated by "
     "neurologists."),
    ("Psychology", "Child development", "Piaget's stages describe how children's thinking "
     "develops; attachment to caregivers shapes social and emotional growth."),
    ("Economics", "Game theory and oligopoly", "Firms in an oligopoly choose prices "
     "strategically; the prisoner's dilemma and Nash equilibrium explain cartels and price "
     "wars."),
    ("Business", "Project management", "Plan scope, schedule and budget; agile teams work in "
     "sprints, and managers track risks and stakeholders."),
    ("Political Science", "Democracy and authoritarianism", "Democracies hold free elections "
     "and protect civil liberties; authoritarian regimes concentrate power and limit "
     "opposition."),
    ("Sociology", "Gender and society", "Gender roles are socially constructed; sociologists "
     "study inequality at work, in the family and in the media."),
    ("History", "World War One", "The assassination of Franz Ferdinand set off a war of "
     "alliances, trench warfare on the western front, and the treaty of Versailles."),
    ("Philosophy", "Kant's ethics", "The categorical imperative: act only on maxims you could "
     "will as universal laws, and treat people as ends, never merely as means."),
    ("Literature", "Jane Austen's novels", "Pride and Prejudice satirises marriage and class "
     "in Regency England through irony and free indirect speech."),
    ("Languages", "French pronunciation and grammar", "Nasal vowels, silent endings and "
     "liaison; gendered nouns, articles and the passé composé with avoir and être."),
    ("Art", "Sculpture through the ages", "From Greek marble statues to Michelangelo's David "
     "and Rodin, sculptors carved, modelled and cast figures in stone and bronze."),
    ("Music", "Learning guitar chords", "Open chords, strumming patterns and barre chords; "
     "practising chord changes to play songs in time."),
    ("Law", "Tort law and negligence", "A defendant owes a duty of care; breaching it and "
     "causing harm makes them liable to compensate the injured party."),
]
OFF_TOPIC = [
    "Sourdough at home. Feed the starter, fold the dough, proof overnight and bake hot.",
    "Fortnite season tips. Best landing spots, building fast and winning more matches.",
    "Unboxing the new phone. Camera, battery life and first impressions.",
    "Morning routine vlog. Coffee, journaling and a walk with the dog.",
]
THERMO = [
    "Heat engines and the Carnot cycle. Heat flows from the hot reservoir; the engine turns "
    "part of it into work, and the Carnot efficiency bounds every engine.",
    "Entropy and the second law. The entropy of an isolated system never decreases; "
    "Boltzmann counted microstates.",
]


def draft(title: str, summary: str, **extra) -> dict:
    return {"title": title, "summary": summary, "core_concepts": [], "key_points": [],
            "sections": [], "tags": [], **extra}


def vector_of(title: str, summary: str):
    return embeddings.embed_one(library.note_text(draft(title, summary)))


def library_of(*entries: tuple[str, str, str]) -> library.Library:
    """A user's notes: (title, category, text) each, embedded as the pipeline does."""
    return library.Library.from_records([
        {"note_id": f"n{i}", "title": title, "category": category,
         "embedding": embeddings.pack(embeddings.embed_one(text))}
        for i, (title, category, text) in enumerate(entries)])


# --- the model ---------------------------------------------------------------------

def test_the_export_agrees_with_the_reference_model():
    """Vectors of sentence-transformers' all-MiniLM-L6-v2, saved by `make model`."""
    import numpy as np

    fixture = json.loads((Path(__file__).parent / "minilm_reference.json").read_text())
    reference = np.array(fixture["vectors"], dtype=np.float32)
    exported = embeddings.embed(fixture["texts"])
    cosines = (exported * reference).sum(axis=1) / np.linalg.norm(reference, axis=1)
    assert cosines.min() >= 0.99, cosines
    upper = np.triu_indices(len(reference), k=1)
    ours, theirs = (exported @ exported.T)[upper], (reference @ reference.T)[upper]
    rank = lambda a: np.argsort(np.argsort(a))  # noqa: E731
    assert np.corrcoef(rank(ours), rank(theirs))[0, 1] >= 0.98
    assert exported.shape[1] == 384 and np.allclose(np.linalg.norm(exported, axis=1), 1)


def test_the_artifact_runs_without_torch():
    """In a fresh interpreter where torch cannot even be imported."""
    code = "\n".join([
        "import sys",
        "class NoTorch:",
        "    def find_spec(self, name, path=None, target=None):",
        "        if name.split('.')[0] in ('torch', 'onnxruntime', 'tokenizers', "
        "'transformers', 'sentence_transformers'):",
        "            raise ImportError('not installed: ' + name)",
        "sys.meta_path.insert(0, NoTorch())",
        "from chalicelib.knowledge import embeddings",
        "vectors = embeddings.embed(['Entropy never decreases.', 'Heat flows to cold.'])",
        "assert vectors.shape == (2, 384)",
        "heavy = [m for m in ('torch', 'onnxruntime', 'tokenizers', 'transformers') "
        "if m in sys.modules]",
        "print(heavy, round(float(vectors[0] @ vectors[1]), 2))",
    ])
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=Path(__file__).resolve().parents[2], timeout=120)
    assert result.returncode == 0, result.stderr
    heavy, similarity = result.stdout.rsplit(" ", 1)
    assert heavy == "[]" and 0.1 < float(similarity) < 0.9


def test_the_model_loads_once_and_long_notes_are_cut_like_the_reference():
    assert embeddings.model() is embeddings.model()
    model = embeddings.model()
    ids = model.token_ids("entropy " * 5000)
    assert len(ids) == 256 and ids[0] == model.tokenizer.cls and ids[-1] == model.tokenizer.sep
    assert model.token_ids("Héllo, WORLD!") == model.token_ids("hello , world !")


def test_a_repeated_text_is_read_once_and_every_row_keeps_its_place(monkeypatch):
    import numpy as np

    model = embeddings.model()
    texts = ["[Music]", "Entropy never decreases.", "[Music]", "Heat flows to cold.",
             "[Music]", "Entropy never decreases."]
    alone = np.stack([embeddings.embed_one(text) for text in texts])
    read: list[int] = []
    real_forward = model._forward
    monkeypatch.setattr(model, "_forward", lambda batch: read.append(len(batch))
                        or real_forward(batch))
    together = embeddings.embed(texts)
    assert sum(read) == 3  # three distinct texts
    assert together.shape == (6, 384) and np.allclose(together, alone, atol=1e-5)
    assert embeddings.embed([]).shape == (0, 384)


def test_the_shipped_taxonomy_vectors_are_current():
    stored = embeddings.read_safetensors(embeddings.MODEL_DIR / filing.TAXONOMY_FILE)
    assert bytes(stored["fingerprint"]).decode() == taxonomy.fingerprint(), \
        "the taxonomy changed: run `make model`"
    assert stored["vectors"].shape == (len(taxonomy.texts()), 384)
    assert 18 <= len(taxonomy.TAXONOMY) <= 24


def test_stored_vectors_are_compact_and_keep_their_similarities():
    import numpy as np

    a, b = vector_of(*THERMO[0].split(". ", 1)), vector_of(*THERMO[1].split(". ", 1))
    packed = embeddings.pack(a)
    assert isinstance(packed, bytes) and len(packed) == 385 and packed[0] == 1
    restored, _ = embeddings.unpack_many([packed])
    assert float(restored[0] @ a) > 0.999
    matrix, kept = embeddings.unpack_many([packed, None, b"\x07" + packed[1:],
                                           embeddings.pack(b)])
    assert kept == [0, 3] and matrix.shape == (2, 384)
    assert abs(float(matrix[0] @ matrix[1]) - float(a @ b)) < 0.01
    assert embeddings.unpack_many([b"\x02" + packed[1:]])[1] == []  # another model's vector
    assert np.isclose(np.linalg.norm(embeddings.unpack_many([embeddings.pack([0.25, -0.5])])[0][0]), 1)


# --- category ------------------------------------------------------------------------

def test_notes_are_filed_under_their_subject_across_the_taxonomy():
    filed = [(subject, filing.choose_category(
        submitted=None, default_subject=None, vector=vector_of(title, text)))
        for subject, title, text in NOTES_BY_SUBJECT]
    right = [subject for subject, filed_as in filed if filed_as.category == subject]
    assert len(right) >= 0.9 * len(filed), [(s, f.category) for s, f in filed]
    assert all(f.source == "taxonomy" for s, f in filed if f.category == s)
    assert len({subject for subject, _ in filed}) >= 20


def test_off_topic_videos_are_general():
    for text in OFF_TOPIC:
        filed = filing.choose_category(submitted=None, default_subject=None,
                                           vector=embeddings.embed_one(text))
        assert filed.category == "General", (text, filed)


def test_a_users_own_category_beats_the_taxonomy():
    user_library = library_of(("Carnot", "Thermo Lectures", THERMO[0]),
                         ("Entropy", "Thermo Lectures", THERMO[1]),
                         ("Sonnets", "Poetry Club", "Reading sonnets: meter, rhyme and the "
                          "volta in Shakespeare and Petrarch."))
    note = vector_of("Thermodynamics: entropy and the second law", "Entropy counts "
                     "microscopic arrangements; heat flows from hot to cold and heat engines "
                     "are limited by the Carnot efficiency.")
    filed = filing.choose_category(submitted=None, default_subject=None, vector=note,
                                       library=user_library)
    assert (filed.category, filed.source) == ("Thermo Lectures", "user")
    assert filed.score >= filing.USER_CATEGORY_THRESHOLD
    # Without that category the same note goes to the taxonomy's subject...
    assert filing.choose_category(submitted=None, default_subject=None,
                                     vector=note).category == "Physics"
    # ...and a note about something else is not pulled into the user's categories.
    other = filing.choose_category(submitted=None, default_subject=None, library=user_library,
                                      vector=vector_of(*NOTES_BY_SUBJECT[20][1:]))
    assert (other.category, other.source) == ("History", "taxonomy")


def test_the_subject_given_wins_then_the_default_in_the_users_spelling():
    user_library = library_of(("Carnot", "Physics", THERMO[0]))
    history = vector_of(*NOTES_BY_SUBJECT[20][1:])
    given = filing.choose_category(submitted="  physics ", default_subject="Art",
                                      vector=history, library=user_library)
    assert (given.category, given.source) == ("Physics", "submitted")
    default = filing.choose_category(submitted="", default_subject="Art", vector=history,
                                        library=user_library)
    assert (default.category, default.source) == ("Art", "default")
    # A taxonomy subject the user already has is spelled the user's way.
    mine = library_of(("Carnot", "physics", THERMO[0]))
    assert filing.choose_category(submitted=None, default_subject=None, library=mine,
                                     vector=vector_of("Optics", "Lenses refract light; "
                                                      "mirrors reflect it.")).category \
        == "physics"


def test_a_suggested_subject_informs_but_the_thresholds_decide():
    ambiguous = vector_of("Modelling disease spread", "Differential equations describe how "
                          "an epidemic grows; vaccination lowers the reproduction number.")
    scores = filing.taxonomy_scores(ambiguous)
    names = [name for name, _ in filing.TAXONOMY]
    ranked = sorted(range(len(names)), key=scores.__getitem__, reverse=True)
    runner_up = names[ranked[1]]
    if scores[ranked[0]] - scores[ranked[1]] < filing.SUGGESTION_BONUS:
        suggested = filing.choose_category(submitted=None, default_subject=None,
                                              suggested=runner_up, vector=ambiguous)
        assert suggested.category == runner_up
    # Claude's subject, one of the taxonomy's names, counts when Claude writes (issue 12).
    cooking = embeddings.embed_one(OFF_TOPIC[0])
    chosen = filing.choose_category(submitted=None, default_subject=None,
                                    suggested="Chemistry", vector=cooking)
    assert (chosen.category, chosen.source) == ("Chemistry", "model")
    # ...unless one of the user's own categories matches the note.
    thermo = library_of(("Carnot", "Thermo Lectures", THERMO[0]),
                        ("Entropy", "Thermo Lectures", THERMO[1]))
    note = vector_of(*THERMO[0].split(". ", 1))
    assert filing.choose_category(submitted=None, default_subject=None, suggested="Physics",
                                  vector=note, library=thermo).category == "Thermo Lectures"
    # A suggestion in other words still names its subject.
    physics = filing.choose_category(submitted=None, default_subject=None,
                                        suggested="physics of heat", vector=vector_of(
                                            *NOTES_BY_SUBJECT[1][1:]))
    assert physics.category == "Physics"


def test_three_to_eight_tags():
    assert tagging.choose_tags([], [], title="Entropy", category="Physics") == \
        ["entropy", "physics", "study-notes"]
    many = tagging.choose_tags(["Heat Engines", "entropy", "Entropy!"],
                                 [f"term {i}" for i in range(10)])
    assert len(many) == 8 and many[:2] == ["heat-engines", "entropy"]
    some = tagging.choose_tags(["carnot"], ["Second law"], title="The Carnot cycle")
    assert some == ["carnot", "second-law", "cycle"]


# --- related notes and links in the text -----------------------------------------------

def test_related_notes_are_the_closest_above_the_threshold_at_most_five():
    user_library = library_of(*[(f"Thermo {i}", "Physics", THERMO[i % 2]) for i in range(7)],
                         ("Sonnets", "Literature", "Reading sonnets: meter and rhyme."))
    note = vector_of("Heat engines", "Heat engines turn heat into work, limited by the "
                     "Carnot efficiency; entropy never decreases.")
    related = user_library.related(note)
    assert len(related) == 5
    assert all(r["title"].startswith("Thermo") for r in related)
    assert library.Library().related(note) == []
    assert library_of(("Sonnets", "Literature", "Reading sonnets: meter and rhyme.")) \
        .related(note) == []


CONTENT = """---
title: "Heat engines"
tags: [entropy, carnot]
---
# Heat engines

## Summary
Entropy explains why a Carnot engine is the best. ENTROPY again, and `Entropy` in code.
See [[Carnot Cycle]] and [entropy](https://example.org/entropy) or https://example.org/Entropy.
The Second Law of Thermodynamics and the second law; Entropy's role. Entropyish is no word.

## Detailed Notes
### Entropy in engines
```
Entropy in a fence
```
- What is C++ / systems? A note: "Why / How?" about Statistics.
"""


def test_first_mentions_of_titles_become_links_outside_protected_places():
    titles = ["Entropy", "Carnot Cycle", "Second Law of Thermodynamics", "Second Law",
              "Heat engines", "Why / How?", "AI", "Statistics"]
    linked, which = wikilinks.link_mentions(CONTENT, titles, own_title="Heat engines")
    body = linked.split("---\n", 2)[2]
    assert linked.split("---\n", 2)[1] == CONTENT.split("---\n", 2)[1]  # front matter
    assert "Entropy explains" not in body and body.count("[[Entropy]]") == 1
    assert "[[Entropy]] explains why a Carnot engine" in body
    assert "ENTROPY again, and `Entropy` in code." in body  # later mentions, code: untouched
    assert "See [[Carnot Cycle]] and [entropy](https://example.org/entropy)" in body
    assert "The [[Second Law of Thermodynamics]] and the [[Second Law|second law]];" in body
    assert "Entropyish is no word" in body
    assert "### Entropy in engines" in body and "Entropy in a fence" in body
    assert '"[[Why How|Why / How?]]"' in body  # a title that is no file name
    assert "[[Statistics]]" in body and "[[AI]]" not in body  # too short to link
    assert "[[Heat engines]]" not in body  # its own title
    assert which == ["Entropy", "Second Law of Thermodynamics", "Second Law", "Why / How?",
                     "Statistics"]
    capped, only = wikilinks.link_mentions(CONTENT, titles, limit=2)
    assert len(only) == 2 and capped.count("[[") == 3  # two new links and the existing one


def test_linking_against_many_titles():
    titles = [f"Lecture topic number {i}" for i in range(3000)] + ["Carnot Cycle"]
    text = "# T\n" + "Plain words about nothing. " * 2000 + "The Carnot cycle, at last."
    linked, which = wikilinks.link_mentions(text, titles)
    assert which == ["Carnot Cycle"] and linked.endswith("The [[Carnot Cycle|Carnot cycle]], "
                                                         "at last.")


# --- category counts -------------------------------------------------------------------

def _save(user, title, category, video_id, note_id=None):
    return note_store.save_note(user_id=user["user_id"], video_id=video_id, title=title,
                           category=category, content=f"# {title}\n", tags=["x", "y", "z"],
                           note_id=note_id)


def test_categories_are_counted_on_creation_change_and_deletion(client, user, other_user):
    assert call(client, "GET", "/categories", token=user["id_token"]).json_body == \
        {"categories": [], "count": 0}
    _save(user, "Heat", "Physics", "v1")
    _save(user, "Light", "Physics", "v2")
    _save(user, "Sonnets", "Literature", "v3")
    moved = _save(user, "Odes", "Physics", "v4")
    _save(user, "Odes", "Literature", "v4", note_id=moved["note_id"])  # saved again, moved
    _save(user, "Odes", "Literature", "v4", note_id=moved["note_id"])  # and again: once
    _save(other_user, "Heat", "Physics", "v9")
    body = call(client, "GET", "/categories", token=user["id_token"]).json_body
    assert body == {"categories": [{"name": "Literature", "note_count": 2},
                                   {"name": "Physics", "note_count": 2}], "count": 2}
    assert note_store.delete_for_video(user["user_id"], "v3") == 1
    assert note_store.delete_for_video(user["user_id"], "v4") == 1
    assert note_store.delete_for_video(user["user_id"], "v4") == 0
    body = call(client, "GET", "/categories", token=user["id_token"]).json_body
    assert body == {"categories": [{"name": "Physics", "note_count": 2}], "count": 1}
    assert call(client, "GET", "/categories", token=other_user["id_token"]).json_body[
        "categories"] == [{"name": "Physics", "note_count": 1}]
    assert call(client, "GET", "/categories?x=1", token=user["id_token"]).status_code == 400
    assert call(client, "GET", "/categories").status_code == 401


def test_a_note_records_embedding_is_a_small_binary(client, user):
    from chalicelib.core import config, db

    saved = note_store.save_note(user_id=user["user_id"], video_id="v1", title="Heat",
                            category="Physics", content="# Heat\n",
                            embedding=embeddings.pack(embeddings.embed_one("Heat flows from hot to cold.")))
    item = db.get(config.notes_table(), {"note_id": saved["note_id"]})
    assert len(item["embedding"].value) == 385
    listed = call(client, "GET", "/notes", token=user["id_token"]).json_body["notes"]
    assert "embedding" not in listed[0]
    user_library = library.load_library(user["user_id"])
    assert user_library.note_ids == [saved["note_id"]] and user_library.vectors.shape == (1, 384)


def test_reading_the_library_pages_through_the_index_never_a_scan(user, monkeypatch):
    from chalicelib.core import aws

    for i in range(5):
        _save(user, f"Note {i}", "Physics", f"v{i}")
    client = aws.client("dynamodb")
    calls = []
    real_query = client.query

    def query(**params):
        calls.append(params)
        return real_query(**{**params, "Limit": 2})

    monkeypatch.setattr(client, "query", query)
    monkeypatch.setattr(client, "scan", lambda **_: pytest.fail("scanned"))
    user_library = library.load_library(user["user_id"], exclude_note_id=None)
    assert len(user_library) == 5 and user_library.titles[0] == "Note 4"  # newest first
    assert len(calls) == 3 and all(c["IndexName"] == "UserNotesIndex" for c in calls)
    assert "embedding" in str(calls[0]["ExpressionAttributeNames"].values())
    assert library.load_library(user["user_id"], limit=3).titles == \
        ["Note 4", "Note 3", "Note 2"]
