"""The draft model: one structure, whichever generator wrote it.

A draft is structured data (title, summary, concepts, key points, sections,
review questions, subject, tags), every item with its verbatim quote, validated
here and rendered to Markdown by chalicelib.notes.markdown, so every note has the
same shape. Which generator writes it is chosen in chalicelib.notes.generators.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from chalicelib.knowledge.taxonomy import TAXONOMY

LIMITS = {"title": 200, "summary": 4000, "text": 1000, "term": 120, "question": 500,
          "answer": 2000, "tag": 40, "subject": 100, "quote": 400}
MAX_ITEMS = {"core_concepts": 40, "key_points": 40, "sections": 80, "bullets": 30,
             "review_questions": 40, "tags": 8}
QUESTION_KINDS = ("recall", "explain", "apply", "compare")
SUBJECTS: tuple[str, ...] = tuple(name for name, _ in TAXONOMY) + ("General",)
_CANONICAL_SUBJECT = {name.casefold(): name for name in SUBJECTS}

# Every item carries a short verbatim quote and the transcript line it is on; the
# service finds the quote and sets the time (grounding.py). The model never gives
# seconds (docs/DESIGN.md section 6).
_QUOTE = {"type": "string"}
_LINE = {"type": "integer"}
_GROUNDED = {"type": "object", "additionalProperties": False,
             "required": ["text", "quote", "line"],
             "properties": {"text": {"type": "string"}, "quote": _QUOTE, "line": _LINE}}
DRAFT_SCHEMA: dict[str, Any] = {
    "type": "object", "additionalProperties": False,
    "required": ["title", "summary", "core_concepts", "key_points", "sections",
                 "review_questions", "suggested_subject", "tags"],
    "properties": {
        "title": {"type": "string"},
        "summary": {"type": "string"},
        "core_concepts": {"type": "array", "items": {
            "type": "object", "additionalProperties": False,
            "required": ["term", "definition", "quote", "line"],
            "properties": {"term": {"type": "string"}, "definition": {"type": "string"},
                           "quote": _QUOTE, "line": _LINE}}},
        "key_points": {"type": "array", "items": _GROUNDED},
        "sections": {"type": "array", "items": {
            "type": "object", "additionalProperties": False,
            "required": ["title", "line", "bullets"],
            "properties": {"title": {"type": "string"}, "line": _LINE,
                           "bullets": {"type": "array", "items": _GROUNDED}}}},
        "review_questions": {"type": "array", "items": {
            "type": "object", "additionalProperties": False,
            "required": ["question", "kind", "answer", "quote", "line"],
            "properties": {"question": {"type": "string"},
                           "kind": {"type": "string", "enum": list(QUESTION_KINDS)},
                           "answer": {"type": "string"}, "quote": _QUOTE, "line": _LINE}}},
        "suggested_subject": {"type": "string", "enum": list(SUBJECTS)},
        "tags": {"type": "array", "items": {"type": "string"}},
    },
}


class _SpentFailure(Exception):
    """A failure of the writer; `usage` is the model tokens its answers had already
    cost (what the model was paid for before the failure: 0 for refused calls)."""

    def __init__(self, *args: Any, usage: dict[str, Any] | None = None) -> None:
        super().__init__(*args)
        self.usage: dict[str, Any] = dict(usage or {})

    @property
    def tokens_spent(self) -> int:
        return int(self.usage.get("input_tokens", 0)) + int(self.usage.get("output_tokens", 0))


class GenerationFailed(_SpentFailure):
    """Permanent: the generator cannot write notes for this video."""

    code = "generation_failed"


class GenerationTemporarilyFailed(_SpentFailure):
    """Transient (rate limit, overload, network, an unusable answer): SQS retries the job."""


@dataclass
class Options:
    note_style: str = "detailed"
    language: str = "en"
    include_questions: bool = True


@dataclass
class Generated:
    draft: dict[str, Any]
    generator: str
    usage: dict[str, Any] = field(default_factory=dict)
    cached: bool = False


def _text(value: Any, limit: int) -> str:
    return " ".join(str(value or "").split())[:limit]


def _hint(value: Any, line_starts: Sequence[float]) -> float | None:
    """The start of the cited line (1-based), or None for no such line."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return float(line_starts[value - 1]) if 1 <= value <= len(line_starts) else None


