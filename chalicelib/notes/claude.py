"""Drafts written by Claude through the anthropic SDK (or Claude in Amazon Bedrock).

The contract (docs/DESIGN.md sections 6 and 7, issue 12); what the model is told
(the prompts, the schemas, the fenced transcript) is chalicelib.notes.claude_prompt:

- A transcript over the single-call budget is split into time-ordered chunks that
  overlap by OVERLAP_LINES lines; the first chunk is written alone and the rest
  concurrently (bounded), so the others read the cached system prompt. Concepts are
  merged across chunks by meaning (embeddings of term and definition), items quoted
  twice in an overlap are kept once, and a chunk whose sections stop short of its end
  has its uncovered tail written as one more part.
- An answer cut at the output limit (stop_reason "max_tokens") is not retried as is:
  its lines are split in two and each half written, within the same job, at most
  MAX_SPLIT_DEPTH times; a single line that still does not fit fails permanently.
- A synthesis answer cut at the output limit is asked again once, within the job, for
  the title, summary, subject and tags only (the key points are then the parts'); if
  that is cut too, the synthesis is built from the parts (the first part's title, the
  parts' summaries and key points as they are). Either way the job completes: the
  same request would stop again, so it is never raised for SQS to repeat.
- Prompt caching: SYSTEM_PROMPT is marked with cache_control, so every chunk after
  the first and every later video reads it from the cache. The synthesis prompt is
  short and sent once per video, so it is not marked (a mark below the minimum does
  nothing).
- No temperature is sent: API version 2026-10-21 (what anthropic 2.x sends) removed
  the sampling parameters, the SDK no longer accepts them and the API answers 400 to
  any of them. Repeat submissions are kept stable by the fixed prompt and the S3
  draft cache (chalicelib.notes.generators) instead.
- Item caps (drafts.MAX_ITEMS) never drop silently: what they leave out is counted in
  the draft's `condensed`, which the note shows.
"""
from __future__ import annotations

import concurrent.futures
import json
import logging
import math
import re
import threading
from collections.abc import Sequence
from typing import Any, cast

from chalicelib.core import config, secrets
from chalicelib.core.cache import KeyedCache
from chalicelib.notes.claude_prompt import (
    SHORT_SYNTHESIS_ASK,
    SHORT_SYNTHESIS_SCHEMA,
    SYNTHESIS_PROMPT,
    SYNTHESIS_SCHEMA,
    SYSTEM_PROMPT,
    Line,
    draft_request,
    fence_safe,
    synthesis_request,
)
from chalicelib.notes.drafts import (
    DRAFT_SCHEMA,
    LIMITS,
    SUBJECTS,
    Generated,
    GenerationFailed,
    GenerationTemporarilyFailed,
    Options,
    validate_draft,
)
from chalicelib.notes.offline.sentence_split import said_sentences
from chalicelib.youtube.transcript_model import Transcript

log = logging.getLogger(__name__)

DEFAULT_CHUNK_TOKENS = 20_000
DEFAULT_CONCURRENCY = 4
MAX_OUTPUT_TOKENS = 16_000
LINE_CHARS = 2000  # a chunk is whole lines, so a line must fit in one
OVERLAP_LINES = 2  # context shared by neighbouring chunks (about 40 s)
MAX_SPLIT_DEPTH = 3  # an output-limit stop halves the lines at most this many times
COVERAGE_SHARE = 0.8  # sections must reach this far into their chunk's lines
CONCEPT_MERGE_COSINE = 0.86
QUESTIONS_PER_HOUR = 10
MIN_QUESTIONS = 5


class OutputLimit(Exception):
    """The answer stopped at max_tokens: the same request would stop again."""


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


def transcript_lines(transcript: Transcript) -> list[Line]:
    """The transcript as numbered lines, one sentence each (rebuilt across caption lines,
    automatic captions cut where speech ends one: DESIGN section 7), each with the time
    of its first word; a sentence longer than LINE_CHARS is cut at a word."""
    lines: list[Line] = []
    for start, text in said_sentences(transcript):
        while len(text) > LINE_CHARS:
            cut = text.rfind(" ", 0, LINE_CHARS)
            cut = cut if cut > 0 else LINE_CHARS
            lines.append((len(lines) + 1, start, fence_safe(text[:cut])))
            text = text[cut:].strip()
        if text:
            lines.append((len(lines) + 1, start, fence_safe(text)))
    return lines


