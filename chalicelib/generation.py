"""Study-note drafts: one structure, whichever generator wrote it.

A draft is structured data (title, summary, concepts, key points, sections,
review questions, subject, tags), validated here and rendered to Markdown by
rendering.py, so every note has the same shape. Claude writes drafts when it is
configured (API key, or NOTES_PROVIDER=bedrock); otherwise the offline
extractive generator does. Claude's drafts are cached in S3 per video, model,
style, language and prompt version, so a lecture submitted again costs no call.
"""
from __future__ import annotations

import hashlib
import json
import logging
import math
from dataclasses import dataclass, field
from typing import Any

from chalicelib import aws, config
from chalicelib.transcripts import Transcript

log = logging.getLogger(__name__)

PROMPT_VERSION = "2026-11-22.1"
DEFAULT_MODEL = "claude-sonnet-5-5"
EXTRACTIVE = "extractive"
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


# --- choosing and caching ---------------------------------------------------------

def provider() -> str:
    """'bedrock', 'anthropic' (with an API key), or the offline 'extractive'."""
    chosen = (config.env("NOTES_PROVIDER") or "").lower()
    if chosen == "bedrock":
        return "bedrock"
    if chosen == EXTRACTIVE:
        return EXTRACTIVE
    return "anthropic" if config.env("ANTHROPIC_API_KEY") else EXTRACTIVE


def model() -> str:
    """NOTES_MODEL, or the default. Bedrock names models its own way (and by region),
    so NOTES_PROVIDER=bedrock needs NOTES_MODEL set to a Bedrock model or profile id."""
    if provider() == "bedrock":
        return config.required("NOTES_MODEL")
    return config.env("NOTES_MODEL", DEFAULT_MODEL) or DEFAULT_MODEL


def draft_cache_key(video_id: str, model_name: str, options: Options) -> str:
    fingerprint = json.dumps([model_name, options.note_style, options.language,
                              options.include_questions, PROMPT_VERSION])
    digest = hashlib.sha256(fingerprint.encode()).hexdigest()[:24]
    return f"drafts/{video_id}/{digest}.json"


def _read_cached_draft(key: str) -> Generated | None:
    try:
        body = aws.client("s3").get_object(Bucket=config.notes_bucket(), Key=key)["Body"].read()
        data = json.loads(body)
        return Generated(draft=data["draft"], generator=data["generator"],
                         usage={"input_tokens": 0, "output_tokens": 0, "calls": 0},
                         cached=True)
    except Exception as exc:  # noqa: BLE001 - a miss or an unreadable entry: generate
        if aws.error_code(exc) not in ("NoSuchKey", "404"):
            log.warning("draft cache read failed (%s)", aws.error_code(exc) or type(exc).__name__)
        return None


def generate(transcript: Transcript, options: Options) -> Generated:
    """A validated draft for the transcript, from the cache when Claude wrote one before."""
    chosen = provider()
    if chosen == EXTRACTIVE:
        from chalicelib import extractive

        return Generated(draft=validate_draft(extractive.draft(transcript, options),
                                              transcript.duration_seconds),
                         generator=EXTRACTIVE, usage={"input_tokens": 0, "output_tokens": 0,
                                                      "calls": 0})
    from chalicelib import claude

    model_name = model()
    key = draft_cache_key(transcript.video_id, model_name, options)
    cached = _read_cached_draft(key)
    if cached is not None:
        return cached
    generated = claude.write_draft(transcript, options, model_name, bedrock=chosen == "bedrock")
    from chalicelib import observability

    observability.metric("TokensUsed", generated.usage.get("input_tokens", 0)
                         + generated.usage.get("output_tokens", 0), Model=model_name)
    aws.client("s3").put_object(
        Bucket=config.notes_bucket(), Key=key, ContentType="application/json",
        Body=json.dumps({"draft": generated.draft, "generator": generated.generator,
                         "usage": generated.usage}).encode())
    return generated
