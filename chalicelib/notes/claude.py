"""Drafts written by Claude through the anthropic SDK (or Claude in Amazon Bedrock).

The transcript goes in with its timestamps, as "[mm:ss] text" lines. One that is
over the single-call budget is split into time-ordered chunks that are written
concurrently (bounded) and merged; a small final call turns the chunks'
summaries into the lecture's title and summary. Nothing is truncated, and the
input stays close to the transcript's own size: the fixed instructions are the
only repeated part, and they are marked for prompt caching.
"""
from __future__ import annotations

import concurrent.futures
import json
import logging
from typing import Any, Sequence

from chalicelib.core import config, secrets
from chalicelib.core.cache import KeyedCache
from chalicelib.notes.drafts import (
    DRAFT_SCHEMA,
    Generated,
    GenerationFailed,
    GenerationTemporarilyFailed,
    Options,
    validate_draft,
)
from chalicelib.notes.markdown import clock
from chalicelib.youtube.transcript_model import Segment, Transcript

log = logging.getLogger(__name__)

DEFAULT_CHUNK_TOKENS = 20_000
DEFAULT_CONCURRENCY = 4
MAX_OUTPUT_TOKENS = 16_000
LINE_SECONDS = 20.0  # transcript lines of about this length keep timestamp overhead small
LINE_CHARS = 2000  # and no longer: a chunk is whole lines, so a line must fit in one

SYSTEM_PROMPT = """You write study notes from the transcript of a recorded lecture.

The transcript arrives as lines "[time] text", where time is the offset into the video.
Write notes a student can trust and revise from:
- title: the lecture's topic as a short, specific title (no channel names, no "Lecture 3:").
- summary: what the lecture teaches, in a few sentences of plain prose.
- core_concepts: the terms and ideas a student must know, each with a precise definition
  grounded in what the lecturer says.
- key_points: the most important claims, results or takeaways.
- sections: the lecture's parts in order, each with a descriptive title and bullets that
  capture the substance (definitions, steps, examples, formulas in plain text).
- review_questions: questions that test understanding, each with a complete answer taken
  from the lecture.
- suggested_subject: the academic subject (e.g. Physics, Computer Science, History).
- tags: three to eight short lowercase topic tags.

Timestamps: give every concept, point, section, bullet and question the time in SECONDS at
which the lecture discusses it, taken from the transcript's line times. Never invent a time
outside the transcript you were given; use null when no single moment fits.
Write only what the transcript supports. Do not add facts the lecturer did not say.
Follow the style and language instructions in the request."""

SYNTHESIS_PROMPT = """You are given the partial notes of consecutive parts of one lecture.
Write the whole lecture's title, a summary covering all parts, its most important key
points (keep their timestamps in seconds), the academic subject and three to eight tags."""

SYNTHESIS_SCHEMA: dict = {
    "type": "object", "additionalProperties": False,
    "required": ["title", "summary", "key_points", "suggested_subject", "tags"],
    "properties": {k: DRAFT_SCHEMA["properties"][k] for k in
                   ("title", "summary", "key_points", "suggested_subject", "tags")},
}

_clients: KeyedCache[Any] = KeyedCache(keep_one=True)


def client(bedrock: bool) -> Any:
    """One SDK client per container, rebuilt only if its settings change."""
    # The key lives in Secrets Manager in AWS (cached per container; a rotated key
    # rebuilds the client), in the environment locally.
    api_key = None if bedrock else secrets.get("ANTHROPIC_API_KEY")
    if not bedrock and api_key is None:
        raise config.ConfigError(
            f"ANTHROPIC_API_KEY is not set ({secrets.describe('ANTHROPIC_API_KEY')})")
    base_url, region, retries = config.env("ANTHROPIC_BASE_URL"), config.region(), max_retries()

    def build() -> Any:
        import anthropic

        if bedrock:
            # IAM credentials of the function; no API key.
            return anthropic.AnthropicBedrock(aws_region=region, max_retries=retries)
        return anthropic.Anthropic(api_key=api_key, base_url=base_url, max_retries=retries,
                                   timeout=600.0)

    return _clients.get((bedrock, api_key, base_url, region, retries), build)


def max_retries() -> int:
    """The SDK's own retries (with backoff) of 429, 529 and 5xx before SQS retries the job."""
    return int(config.env("ANTHROPIC_MAX_RETRIES", "4") or 4)


def estimate_tokens(text: str) -> int:
    """Cheap and conservative: about four characters a token for English prose."""
    return len(text) // 4 + 1


def transcript_lines(segments: Sequence[Segment]) -> list[tuple[float, str]]:
    """Segments joined into lines of about LINE_SECONDS, each with its start time."""
    lines: list[tuple[float, str]] = []
    start, parts, size = None, [], 0
    for segment in segments:
        if start is None:
            start, size = segment.start, 0
        parts.append(segment.text.strip())
        size += len(parts[-1]) + 1
        if segment.start + segment.duration - start >= LINE_SECONDS or size >= LINE_CHARS:
            lines.append((start, " ".join(parts)))
            start, parts = None, []
    if parts and start is not None:
        lines.append((start, " ".join(parts)))
    return lines


def chunk_lines(lines: list[tuple[float, str]], budget: int) -> list[list[tuple[float, str]]]:
    """Time-ordered chunks of whole lines, each within the token budget."""
    chunks: list[list[tuple[float, str]]] = [[]]
    used = 0
    for line in lines:
        cost = estimate_tokens(line[1]) + 4
        if chunks[-1] and used + cost > budget:
            chunks.append([])
            used = 0
        chunks[-1].append(line)
        used += cost
    return [chunk for chunk in chunks if chunk]