def chunk_lines(lines: list[Line], budget: int) -> list[list[Line]]:
    """Time-ordered chunks of whole lines, each within the token budget."""
    chunks: list[list[Line]] = [[]]
    used = 0
    for line in lines:
        cost = estimate_tokens(line[2]) + 6
        if chunks[-1] and used + cost > budget:
            chunks.append([])
            used = 0
        chunks[-1].append(line)
        used += cost
    return [chunk for chunk in chunks if chunk]


def wanted_questions(duration_seconds: float) -> int:
    """DESIGN section 7: at least 5 for any lecture, about 10 an hour beyond."""
    return max(MIN_QUESTIONS, round(QUESTIONS_PER_HOUR * duration_seconds / 3600))


def _share_of_questions(transcript: Transcript, lines: Sequence[Line], total_lines: int,
                        whole: bool) -> int:
    wanted = wanted_questions(transcript.duration_seconds)
    if whole:
        return wanted
    return max(1, math.ceil(wanted * len(lines) / max(1, total_lines)))


def _call(model: str, bedrock: bool, system: str, user: str, schema: dict[str, Any],
          usage: dict[str, Any],
          cache: bool = True) -> dict[str, Any]:
    """One Messages call; what its answer cost is added to `usage` whatever follows
    (a cut or unreadable answer was paid for all the same)."""
    import anthropic

    block: dict[str, Any] = {"type": "text", "text": system}
    if cache:
        block["cache_control"] = {"type": "ephemeral"}
    try:
        response = client(bedrock).messages.create(
            model=model, max_tokens=MAX_OUTPUT_TOKENS,
            system=[block],
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
    answered = response.usage
    created = answered.cache_creation_input_tokens or 0
    read = answered.cache_read_input_tokens or 0
    counted = {
        "input_tokens": answered.input_tokens + read + created,
        "uncached_input_tokens": answered.input_tokens,
        "cache_creation_input_tokens": created,
        "cache_read_input_tokens": read,
        "output_tokens": answered.output_tokens, "calls": 1,
    }
    _add_usage(usage, counted)
    if response.stop_reason == "max_tokens":
        raise OutputLimit("the notes were cut off at the output limit")
    text = "".join(block.text for block in response.content if block.type == "text")
    try:
        return cast(dict[str, Any], json.loads(text))
    except ValueError as exc:
        raise GenerationTemporarilyFailed("the model's answer was not valid JSON") from exc


_usage_lock = threading.Lock()


def _add_usage(total: dict[str, Any], part: dict[str, Any]) -> None:
    with _usage_lock:  # the parts of a long lecture are written on threads
        for key, value in part.items():
            total[key] = total.get(key, 0) + value


class _Writer:
    """One video's parts: written, split at an output-limit stop, checked for coverage."""

    def __init__(self, transcript: Transcript, options: Options, model: str, bedrock: bool,
                 lines: list[Line]) -> None:
        self.transcript, self.options, self.model, self.bedrock = (transcript, options, model,
                                                                   bedrock)
        self.lines = lines
        self.line_starts = [start for _, start, _ in lines]
        self.usage: dict[str, Any] = {}
        self.splits = 0
        self.tails = 0

    def write(self, part: Sequence[Line], whole: bool, depth: int = 0,
              context: Sequence[Line] = ()) -> list[dict[str, Any]]:
        """The drafts of these lines: one, or more after a split or a tail."""
        questions = _share_of_questions(self.transcript, part, len(self.lines), whole)
        user = draft_request(self.transcript, self.options, self.lines, part, context, whole,
                             questions)
        try:
            raw = _call(self.model, self.bedrock, SYSTEM_PROMPT, user, DRAFT_SCHEMA,
                        self.usage)
        except OutputLimit as exc:
            if len(part) < 2 or depth >= MAX_SPLIT_DEPTH:
                raise GenerationFailed("the notes for this lecture do not fit the model's "
                                       "output limit, even in small parts") from exc
            self.splits += 1
            middle = len(part) // 2
            log.info("output limit at lines L%s-L%s: writing them in two halves",
                     part[0][0], part[-1][0])
            first, second = list(part[:middle]), list(part[middle:])
            return (self.write(first, False, depth + 1, context)
                    + self.write(second, False, depth + 1, first[-OVERLAP_LINES:]))
        try:
            draft = validate_draft(raw, self.transcript.duration_seconds, self.line_starts)
        except ValueError as exc:
            raise GenerationTemporarilyFailed(f"the model's notes were incomplete: {exc}") \
                from exc
        out = [draft]
        tail = self._uncovered_tail(draft, part)
        if tail and depth < MAX_SPLIT_DEPTH:
            self.tails += 1
            out += self.write(tail, False, depth + 1, part[-len(tail) - OVERLAP_LINES:
                                                         -len(tail)])
        return out

    def _uncovered_tail(self, draft: dict[str, Any], part: Sequence[Line]) -> list[Line]:
        """The lines after the last one the sections cite, when that is short of the end."""
        if len(part) < 6:
            return []
        cited = [self._line_of(b["hint"]) for s in draft["sections"] for b in s["bullets"]
                 if b.get("hint") is not None]
        cited += [self._line_of(s["hint"]) for s in draft["sections"] if s.get("hint")
                  is not None]
        reached = max(cited, default=part[0][0])
        covered = (reached - part[0][0] + 1) / len(part)
        if covered >= COVERAGE_SHARE:
            return []
        log.info("sections stop at L%s of L%s-L%s: writing the rest", reached, part[0][0],
                 part[-1][0])
        return [line for line in part if line[0] > reached]

    def _line_of(self, start: float) -> int:
        import bisect

        return bisect.bisect_right(self.line_starts, start)


def write_draft(transcript: Transcript, options: Options, model: str, *,
                bedrock: bool = False) -> Generated:
    budget = int(config.env("NOTES_CHUNK_TOKENS", str(DEFAULT_CHUNK_TOKENS)) or
                 DEFAULT_CHUNK_TOKENS)
    workers = int(config.env("NOTES_MAX_CONCURRENCY", str(DEFAULT_CONCURRENCY)) or
                  DEFAULT_CONCURRENCY)
    lines = transcript_lines(transcript)
    if not lines:
        raise GenerationFailed("the transcript has no text")
    chunks = chunk_lines(lines, budget)
    writer = _Writer(transcript, options, model, bedrock, lines)
    whole = len(chunks) == 1

    def write(number: int) -> list[dict[str, Any]]:
        context = chunks[number - 1][-OVERLAP_LINES:] if number else []
        return writer.write(chunks[number], whole, context=context)

    try:
        # The first part alone, so the others find the system prompt in the cache.
        parts = write(0)
        if len(chunks) > 1:
            with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
                for drafts in pool.map(write, range(1, len(chunks))):
                    parts += drafts
        if len(parts) == 1:
            draft = parts[0]
        else:
            draft = _merge(parts, transcript, options, model, bedrock, writer.usage,
                           writer.line_starts)
    except (GenerationFailed, GenerationTemporarilyFailed) as exc:
        # What this attempt paid for, for the refund rule (chalicelib.ledger.refunds).
        exc.usage = dict(writer.usage)
        raise
    writer.usage["splits"] = writer.splits
    writer.usage["tails"] = writer.tails
    return Generated(draft=draft, generator=model, usage=writer.usage)


def _quote_key(item: dict[str, Any]) -> str:
    return " ".join(re.findall(r"\w+", (item.get("quote") or "").casefold()))


def _dedupe(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Items quoting the same words (an overlap written twice) once."""
    seen: set[str] = set()
    out = []
    for item in items:
        key = _quote_key(item) or json.dumps(item, sort_keys=True)
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def merge_concepts(concepts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Concepts of all parts, the same idea once: the same term (any case), or term and
    definition close in meaning (MiniLM cosine at least CONCEPT_MERGE_COSINE). The
    first definition is kept."""
    from chalicelib.knowledge import embeddings

    if len(concepts) < 2:
        return concepts
    vectors = embeddings.embed([f"{c['term']}: {c['definition']}" for c in concepts])
    kept: list[int] = []
    for index, concept in enumerate(concepts):
        folded = concept["term"].casefold()
        if any(concepts[k]["term"].casefold() == folded
               or float(vectors[k] @ vectors[index]) >= CONCEPT_MERGE_COSINE for k in kept):
            continue
        kept.append(index)
    return [concepts[k] for k in kept]


def _merge(parts: list[dict[str, Any]], transcript: Transcript, options: Options, model: str,
           bedrock: bool, usage: dict[str, Any], line_starts: Sequence[float]) -> dict[str, Any]:
    """Part drafts in time order as one draft; the title, summary and key points come
    from a synthesis call over the parts' summaries and key points, not the transcript."""
    digest = json.dumps([{"part": n + 1, "title": p["title"], "summary": p["summary"],
                          "key_points": [{"text": k["text"], "quote": k["quote"],
                                          "line": _line_number(k.get("hint"), line_starts)}
                                         for k in p["key_points"]],
                          "suggested_subject": p["suggested_subject"]}
                         for n, p in enumerate(parts)], ensure_ascii=False)
    raw = _synthesis(parts, synthesis_request(transcript, options, digest), model, bedrock,
                     usage, line_starts)
    condensed: dict[str, int] = {}
    for part in parts:
        for key, count in part.get("condensed", {}).items():
            condensed[key] = condensed.get(key, 0) + count

    def unhinted(item: dict[str, Any]) -> dict[str, Any]:
        return {**item, "line": _line_number(item.pop("hint", None), line_starts)}

    sections = []
    for part in parts:
        for section in part["sections"]:
            section = {**section, "line": _line_number(section.get("hint"), line_starts),
                       "bullets": _dedupe([unhinted(b) for b in section["bullets"]])}
            sections.append(section)
    merged = {
        **{key: raw.get(key) for key in ("title", "summary", "key_points", "suggested_subject",
                                         "tags")},
        "core_concepts": [unhinted(c) for c in merge_concepts(
            [c for part in parts for c in part["core_concepts"]])],
        "sections": sections,
        "review_questions": _dedupe([unhinted(q) for part in parts
                                     for q in part["review_questions"]]),
        "condensed": condensed,
    }
    if merged["suggested_subject"] not in SUBJECTS:
        merged["suggested_subject"] = parts[0]["suggested_subject"]
    try:
        return validate_draft(merged, transcript.duration_seconds, line_starts)
    except ValueError as exc:
        raise GenerationTemporarilyFailed(f"the merged notes were incomplete: {exc}") from exc


def _synthesis(parts: list[dict[str, Any]], user: str, model: str, bedrock: bool,
               usage: dict[str, Any],
               line_starts: Sequence[float]) -> dict[str, Any]:
    """The synthesis answer; at an output-limit stop, a smaller ask once, then the parts'
    own notes (at most two calls, and never an OutputLimit for SQS to repeat)."""
    part_points = [{"text": k["text"], "quote": k["quote"],
                    "line": _line_number(k.get("hint"), line_starts)}
                   for part in parts for k in part["key_points"]]
    for schema, ask in ((SYNTHESIS_SCHEMA, ""), (SHORT_SYNTHESIS_SCHEMA, SHORT_SYNTHESIS_ASK)):
        try:
            raw = _call(model, bedrock, SYNTHESIS_PROMPT, user + ask, schema, usage,
                        cache=False)
        except OutputLimit:
            usage["synthesis_stops"] = usage.get("synthesis_stops", 0) + 1
            log.info("output limit in the synthesis (%s)",
                     "asking for less" if not ask else "built from the parts")
            continue
        return raw if schema is SYNTHESIS_SCHEMA else {**raw, "key_points": part_points}
    summary = ""
    for part in parts:  # whole part summaries, as many as the summary's limit holds
        joined = f"{summary}\n\n{part['summary']}".strip()
        if summary and len(joined) > LIMITS["summary"]:
            break
        summary = joined
    return {"title": parts[0]["title"], "summary": summary, "key_points": part_points,
            "suggested_subject": parts[0]["suggested_subject"],
            "tags": list(dict.fromkeys(t for part in parts for t in part["tags"]))}


def _line_number(hint: float | None, line_starts: Sequence[float]) -> int | None:
    """The line a validated item's hint came from (hints are line starts)."""
    import bisect

    if hint is None:
        return None
    return bisect.bisect_left(line_starts, hint) + 1
