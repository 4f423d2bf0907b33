"""Issue 21: notes in whole sentences and in proportion to what the lecture says.

The sentence splitter on automatic captions, the seeded samples a new user sees first,
one-minute dense lectures, fill-in-the-blanks, and the sentences Claude is given."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bench.corpus import dense
from chalicelib.notes import claude, claude_prompt, drafts, generators, markdown, offline
from chalicelib.notes.offline.sentence_split import said_sentences, sentences
from chalicelib.youtube.transcript_model import Segment, Transcript

ROOT = Path(__file__).resolve().parents[2]
LINK_RE = re.compile(r"\(\[\d\d:\d\d\]\(https://www\.youtube\.com/watch\?v=[^)]*&t=\d+s\)\)")


def sample(name: str) -> Transcript:
    return Transcript.from_dict(json.loads(
        (ROOT / "infra" / "local" / "samples" / f"{name}.json").read_text()))


def auto(cues: list[str], seconds: float = 3.0) -> Transcript:
    return Transcript("vidAuto0001", "Auto", "c", int(len(cues) * seconds) + 1, "en", True,
                      [Segment(text, n * seconds, seconds) for n, text in enumerate(cues)])


def note(transcript: Transcript) -> tuple[dict, str]:
    draft = generators.finish(offline.draft(transcript, drafts.Options()), transcript)
    content = markdown.render(draft=draft, video_id=transcript.video_id,
                              title=draft["title"], channel="c",
                              duration_seconds=transcript.duration_seconds, category="General",
                              tags=[], created="x", generator="extractive")
    return draft, content


def whole(text: str) -> bool:
    return text[:1].isupper() and text.endswith((".", "?"))


# --- the splitter ----------------------------------------------------------------------


def test_captions_cut_one_sentence_each_are_trusted_and_written_as_sentences():
    cues = ["the cell is wrapped in a plasma membrane made of lipids",
            "proteins float in this membrane like icebergs",
            "ions need channel proteins to cross",
            "active transport pumps molecules and it costs energy",
            "mitochondria make most of the cell's energy",
            "plant cells also have chloroplasts which capture light"]
    found = sentences(auto(cues))
    assert [s.quote for s in found] == cues  # every cue a sentence, the quote as said
    assert [s.text for s in found][:2] == ["The cell is wrapped in a plasma membrane made of "
                                           "lipids.", "Proteins float in this membrane like "
                                           "icebergs."]


def test_speech_is_never_cut_after_an_article_or_before_of():
    # Automatic captions cut every few words, sentences running across them.
    words = ("so the determinant of a matrix tells you how much the transformation scales "
             "areas and if the determinant is zero the whole plane gets squashed onto a line "
             "now remember that the columns of the matrix show where the basis vectors land "
             "so a negative determinant means the orientation of space has been flipped over").split()
    cues = [" ".join(words[i:i + 7]) for i in range(0, len(words), 7)]
    found = sentences(auto(cues))
    for s in found:
        said = s.quote.split()
        assert said[-1] not in ("the", "a", "of", "and") and said[0] not in ("of", "is")
    # "now" and "so" open sentences in speech.
    assert any(s.quote.startswith("remember that the columns") for s in found)
    assert any(s.quote.startswith("a negative determinant") for s in found)
    assert all(whole(s.text) for s in found)


def test_claude_is_given_sentences_rebuilt_across_caption_lines():
    lines = ["Entropy counts the arrangements", "of a system. The second law says it",
             "never decreases. Heat flows from hot", "to cold."]
    transcript = Transcript("vidHuman001", "T", "c", 100, "en", False,
                            [Segment(text, 30.0 * n, 30.0) for n, text in enumerate(lines)])
    said = said_sentences(transcript)
    assert [text for _, text in said] == ["Entropy counts the arrangements of a system.",
                                          "The second law says it never decreases.",
                                          "Heat flows from hot to cold."]
    # Its first word's time, the caption's time spread over its words.
    assert [start for start, _ in said] == [0.0, 30.0 + 30.0 * 3 / 8, 60.0 + 30.0 * 2 / 6]
    numbered = claude.transcript_lines(transcript)
    body = claude_prompt.draft_request(transcript, drafts.Options(), numbered, numbered, [],
                                       True, 5)
    assert "[00:00] L1 Entropy counts the arrangements of a system.\n" in body
    assert "\nL2 The second law says it never decreases.\n" in body  # same minute: no time
    assert "[01:10] L3 Heat flows from hot to cold." in body


# --- what a new user sees first, and dense lectures ---------------------------------------


@pytest.mark.parametrize("name", ["sbBiology01", "sbHistory01", "sbPhysics01"])
def test_the_seeded_samples_read_as_notes(name):
    transcript = sample(name)
    draft, content = note(transcript)
    summary = re.split(r"(?<=[.?!])\s+", draft["summary"])
    assert len(summary) >= 2 and all(whole(s) for s in summary)
    shown = [p["text"] for p in draft["key_points"]] + [
        b["text"] for s in draft["sections"] for b in s["bullets"]]
    assert all(whole(text) for text in shown)
    assert not any(text.startswith("That formula") for text in shown + summary)
    assert len(LINK_RE.findall(content)) >= 8
    # No heading stands empty: each is followed by something that is not a heading of
    # its level or above.
    lines = [line for line in content.split("\n---\n", 1)[1].splitlines() if line.strip()]
    for line, following in zip(lines, [*lines[1:], ""]):
        if line.startswith("### "):
            assert not following.startswith("#"), line
    assert "From minute" not in content


def test_the_cell_sample_summary_and_blanks():
    draft, _ = note(sample("sbBiology01"))
    cues = {s.text for s in sample("sbBiology01").segments}
    # Each summary sentence is one of the lecturer's sentences, not a run across three.
    for part in re.split(r"(?<=[.?!])\s+", draft["summary"]):
        assert part.rstrip(".").casefold() in {c.casefold() for c in cues}
    hidden = [q["answer"] for q in draft["review_questions"] if "_____" in q["question"]]
    assert hidden and "inside" not in hidden


def test_a_blank_hides_a_term_not_a_subject_and_its_verb():
    # "Gutenberg combined" is said twice, so it was a key phrase: the blank hid the verb
    # with the name ("In Mainz, Johannes _____ several inventions into one system.").
    draft, _ = note(sample("sbHistory01"))
    hidden = {q["answer"]: q["question"] for q in draft["review_questions"]
              if "_____" in q["question"]}
    assert "Gutenberg combined" not in hidden
    assert hidden["Gutenberg"].endswith("Johannes _____ combined several inventions into one "
                                        "system.")
    from chalicelib.notes.offline.terms import _past_tense

    assert _past_tense("combined") and _past_tense("printed")
    assert not _past_tense("speed") and not _past_tense("red") and not _past_tense("breed")


@pytest.mark.parametrize("lecture", [entry for entry in dense.LECTURES if entry["set"] == "dev"],
                         ids=lambda entry: entry["id"])
def test_a_one_minute_dense_lecture_gets_a_note_in_proportion(lecture):
    transcript = Transcript.from_dict(dense.as_captions(lecture))
    draft, content = note(transcript)
    body = content.split("\n---\n", 1)[1]
    assert len(LINK_RE.findall(body)) >= 5
    stated = [f for f in lecture["key_facts"]
              if any(p in body.casefold() for p in f["any_of"])]
    assert len(stated) >= len(lecture["key_facts"]) - 1
    assert len(draft["review_questions"]) >= 5


def test_a_blank_hides_a_stated_number_when_no_term_is_left():
    from chalicelib.notes.offline.questions import _STATED_NUMBER

    assert _STATED_NUMBER.search("It reached Europe in 1347 through ports.").group(0) == "1347"
    assert _STATED_NUMBER.search("CO2 and H2O, and 5 of them.") is None


def test_short_spoken_clauses_join_only_up_to_a_sentences_length():
    # Four-word cues of unpunctuated speech: each short clause joins the one before it,
    # but never past MAX_WORDS (a join rebuilds the sentence: unbounded, it was quadratic
    # in the captions' size, which a student's upload sets).
    from chalicelib.notes.offline.sentence_split import MAX_WORDS, MIN_WORDS

    words = ("entropy measures disorder heat flows from hot bodies to cold ones " * 400).split()
    found = sentences(auto([" ".join(words[i:i + 4]) for i in range(0, len(words), 4)]))
    assert len(found) > 40
    assert all(s.size < MAX_WORDS + MIN_WORDS for s in found)
    assert sum(len(s.quote.split()) for s in found) == len(words)  # nothing lost


def test_a_name_with_initials_is_one_sentence():
    lines = ["A very different response to skepticism comes from G. E. Moore, the British",
             "philosopher. This is G. E. Moore's famous paradox. J. S. Mill disagreed.",
             "Franklin D. Roosevelt spoke. J. E. Lennard-Jones computed. Take the matrix A.",
             "Multiply it by two. In World War I. Germany lost. The answer is point A. Then "
             "we move on."]
    transcript = Transcript("vidHuman002", "T", "c", 100, "en", False,
                            [Segment(text, 30.0 * n, 30.0) for n, text in enumerate(lines)])
    assert [text for _, text in said_sentences(transcript)] == [
        "A very different response to skepticism comes from G. E. Moore, the British "
        "philosopher.", "This is G. E. Moore's famous paradox.", "J. S. Mill disagreed.",
        "Franklin D. Roosevelt spoke.", "J. E. Lennard-Jones computed.",
        "Take the matrix A.", "Multiply it by two.", "In World War I.", "Germany lost.",
        "The answer is point A.", "Then we move on."]