def _given_counts(raw: dict[str, Any]) -> dict[str, int]:
    """What the writer says it already left out (our merge passes the parts' counts):
    positive whole counts of known caps, bounded; anything else counts nothing."""
    given = raw.get("condensed")
    if not isinstance(given, dict):
        return {}
    return {key: min(value, 100_000) for key, value in given.items()
            if key in MAX_ITEMS and type(value) is int and value > 0}


def validate_draft(raw: Any, duration_seconds: float,
                   line_starts: Sequence[float] = ()) -> dict[str, Any]:
    """Check a draft's types and limits. Items keep their quote and, as `hint`, the
    start of the line they cite (line_starts[line - 1]); any time the writer put in
    is ignored, since grounding.ground sets every timestamp from the quote. What the
    item caps leave out is counted in `condensed`, which the note shows."""
    if not isinstance(raw, dict):
        raise ValueError("draft is not an object")
    condensed: dict[str, int] = {}

    def capped(entries: list[Any], key: str) -> list[Any]:
        if len(entries) > MAX_ITEMS[key]:
            condensed[key] = condensed.get(key, 0) + len(entries) - MAX_ITEMS[key]
        return entries[:MAX_ITEMS[key]]

    def items(key: str) -> list[Any]:
        value = raw.get(key)
        if not isinstance(value, list):
            return []
        return capped([item for item in value if isinstance(item, dict)], key)

    def grounded(entry: dict[str, Any]) -> dict[str, Any]:
        return {"quote": _text(entry.get("quote"), LIMITS["quote"]),
                "hint": _hint(entry.get("line"), line_starts)}

    def timed(entries: Any, key: str) -> list[dict[str, Any]]:
        entries = [e for e in (entries if isinstance(entries, list) else [])
                   if isinstance(e, dict) and _text(e.get("text"), LIMITS["text"])]
        return [{"text": _text(e["text"], LIMITS["text"]), **grounded(e)}
                for e in capped(entries, key)]

    questions = []
    for q in items("review_questions"):
        if _text(q.get("question"), LIMITS["question"]) and _text(q.get("answer"),
                                                                   LIMITS["answer"]):
            kind = q.get("kind") if q.get("kind") in QUESTION_KINDS else "recall"
            questions.append({"question": _text(q.get("question"), LIMITS["question"]),
                              "kind": kind, "answer": _text(q.get("answer"), LIMITS["answer"]),
                              **grounded(q)})
    # A subject outside the taxonomy names nothing filing can use: blank, filing decides.
    given = _given_counts(raw)
    subject = _CANONICAL_SUBJECT.get(
        _text(raw.get("suggested_subject"), LIMITS["subject"]).casefold(), "")
    draft = {
        "title": _text(raw.get("title"), LIMITS["title"]),
        "summary": str(raw.get("summary") or "").strip()[:LIMITS["summary"]],
        "core_concepts": [
            {"term": _text(c.get("term"), LIMITS["term"]),
             "definition": _text(c.get("definition"), LIMITS["text"]), **grounded(c)}
            for c in items("core_concepts") if _text(c.get("term"), LIMITS["term"])],
        "key_points": timed(raw.get("key_points"), "key_points"),
        "sections": [
            {"title": _text(s.get("title"), LIMITS["title"]) or "Section",
             "hint": _hint(s.get("line"), line_starts), "timestamp": None,
             "bullets": timed(s.get("bullets"), "bullets")}
            for s in items("sections")],
        "review_questions": questions,
        "suggested_subject": subject,
        "tags": list(dict.fromkeys(
            _text(t, LIMITS["tag"]).lower() for t in (raw.get("tags") or [])
            if isinstance(t, str) and _text(t, LIMITS["tag"])))[:MAX_ITEMS["tags"]],
        # What the writer already condensed (the parts' counts) and what these caps
        # leave out, added together.
        "condensed": {k: condensed.get(k, 0) + given.get(k, 0)
                      for k in MAX_ITEMS if condensed.get(k) or given.get(k)},
    }
    if not draft["title"] or not draft["summary"]:
        raise ValueError("draft has no title or summary")
    return draft
