"""Which generator writes a note's draft, and the draft cache.

Claude writes drafts when it is configured (API key, or NOTES_PROVIDER=bedrock);
otherwise the offline writer (chalicelib.notes.offline) does. Claude's drafts are
cached in S3 per video, model, style, language and prompt version, so a lecture
submitted again costs no call; who may read a cached draft (everyone for what
YouTube served, only its uploader for uploaded captions) is
chalicelib.youtube.cache_scope's rule. The anthropic SDK loads only inside
chalicelib.notes.claude's calls.
"""
from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

from chalicelib.core import aws, config, observability
from chalicelib.notes import claude, grounding, offline
from chalicelib.notes.drafts import Generated, Options
from chalicelib.youtube.cache_scope import CacheScope
from chalicelib.youtube.transcript_model import Transcript

log = logging.getLogger(__name__)

PROMPT_VERSION = "2026-12-07.1"  # sentences as lines; claims must agree with quotes
DEFAULT_MODEL = "claude-sonnet-5-5"
EXTRACTIVE = "extractive"


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


def draft_cache_key(scope: CacheScope, model_name: str, options: Options) -> str:
    fingerprint = json.dumps([model_name, options.note_style, options.language,
                              options.include_questions, PROMPT_VERSION])
    digest = hashlib.sha256(fingerprint.encode()).hexdigest()[:24]
    return f"drafts/{scope.path(f'{digest}.json')}"


def _read_cached_draft(key: str) -> Generated | None:
    try:
        body = aws.client("s3").get_object(Bucket=config.notes_bucket(), Key=key)["Body"].read()
        data = json.loads(body)
        return Generated(draft=data["draft"], generator=data["generator"],
                         usage={"input_tokens": 0, "output_tokens": 0, "calls": 0},
                         cached=True)
    except Exception as exc:  # noqa: BLE001 - a miss or an unreadable entry: generate
        if not aws.is_error(exc, *aws.NOT_FOUND):
            log.warning("draft cache read failed (%s)", aws.describe(exc))
        return None


def finish(draft: dict[str, Any], transcript: Transcript) -> dict[str, Any]:
    """Every generator's draft is grounded by the service (docs/DESIGN.md section 6):
    each item's quote is looked up, its timestamp set from where it was found."""
    return grounding.ground(draft, transcript)


def generate(transcript: Transcript, options: Options, scope: CacheScope) -> Generated:
    """A validated, grounded draft for the transcript, from the cache when Claude wrote
    one before for this scope (chalicelib.youtube.cache_scope)."""
    chosen = provider()
    if chosen == EXTRACTIVE:
        return Generated(draft=finish(offline.draft(transcript, options), transcript),
                         generator=EXTRACTIVE, usage={"input_tokens": 0, "output_tokens": 0,
                                                      "calls": 0})
    model_name = model()
    key = draft_cache_key(scope, model_name, options)
    cached = _read_cached_draft(key)
    if cached is not None:
        return cached
    generated = claude.write_draft(transcript, options, model_name, bedrock=chosen == "bedrock")
    generated.draft = finish(generated.draft, transcript)
    observability.metric("TokensUsed", generated.usage.get("input_tokens", 0)
                         + generated.usage.get("output_tokens", 0), Model=model_name)
    aws.client("s3").put_object(
        Bucket=config.notes_bucket(), Key=key, ContentType="application/json",
        Body=json.dumps({"draft": generated.draft, "generator": generated.generator,
                         "usage": generated.usage}).encode())
    return generated
