"""The Claude contract on a long lecture (issue 12, docs/DESIGN.md sections 6 and 7),
through the real anthropic SDK and testkit.fake_anthropic: parts overlap, sections
reach the end, questions scale with length, and the prompts say what to leave out."""
from __future__ import annotations

import re

from chalicelib.notes import claude, drafts, generators
from testkit import fake_anthropic
from tests.notes.test_writers import corpus, fake  # noqa: F401 (the fixture)

PART_RE = re.compile(r"lines L(\d+) to L(\d+)")


def drafts_sent(api) -> list[dict]:
    """The part requests (not the synthesis), in line order."""
    sent = [r for r in api.requests
            if "sections" in r["output_config"]["format"]["schema"]["properties"]]
    return sorted(sent, key=lambda r: fake_anthropic.sent_lines(r)[0][0])


def write(transcript) -> drafts.Generated:
    generated = claude.write_draft(transcript, drafts.Options(), "claude-sonnet-5-5")
    generated.draft = generators.finish(generated.draft, transcript)
    return generated


def test_a_long_lecture_is_written_in_overlapping_parts_with_ten_questions_an_hour(
        fake, monkeypatch):
    monkeypatch.setenv("NOTES_CHUNK_TOKENS", "4000")
    transcript = corpus("phil_epistemology")  # 60 minutes
    write(transcript)
    parts = drafts_sent(fake)
    assert len(parts) >= 3
    ranges = [tuple(map(int, PART_RE.search(p["messages"][0]["content"]).groups()))
              for p in parts]
    assert ranges[0][0] == 1 and ranges[-1][1] == len(claude.transcript_lines(
        transcript))
    for (_, end), (start, _), part in zip(ranges, ranges[1:], parts[1:]):
        assert start == end + 1  # every line in exactly one part...
        numbers = [n for _, n, _ in fake_anthropic.sent_lines(part)]
        # ...and each later part also sees the previous part's last lines as context.
        assert numbers[:claude.OVERLAP_LINES] == list(
            range(start - claude.OVERLAP_LINES, start))
    asked = [int(re.search(r"Write (\d+) review questions", p["messages"][0]["content"])
                 .group(1)) for p in parts]
    assert sum(asked) >= claude.wanted_questions(transcript.duration_seconds) == 10
    system = parts[0]["system"][0]["text"]
    for excluded in ("sponsor", "course logistics", "licence"):
        assert excluded in system
    synthesis = [r for r in fake.requests if r not in parts]
    assert len(synthesis) == 1 and "Add no facts" in synthesis[0]["system"][0]["text"]


def test_automatic_captions_are_flagged_with_their_caption_errors(fake):
    write(corpus("hist_black_death_auto"))
    user = fake.requests[0]["messages"][0]["content"]
    assert "captions: automatic (speech recognition: expect misheard words" in user


def test_sections_that_stop_short_of_the_end_get_the_rest_written(fake):
    transcript = corpus("math_determinants")

    def stops_at_a_third(request: dict) -> dict:
        answer = fake_anthropic.default_answer(request)
        if "sections" in answer and len(fake.requests) == 1:
            lines = fake_anthropic.sent_lines(request)
            cut = lines[len(lines) // 3][1]
            for section in answer["sections"]:
                section["bullets"] = [b for b in section["bullets"] if b["line"] <= cut]
        return answer

    fake.answer = stops_at_a_third
    generated = write(transcript)
    assert generated.usage["tails"] == 1
    tail = fake.requests[1]["messages"][0]["content"]
    last_line = len(claude.transcript_lines(transcript))
    assert re.search(rf"to L{last_line},", tail)
    cited = [b["timestamp"] for s in generated.draft["sections"] for b in s["bullets"]]
    assert max(cited) >= 0.9 * transcript.duration_seconds  # the note reaches the end
