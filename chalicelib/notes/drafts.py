"""The draft model: one structure, whichever generator wrote it.

A draft is structured data (title, summary, concepts, key points, sections,
review questions, subject, tags), validated here and rendered to Markdown by
chalicelib.notes.markdown, so every note has the same shape. Which generator
writes it is chosen in chalicelib.notes.generators.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

LIMITS = {"title": 200, "summary": 4000, "text": 1000, "term": 120, "question": 500,
          "answer": 2000, "tag": 40, "subject": 100}
MAX_ITEMS = {"core_concepts": 40, "key_points": 40, "sections": 80, "bullets": 30,
             "review_questions": 40, "tags": 8}

_TIMED_TEXT = {"type": "object", "additionalProperties": False,
               "required": ["text", "timestamp"],
               "properties": {"text": {"type": "string"},
                              "timestamp": {"type": ["number", "null"]}}}
DRAFT_SCHEMA: dict = {
    "type": "object", "additionalProperties": False,
    "required": ["title", "summary", "core_concepts", "key_points", "sections",
                 "review_questions", "suggested_subject", "tags"],
    "properties": {
        "title": {"type": "string"},
        "summary": {"type": "string"},
        "core_concepts": {"type": "array", "items": {
            "type": "object", "additionalProperties": False,
            "required": ["term", "definition", "timestamp"],
            "properties": {"term": {"type": "string"}, "definition": {"type": "string"},
                           "timestamp": {"type": ["number", "null"]}}}},
        "key_points": {"type": "array", "items": _TIMED_TEXT},
        "sections": {"type": "array", "items": {
            "type": "object", "additionalProperties": False,
            "required": ["title", "timestamp", "bullets"],
            "properties": {"title": {"type": "string"},
                           "timestamp": {"type": ["number", "null"]},
                           "bullets": {"type": "array", "items": _TIMED_TEXT}}}},
        "review_questions": {"type": "array", "items": {
            "type": "object", "additionalProperties": False,
            "required": ["question", "answer", "timestamp"],
            "properties": {"question": {"type": "string"}, "answer": {"type": "string"},
                           "timestamp": {"type": ["number", "null"]}}}},
        "suggested_subject": {"type": "string"},
        "tags": {"type": "array", "items": {"type": "string"}},
    },
}


class GenerationFailed(Exception):
    """Permanent: the generator cannot write notes for this video."""

    code = "generation_failed"


class GenerationTemporarilyFailed(Exception):
    """Transient (rate limit, overload, network): SQS retries the job."""


@dataclass
class Options:
    note_style: str = "detailed"
    language: str = "en"
    include_questions: bool = True


@dataclass
class Generated:
    draft: dict
    generator: str
    usage: dict = field(default_factory=dict)
    cached: bool = False


def _text(value: Any, limit: int) -> str:
    return " ".join(str(value or "").split())[:limit]


def _timestamp(value: Any, duration: float, dropped: list[int]) -> float | None:
    """A timestamp inside the video, or None (and counted) for one outside it."""
    if value is None or isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if not math.isfinite(value) or value < 0 or value > duration:
        dropped[0] += 1
        return None
    return float(value)


def validate_draft(raw: Any, duration_seconds: float) -> dict:
    """Check a draft's types and limits; drop timestamps outside the video."""
    if not isinstance(raw, dict):
        raise ValueError("draft is not an object")
    dropped = [0]

    def items(key: str, limit_key: str | None = None) -> list:
        value = raw.get(key) if isinstance(raw.get(key), list) else []
        return [item for item in value if isinstance(item, dict)][:MAX_ITEMS[limit_key or key]]

    def timed(entries: Any) -> list[dict]:
        entries = entries if isinstance(entries, list) else []
        out = []
        for entry in entries[:MAX_ITEMS["bullets"]]:
            if isinstance(entry, dict) and _text(entry.get("text"), LIMITS["text"]):
                out.append({"text": _text(entry["text"], LIMITS["text"]),
                            "timestamp": _timestamp(entry.get("timestamp"), duration_seconds,
                                                    dropped)})
        return out

    draft = {
        "title": _text(raw.get("title"), LIMITS["title"]),
        "summary": str(raw.get("summary") or "").strip()[:LIMITS["summary"]],
        "core_concepts": [
            {"term": _text(c.get("term"), LIMITS["term"]),
             "definition": _text(c.get("definition"), LIMITS["text"]),
             "timestamp": _timestamp(c.get("timestamp"), duration_seconds, dropped)}
            for c in items("core_concepts") if _text(c.get("term"), LIMITS["term"])],
        "key_points": timed(raw.get("key_points"))[:MAX_ITEMS["key_points"]],
        "sections": [
            {"title": _text(s.get("title"), LIMITS["title"]) or "Section",
             "timestamp": _timestamp(s.get("timestamp"), duration_seconds, dropped),
             "bullets": timed(s.get("bullets"))}
            for s in items("sections")],
        "review_questions": [
            {"question": _text(q.get("question"), LIMITS["question"]),
             "answer": _text(q.get("answer"), LIMITS["answer"]),
             "timestamp": _timestamp(q.get("timestamp"), duration_seconds, dropped)}
            for q in items("review_questions")
            if _text(q.get("question"), LIMITS["question"]) and _text(q.get("answer"),
                                                                       LIMITS["answer"])],
        "suggested_subject": _text(raw.get("suggested_subject"), LIMITS["subject"]),
        "tags": list(dict.fromkeys(
            _text(t, LIMITS["tag"]).lower() for t in (raw.get("tags") or [])
            if isinstance(t, str) and _text(t, LIMITS["tag"])))[:MAX_ITEMS["tags"]],
    }
    if not draft["title"] or not draft["summary"]:
        raise ValueError("draft has no title or summary")
    draft["dropped_timestamps"] = dropped[0]
    return draft