def _instructions(transcript: Transcript, options: Options, part: str) -> str:
    style = ("Be concise: short bullets, only the essentials."
             if options.note_style == "concise" else
             "Be detailed: cover every part of the lecture thoroughly, with examples.")
    questions = ("Write five to ten review questions per hour of lecture."
                 if options.include_questions else "Write no review questions (empty list).")
    chapters = "; ".join(f"{clock(c.start)} {c.title}" for c in transcript.chapters) or "none"
    return (f"Lecture: {transcript.title or 'untitled'}\nChannel: {transcript.channel}\n"
            f"Duration: {clock(transcript.duration_seconds)}\nChapters: {chapters}\n{part}\n"
            f"Style: {style}\n{questions}\n"
            f"Write the notes in the language with code '{options.language}'.\n")


def _call(model: str, bedrock: bool, system: str, user: str, schema: dict) -> tuple[dict, dict]:
    import anthropic

    try:
        response = client(bedrock).messages.create(
            model=model, max_tokens=MAX_OUTPUT_TOKENS,
            system=[{"type": "text", "text": system, "cache_control": {"type": "ephemeral"}}],
            messages=[{"role": "user", "content": user}],
            output_config={"format": {"type": "json_schema", "schema": schema}},
        )
    except (anthropic.RateLimitError, anthropic.InternalServerError,
            anthropic.APIConnectionError, anthropic.APITimeoutError) as exc:
        raise GenerationTemporarilyFailed(type(exc).__name__) from exc
    except anthropic.APIStatusError as exc:
        if exc.status_code in (408, 409, 429) or exc.status_code >= 500:
            raise GenerationTemporarilyFailed(f"HTTP {exc.status_code}") from exc
        raise GenerationFailed(f"the notes model refused the request (HTTP {exc.status_code})") \
            from exc
    usage = response.usage
    counted = {
        "input_tokens": usage.input_tokens + (usage.cache_read_input_tokens or 0)
        + (usage.cache_creation_input_tokens or 0),
        "uncached_input_tokens": usage.input_tokens,
        "cache_read_input_tokens": usage.cache_read_input_tokens or 0,
        "output_tokens": usage.output_tokens, "calls": 1,
    }
    text = "".join(block.text for block in response.content if block.type == "text")
    if response.stop_reason == "max_tokens":
        raise GenerationTemporarilyFailed("the notes were cut off at the output limit")
    try:
        return json.loads(text), counted
    except ValueError as exc:
        raise GenerationTemporarilyFailed("the model's answer was not valid JSON") from exc


def _add_usage(total: dict, part: dict) -> None:
    for key, value in part.items():
        total[key] = total.get(key, 0) + value


def write_draft(transcript: Transcript, options: Options, model: str, *,
                bedrock: bool = False) -> Generated:
    budget = int(config.env("NOTES_CHUNK_TOKENS", str(DEFAULT_CHUNK_TOKENS)) or
                 DEFAULT_CHUNK_TOKENS)
    workers = int(config.env("NOTES_MAX_CONCURRENCY", str(DEFAULT_CONCURRENCY)) or
                  DEFAULT_CONCURRENCY)
    chunks = chunk_lines(transcript_lines(transcript.segments), budget)
    usage: dict = {}

    def write(number: int) -> dict:
        chunk = chunks[number]
        part = (f"Part {number + 1} of {len(chunks)} of the lecture, "
                f"{clock(chunk[0][0])} to {clock(transcript.duration_seconds if number == len(chunks) - 1 else chunks[number + 1][0][0])}."
                if len(chunks) > 1 else "The whole lecture.")
        body = "\n".join(f"[{clock(start)}] {text}" for start, text in chunk)
        raw, counted = _call(model, bedrock, SYSTEM_PROMPT,
                             _instructions(transcript, options, part) + "\nTranscript:\n" + body,
                             DRAFT_SCHEMA)
        _add_usage(usage, counted)
        try:
            return validate_draft(raw, transcript.duration_seconds)
        except ValueError as exc:
            raise GenerationTemporarilyFailed(f"the model's notes were incomplete: {exc}") \
                from exc

    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        parts = list(pool.map(write, range(len(chunks))))
    draft = parts[0] if len(parts) == 1 else _merge(parts, transcript, options, model, bedrock,
                                                    usage)
    return Generated(draft=draft, generator=model, usage=usage)


def _merge(parts: list[dict], transcript: Transcript, options: Options, model: str,
           bedrock: bool, usage: dict) -> dict:
    """Chunk drafts in time order as one draft; the title and summary come from a small
    synthesis call over the chunks' summaries and key points, not the transcript."""
    digest = json.dumps([{"part": n + 1, "title": p["title"], "summary": p["summary"],
                          "key_points": p["key_points"]} for n, p in enumerate(parts)],
                        ensure_ascii=False)
    raw, counted = _call(model, bedrock, SYNTHESIS_PROMPT,
                         _instructions(transcript, options, "All parts.") + "\nPartial notes:\n"
                         + digest, SYNTHESIS_SCHEMA)
    _add_usage(usage, counted)
    concepts: dict[str, dict] = {}
    for part in parts:
        for concept in part["core_concepts"]:
            concepts.setdefault(concept["term"].casefold(), concept)
    merged = {
        **{key: raw.get(key) for key in ("title", "summary", "key_points", "suggested_subject",
                                         "tags")},
        "core_concepts": list(concepts.values()),
        "sections": [section for part in parts for section in part["sections"]],
        "review_questions": [q for part in parts for q in part["review_questions"]],
    }
    try:
        draft = validate_draft(merged, transcript.duration_seconds)
    except ValueError as exc:
        raise GenerationTemporarilyFailed(f"the merged notes were incomplete: {exc}") from exc
    draft["dropped_timestamps"] += sum(p["dropped_timestamps"] for p in parts)
    return draft
