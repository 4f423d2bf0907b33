"""Unchecked claims leave the study sections (issue 21, item 3; docs/DESIGN.md section 7):
an unverified item moves to a last, folded callout "Not found in the transcript (n)",
no heading stands empty because of it, and it never becomes an Anki card."""
from __future__ import annotations

import re

from chalicelib.notes import export, markdown

CALLOUT_RE = re.compile(r"^> \[!warning\]- Not found in the transcript \((\d+)\)$")
SECTIONS = ("## Summary", "## Core Concepts", "## Key Points", "## Detailed Notes",
            "## Review Questions")


def item(text: str, verified: bool, timestamp: float = 12.0) -> dict:
    return {"text": text, "quote": text.lower(), "verified": verified,
            "timestamp": timestamp if verified else None}


def question(q: str, answer: str, verified: bool) -> dict:
    return {"question": q, "kind": "recall", "answer": answer, "quote": answer.lower(),
            "verified": verified, "timestamp": 40.0 if verified else None}


def mixed_draft() -> dict:
    return {
        "title": "Plague", "summary": "The Black Death, 1347 to 1351.", "tags": [],
        "core_concepts": [
            {"term": "Yersinia pestis", "definition": "The bacterium behind the plague.",
             "quote": "q", "verified": True, "timestamp": 9.0},
            {"term": "Miasma", "definition": "Bad air, never the cause.", "quote": "q",
             "verified": False, "timestamp": None}],
        "key_points": [item("The worst years were 1347 to 1351.", True),
                       item("The plague killed 50 million people.", False)],
        "sections": [
            {"title": "Origins", "timestamp": 0.0,
             "bullets": [item("It came from Central Asia.", True, 3.0),
                         item("It came on 12 ships.", False)]},
            {"title": "Cures", "timestamp": 60.0,
             "bullets": [item("Vinegar cured 9 in 10 patients.", False)]},
            {"title": "Aftermath", "timestamp": 90.0,
             "bullets": [item("Wages rose after the plague.", True, 95.0)]}],
        "review_questions": [
            question("When did it start?", "In 1347.", False),
            question("What caused it?", "Yersinia pestis.", True),
            question("Who was blamed?", "Minorities were falsely blamed.", True)],
        "verified": [6, 11],
    }


def render(draft: dict, related: tuple[str, ...] = (), include_questions: bool = True) -> str:
    return markdown.render(draft=draft, video_id="dQw4w9WgXcQ", title="Plague",
                           channel="c", duration_seconds=600, category="History", tags=[],
                           created="2026-12-01T00:00:00Z", generator="claude-x",
                           related_titles=list(related), include_questions=include_questions)


def split(content: str) -> tuple[list[str], list[str]]:
    """The note's lines before its callout of unchecked items, and the callout's."""
    lines = content.rstrip("\n").split("\n")
    starts = [n for n, line in enumerate(lines) if CALLOUT_RE.match(line)]
    if not starts:
        return lines, []
    return lines[:starts[0]], lines[starts[0]:]


def test_unverified_items_leave_the_study_sections_for_a_last_folded_callout():
    content = render(mixed_draft(), related=("Cholera",))
    body, callout = split(content)
    assert callout[0] == "> [!warning]- Not found in the transcript (5)"  # folded: "-"
    assert callout[1:] == [
        "> - Core Concepts: **Miasma**: Bad air, never the cause.",
        "> - Key Points: The plague killed 50 million people.",
        "> - Detailed Notes › Origins: It came on 12 ships.",
        "> - Detailed Notes › Cures: Vinegar cured 9 in 10 patients.",
        "> - Review Questions: When did it start? — In 1347.",
    ]
    # After everything, Related Notes included, and nothing follows it.
    assert body[-1] == "" and body[-2] == "- [[Cholera]]"
    assert content.endswith(callout[-1] + "\n")
    text = "\n".join(body)
    for moved in ("Miasma", "50 million", "12 ships", "Vinegar", "When did it start"):
        assert moved not in text
    # Every shown item still links to where its quote is said; none is tagged.
    assert "not found in the transcript" not in text.casefold()
    assert "- **Yersinia pestis**: The bacterium behind the plague. ([00:09](" in text
    # `verified` counts them as before: checked over all items.
    assert '\nverified: "6/11"\n' in text


