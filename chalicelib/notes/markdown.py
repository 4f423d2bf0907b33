"""The note's Markdown (docs/DESIGN.md section 7), rendered from a validated draft.

Rendering is ours, not the model's, so every note has the same shape whichever
generator wrote the draft: front matter, Summary, Core Concepts, Key Points,
Detailed Notes with clickable timestamps, Review Questions (answers in collapsed
Obsidian callouts) and, once there are any, Related Notes. Every grounded item links
to where its quote is said. An item not verified (its quote not found, or its text
stating a number or negation its quote does not: chalicelib.notes.grounding) is never
shown among the study sections: it is listed, with the section it came from, in a
last, folded callout "Not found in the transcript (n)" after everything else, Related
Notes included. A Detailed Notes heading whose bullets all moved there is left out; a
`##` section whose items all moved says so. The front matter counts every item
(`verified: "n/m"`). Formulas may be LaTeX (`$...$`), left as written.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
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


NO_CONCEPTS = "*The lecture defines no terms in its own words.*"
NO_KEY_POINTS = "*Nothing in the transcript could be checked as a key point.*"
NO_SECTIONS = "*The transcript is too short to divide into sections.*"
NO_QUESTIONS = "*The transcript is too short to ask about.*"
UNCHECKED_TITLE = "Not found in the transcript"
# What a `##` section says when every one of its items moved to the callout.
ALL_UNCHECKED = (f"*Nothing here could be checked against the transcript: see "
                 f"\"{UNCHECKED_TITLE}\" at the end of the note.*")


def unchecked_callout(count: int) -> str:
    """The first line of the last, folded callout listing the unverified items."""
    return f"> [!warning]- {UNCHECKED_TITLE} ({count})"


def is_shown(item: dict[str, Any]) -> bool:
    """Whether an item stands in the study sections: every item but an unverified one
    (docs/DESIGN.md sections 6 and 7). Drafts without grounding (no `verified` key)
    show every item."""
    return item.get("verified") is not False


def evidence(video_id: str, item: dict[str, Any]) -> str:
    """A found item links to where its quote is said (docs/DESIGN.md section 6)."""
    return timestamp_link(video_id, item.get("timestamp")) if is_shown(item) else ""


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
    # Every section is in every note (docs/DESIGN.md section 7), even when empty; an
    # unverified item is listed in the last callout instead (`unchecked`), never here.
    unchecked: list[str] = []

    def concept(c: dict[str, Any]) -> str:
        return f"**{_escape_line(c['term'])}**: {_escape_line(c['definition'])}"

    def shown(items: Sequence[dict[str, Any]], where: str,
              line: Callable[[dict[str, Any]], str]) -> list[dict[str, Any]]:
        unchecked.extend(f"> - {where}: {line(item)}" for item in items
                         if not is_shown(item))
        return [item for item in items if is_shown(item)]

    def placeholder(items: Sequence[dict[str, Any]], empty: str) -> str:
        return ALL_UNCHECKED if items else empty

    lines.append("## Core Concepts")
    concepts = shown(draft["core_concepts"], "Core Concepts", concept)
    lines += [f"- {concept(c)}{evidence(video_id, c)}" for c in concepts] or \
        [placeholder(draft["core_concepts"], NO_CONCEPTS)]
    lines.append("")
    lines.append("## Key Points")
    points = shown(draft["key_points"], "Key Points", lambda p: _escape_line(p["text"]))
    lines += [f"- {_escape_line(p['text'])}{evidence(video_id, p)}" for p in points] or \
        [placeholder(draft["key_points"], NO_KEY_POINTS)]
    lines.append("")
    lines.append("## Detailed Notes")
    written = 0
    for section in draft["sections"]:
        title = _escape_line(section["title"])
        bullets = shown(section["bullets"], f"Detailed Notes › {title}",
                        lambda b: _escape_line(b["text"]))
        if not bullets:  # a section heading never stands empty
            continue
        lines.append(f"### {title}{link(section['timestamp'])}")
        lines += [f"- {_escape_line(b['text'])}{evidence(video_id, b)}" for b in bullets]
        lines.append("")
        written += 1
    if not written:
        lines += [placeholder([b for s in draft["sections"] for b in s["bullets"]],
                              NO_SECTIONS), ""]
    if include_questions:  # the student's choice; otherwise every section, always
        lines.append("## Review Questions")
        questions = shown(draft["review_questions"], "Review Questions",
                          lambda q: f"{_escape_line(q['question'])} — "
                                    f"{_escape_line(q['answer'])}")
        for number, question in enumerate(questions, start=1):
            lines.append(f"> [!question]- {number}. {_escape_line(question['question'])}"
                         f"{evidence(video_id, question)}")
            lines.append(f"> {_escape_line(question['answer'])}")
            lines.append("")
        if not questions:
            lines += [placeholder(draft["review_questions"], NO_QUESTIONS), ""]
    if related_titles:
        lines.append("## Related Notes")
        lines += [f"- {wikilink(related)}" for related in related_titles]
        lines.append("")
    if unchecked:  # last, after everything (add_related keeps it last)
        lines += [unchecked_callout(len(unchecked)), *unchecked, ""]
    return "\n".join(lines).rstrip() + "\n"


def _callout_start(lines: Sequence[str]) -> int:
    """Where the last callout of unverified items starts (len(lines) when none)."""
    prefix = f"> [!warning]- {UNCHECKED_TITLE} ("
    for index in range(len(lines) - 1, -1, -1):
        if lines[index].startswith(prefix):
            return index
        if not lines[index].startswith(">") and lines[index].strip():
            break  # the callout, when there is one, is the note's last block
    return len(lines)


def add_related(content: str, title: str) -> str:
    """The note with `[[title]]` added to its Related Notes (made when missing): the
    link back from an older related note to a newer one (docs/DESIGN.md section 7).
    The callout of unverified items stays last."""
    line = f"- {wikilink(title)}"
    lines = content.rstrip("\n").split("\n")
    if line in lines:
        return content
    callout = _callout_start(lines)
    try:
        start = lines.index("## Related Notes", 0, callout)
    except ValueError:
        body, tail = lines[:callout], lines[callout:]
        while body and not body[-1].strip():
            body.pop()
        related = "\n".join(body) + "\n\n## Related Notes\n" + line + "\n"
        return related + ("\n" + "\n".join(tail) + "\n" if tail else "")
    end = start + 1
    while end < callout and not lines[end].startswith("#"):
        end += 1
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1
    return "\n".join(lines[:end] + [line] + lines[end:]).rstrip("\n") + "\n"
