"""The note's layout (docs/DESIGN.md section 7): every section is in every note."""
from __future__ import annotations

from chalicelib.notes import markdown

SECTIONS = ("## Summary", "## Core Concepts", "## Key Points", "## Detailed Notes",
            "## Review Questions")


def render(draft: dict, include_questions: bool = True) -> str:
    return markdown.render(draft=draft, video_id="dQw4w9WgXcQ", title="A Short Talk",
                           channel="Prof. Example", duration_seconds=40, category="General",
                           tags=["talk"], created="2026-12-01T00:00:00Z",
                           generator="extractive", include_questions=include_questions)


def empty_draft() -> dict:
    return {"title": "A Short Talk", "summary": "Two sentences.", "core_concepts": [],
            "key_points": [], "sections": [], "review_questions": [], "tags": []}


def test_a_talk_too_short_for_items_still_has_every_section_saying_why():
    content = render(empty_draft())
    lines = content.splitlines()
    positions = [lines.index(heading) for heading in SECTIONS]
    assert positions == sorted(positions)  # in the contract's order
    for heading, placeholder in (("## Core Concepts", markdown.NO_CONCEPTS),
                                 ("## Key Points", markdown.NO_KEY_POINTS),
                                 ("## Detailed Notes", markdown.NO_SECTIONS),
                                 ("## Review Questions", markdown.NO_QUESTIONS)):
        assert lines[lines.index(heading) + 1] == placeholder
    # Questions left out by the student's choice are left out, heading and all.
    assert "## Review Questions" not in render(empty_draft(), include_questions=False)


def test_a_section_with_items_has_no_placeholder():
    draft = {**empty_draft(), "key_points": [{"text": "Heat flows from hot to cold.",
                                              "quote": "heat flows", "verified": True,
                                              "timestamp": 3.0}]}
    content = render(draft)
    assert "- Heat flows from hot to cold." in content
    assert markdown.NO_KEY_POINTS not in content and markdown.NO_SECTIONS in content


def test_item_caps_count_what_they_leave_out_under_the_right_name():
    from chalicelib.notes import drafts

    def point(n: int) -> dict:
        return {"text": f"Point number {n} of the lecture.", "quote": f"point {n}",
                "line": 1}

    raw = {**empty_draft(), "key_points": [point(n) for n in range(35)],
           "sections": [{"title": "All", "line": 1, "bullets": [point(n) for n in range(33)]}],
           "condensed": {"key_points": 2, "bullets": "many", "tags": True}}
    draft = drafts.validate_draft(raw, 600, [0.0])
    assert len(draft["key_points"]) == 35  # the key points' own cap (40), not the bullets'
    assert len(draft["sections"][0]["bullets"]) == drafts.MAX_ITEMS["bullets"]
    # The parts' counts and these caps' add up; junk counts count nothing.
    assert draft["condensed"] == {"key_points": 2, "bullets": 3}
    many = drafts.validate_draft({**raw, "key_points": [point(n) for n in range(45)]}, 600,
                                 [0.0])
    assert len(many["key_points"]) == 40 and many["condensed"]["key_points"] == 7
    assert "3 bullets, 7 key points beyond" in markdown.condensed_text(many)