def test_no_heading_stands_empty_and_questions_are_numbered_as_shown():
    body, _ = split(render(mixed_draft()))
    assert "### Origins ([00:00](https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=0s))" in body
    assert not any(line.startswith("### Cures") for line in body)  # all its bullets moved
    assert any(line.startswith("### Aftermath") for line in body)
    for number, line in enumerate(body):
        if line.startswith("#"):  # nothing empty under a heading: text or a sub-heading
            level = len(line) - len(line.lstrip("#"))
            following = next(x for x in body[number + 1:] if x.strip())
            assert len(following) - len(following.lstrip("#")) in (0, *range(level + 1, 7)), \
                line
    questions = [line for line in body if line.startswith("> [!question]-")]
    assert [q.split(" ", 3)[2] for q in questions] == ["1.", "2."]
    assert questions[0].startswith("> [!question]- 1. What caused it?")


def test_a_section_whose_items_all_moved_keeps_its_heading_and_says_why():
    draft = mixed_draft()
    for key in ("core_concepts", "key_points", "review_questions"):
        for entry in draft[key]:
            entry["verified"], entry["timestamp"] = False, None
    for section in draft["sections"]:
        for bullet in section["bullets"]:
            bullet["verified"], bullet["timestamp"] = False, None
    draft["verified"] = [0, 11]
    body, callout = split(render(draft))
    assert callout[0].endswith("(11)") and len(callout) == 12
    for heading in SECTIONS[1:]:
        assert body[body.index(heading) + 1] == markdown.ALL_UNCHECKED
    assert not any(line.startswith("### ") for line in body)
    # A note with nothing to move keeps its own reasons, and has no callout.
    empty = {**draft, "core_concepts": [], "key_points": [], "sections": [],
             "review_questions": [], "verified": [0, 0]}
    body, callout = split(render(empty))
    assert callout == [] and body[body.index("## Detailed Notes") + 1] == markdown.NO_SECTIONS


def test_a_fully_checked_or_ungrounded_note_has_no_callout():
    draft = mixed_draft()
    for entry in [*draft["core_concepts"], *draft["key_points"], *draft["review_questions"],
                  *(b for s in draft["sections"] for b in s["bullets"])]:
        del entry["verified"]  # a draft never grounded shows every item
    content = render(draft)
    assert "[!warning]" not in content and "Vinegar cured" in content
    assert "### Cures" in content


def test_questions_left_out_by_choice_are_not_listed_either():
    content = render(mixed_draft(), include_questions=False)
    _, callout = split(content)
    assert callout[0].endswith("(4)") and "When did it start" not in content


def test_outside_text_in_the_callout_opens_nothing():
    draft = mixed_draft()
    draft["key_points"][1]["text"] = "> [!note] ## Heading <img src=x> [link](javascript:x)"
    _, callout = split(render(draft))
    line = callout[2]
    assert line.startswith("> - Key Points: ")
    assert "\\<img" in line and "\\[link]" in line and "\n" not in line


def test_a_related_note_added_later_keeps_the_callout_last():
    content = render(mixed_draft())
    _, callout = split(content)
    added = markdown.add_related(content, "Cholera")
    body, after = split(added)
    assert after == callout and body[-3:] == ["## Related Notes", "- [[Cholera]]", ""]
    again = markdown.add_related(added, "Smallpox")
    body, after = split(again)
    assert after == callout
    assert body[-4:] == ["## Related Notes", "- [[Cholera]]", "- [[Smallpox]]", ""]
    assert markdown.add_related(again, "Smallpox") == again
    # A note with no callout is extended as before.
    plain = "# T\n\n## Summary\nS.\n"
    assert markdown.add_related(plain, "B") == "# T\n\n## Summary\nS.\n\n## Related Notes\n" \
        "- [[B]]\n"


def test_anki_cards_are_made_only_of_checked_questions(monkeypatch, tmp_path):
    stored = {"youtube_video_id": "dQw4w9WgXcQ", "include_questions": True,
              "draft": mixed_draft()}
    cards = list(export.draft_cards(stored))
    assert [front.split(" (<a")[0] for front, _ in cards] == ["What caused it?",
                                                              "Who was blamed?"]
    assert all("1347" not in front + back for front, back in cards)
    # The file the student downloads, built from the stored draft.
    monkeypatch.setattr(export.note_store, "read_draft", lambda record: stored)
    path = tmp_path / "cards.txt"
    entry = export.Entry("n1", "Plague", "History", "u1")
    assert export.write_anki(str(path), [entry]) == {"card_count": 2}
    written = path.read_text().splitlines()[4:]
    assert len(written) == 2 and not any("When did it start" in line for line in written)
    # A draft never grounded (no `verified`) still makes every card.
    for entry_question in stored["draft"]["review_questions"]:
        del entry_question["verified"]
    assert len(list(export.draft_cards(stored))) == 3
