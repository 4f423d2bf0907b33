"""The note's Markdown (docs/DESIGN.md section 7), rendered from a validated draft.

Rendering is ours, not the model's, so every note has the same shape whichever
generator wrote the draft: front matter, Summary, Core Concepts, Key Points,
Detailed Notes with clickable timestamps, Review Questions (answers in collapsed
Obsidian callouts) and, once there are any, Related Notes. Every grounded item links
to where its quote is said, or says that its quote was not found; the front matter
counts them (`verified: "n/m"`). Formulas may be LaTeX (`$...$`), left as written.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from chalicelib.notes import safe_text
from chalicelib.notes.note_store import safe_filename
from chalicelib.youtube.links import canonical_url


def clock(seconds: float) -> str:
    """m:ss under an hour, h:mm:ss from an hour; minutes zero-padded (05:10)."""
    total = int(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def duration_text(seconds: int) -> str:
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


def timestamp_link(video_id: str, seconds: float | None) -> str:
    if seconds is None:
        return ""
    return f" ([{clock(seconds)}]({canonical_url(video_id)}&t={int(seconds)}s))"


UNVERIFIED = " *(not found in the transcript)*"
NO_CONCEPTS = "*The lecture defines no terms in its own words.*"
NO_KEY_POINTS = "*Nothing in the transcript could be checked as a key point.*"
NO_SECTIONS = "*The transcript is too short to divide into sections.*"
NO_QUESTIONS = "*The transcript is too short to ask about.*"


def evidence(video_id: str, item: dict[str, Any]) -> str:
    """A found item links to where its quote is said; an unfound one says so and is
    never shown as checked (docs/DESIGN.md section 6). Drafts without grounding
    (no `verified` key) keep their plain timestamp."""
    if item.get("verified") is False:
        return UNVERIFIED
    return timestamp_link(video_id, item.get("timestamp"))


def verified_text(draft: dict[str, Any]) -> str | None:
    """The front matter's `verified: "n/m"`, or None for a draft never grounded."""
    counts = draft.get("verified")
    if not isinstance(counts, (list, tuple)) or len(counts) != 2:
        return None
    return f"{int(counts[0])}/{int(counts[1])}"


CONDENSED_NAMES = {"core_concepts": "concepts", "key_points": "key points",
                   "sections": "sections", "bullets": "bullets",
                   "review_questions": "review questions", "tags": "tags"}


def condensed_text(draft: dict[str, Any]) -> str | None:
    """What the item caps left out, said in the note (nothing is dropped silently)."""
    left_out = {k: v for k, v in (draft.get("condensed") or {}).items() if v}
    if not left_out:
        return None
    parts = ", ".join(f"{count} {CONDENSED_NAMES.get(key, key)}"
                      for key, count in sorted(left_out.items()))
    return f"*Condensed: {parts} beyond this note's limits were left out.*"


def link_target(title: str) -> str:
    """What a [[link]] to a note names: its file name (the title made file-safe), which
    is how Obsidian resolves links, and equal to the title for most titles."""
    return safe_filename(title, "")


def wikilink(title: str, shown: str | None = None) -> str:
    """[[Title]], or [[File Name|shown text]] when the text differs from the target."""
    target = link_target(title)
    shown = title if shown is None else shown
    if shown == target:
        return f"[[{target}]]"
    return f"[[{target}|{safe_text.alias(shown)}]]"


def _yaml_string(value: str) -> str:
    return safe_text.yaml_string(value)


def _yaml_scalar(value: str) -> str:
    """Plain when YAML reads it back as the same string, quoted otherwise."""
    return safe_text.yaml_scalar(value)


def _yaml_list(values: Iterable[str]) -> str:
    return "[" + ", ".join(_yaml_scalar(v) for v in values) + "]"


def _escape_line(text: str) -> str:
    """Keep outside text from opening Markdown structures of its own (safe_text)."""
    return safe_text.inline(text)


def render(
    *,
    draft: dict[str, Any],
    video_id: str,
    title: str,
    channel: str,
    duration_seconds: int,
    category: str,
    tags: Sequence[str],
    created: str,
    generator: str,
    related_titles: Sequence[str] = (),
    include_questions: bool = True,
    transcript_info: Mapping[str, Any] | None = None,
) -> str:
    def link(seconds: float | None) -> str:
        return timestamp_link(video_id, seconds)

    lines: list[str] = [
        "---",
        f"title: {_yaml_string(title)}",
        f"source: {canonical_url(video_id)}",
        f"video_id: {video_id}",
        f"channel: {_yaml_string(channel)}",
        f"duration: {_yaml_string(duration_text(duration_seconds))}",
        f"category: {_yaml_scalar(category)}",
        f"tags: {_yaml_list(tags)}",
        f"created: {created}",
        f"generator: {generator}",
        # transcript: youtube | uploaded, its language, automatic or not (docs/DESIGN.md section 7)
        *[f"{name}: {str(value).lower() if isinstance(value, bool) else _yaml_scalar(str(value))}"
          for name, value in (transcript_info or {}).items()],
        *([f"verified: {_yaml_string(verified)}"] if (verified := verified_text(draft)) else []),
        "---",
        f"# {_escape_line(title)}",
        "",
        "## Summary",
        safe_text.block(draft["summary"]),
        "",
        *([condensed, ""] if (condensed := condensed_text(draft)) else []),
    ]
    # Every section is in every note (docs/DESIGN.md section 7), even when empty.
    lines.append("## Core Concepts")
    lines += [f"- **{_escape_line(c['term'])}**: {_escape_line(c['definition'])}"
              f"{evidence(video_id, c)}" for c in draft["core_concepts"]] or [NO_CONCEPTS]
    lines.append("")
    lines.append("## Key Points")
    lines += [f"- {_escape_line(p['text'])}{evidence(video_id, p)}"
              for p in draft["key_points"]] or [NO_KEY_POINTS]
    lines.append("")
    lines.append("## Detailed Notes")
    for section in draft["sections"]:
        lines.append(f"### {_escape_line(section['title'])}{link(section['timestamp'])}")
        lines += [f"- {_escape_line(b['text'])}{evidence(video_id, b)}"
                  for b in section["bullets"]]
        lines.append("")
    if not draft["sections"]:
        lines += [NO_SECTIONS, ""]
    if include_questions:  # the student's choice; otherwise every section, always
        lines.append("## Review Questions")
        for number, question in enumerate(draft["review_questions"], start=1):
            lines.append(f"> [!question]- {number}. {_escape_line(question['question'])}"
                         f"{evidence(video_id, question)}")
            lines.append(f"> {_escape_line(question['answer'])}")
            lines.append("")
        if not draft["review_questions"]:
            lines += [NO_QUESTIONS, ""]
    if related_titles:
        lines.append("## Related Notes")
        lines += [f"- {wikilink(related)}" for related in related_titles]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def add_related(content: str, title: str) -> str:
    """The note with `[[title]]` added to its Related Notes (made when missing): the
    link back from an older related note to a newer one (docs/DESIGN.md section 7)."""
    line = f"- {wikilink(title)}"
    lines = content.rstrip("\n").split("\n")
    if line in lines:
        return content
    try:
        start = lines.index("## Related Notes")
    except ValueError:
        return "\n".join(lines) + "\n\n## Related Notes\n" + line + "\n"
    end = start + 1
    while end < len(lines) and not lines[end].startswith("#"):
        end += 1
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1
    return "\n".join(lines[:end] + [line] + lines[end:]).rstrip("\n") + "\n"
