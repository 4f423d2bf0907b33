"""Failures that would fail again, remembered per video and options (docs/DESIGN.md
section 6: "a failure that would fail again is not retried for free").

Remembered in the video's cache scope (chalicelib.youtube.cache_scope): a failure of
a YouTube transcript is every student's, a failure of uploaded captions only their
uploader's (and only for that file), so an upload cannot make a lecture fail for
anyone else.

A failed video is refunded, so without memory the same lecture could be
submitted again and again, each time paying for model calls that end the same
way. When notes could not be written for a YouTube video with given options
(model, style, language, questions, prompt version: the draft cache's key), the
failure is stored beside that key; a job for the same video and options within
FAILURE_MEMORY_SECONDS fails at once, refunded, without calling the model. Only
the paid generator is remembered (the offline writer costs nothing to retry).
"""
from __future__ import annotations

import json
import logging
import time

from chalicelib.core import aws, config
from chalicelib.notes import generators
from chalicelib.notes.drafts import Options
from chalicelib.youtube.cache_scope import CacheScope

log = logging.getLogger(__name__)

FAILURE_MEMORY_SECONDS = 24 * 3600
REMEMBERED = "failed_before"


class Remembered(Exception):
    """This video and these options failed recently: fail at once, no model call."""

    code = REMEMBERED

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def key(scope: CacheScope, options: Options) -> str | None:
    """Where a failure of this video (in its scope) and options is remembered; None
    when the generator is the free offline writer."""
    if generators.provider() == generators.EXTRACTIVE:
        return None
    draft_key = generators.draft_cache_key(scope, generators.model(), options)
    return draft_key.removesuffix(".json") + ".failed.json"


def memory_seconds() -> int:
    return int(config.env("FAILURE_MEMORY_SECONDS", str(FAILURE_MEMORY_SECONDS))
               or FAILURE_MEMORY_SECONDS)


def remember(memory_key: str | None, code: str, message: str) -> None:
    if not memory_key:
        return
    body = {"code": code, "message": message, "failed_at": int(time.time())}
    try:
        aws.client("s3").put_object(Bucket=config.notes_bucket(), Key=memory_key,
                                    Body=json.dumps(body).encode(),
                                    ContentType="application/json")
    except Exception as exc:  # noqa: BLE001 - memory is a saving, not a correctness rule
        log.warning("could not remember a failure at %s (%s)", memory_key, aws.describe(exc))


def check(memory_key: str | None) -> None:
    """Raise Remembered if this video and these options failed within the memory."""
    if not memory_key:
        return
    try:
        body = aws.client("s3").get_object(Bucket=config.notes_bucket(),
                                           Key=memory_key)["Body"].read()
        past = json.loads(body)
    except Exception as exc:  # noqa: BLE001 - nothing remembered (or unreadable): go on
        if not aws.is_error(exc, *aws.NOT_FOUND):
            log.warning("could not read a remembered failure (%s)", aws.describe(exc))
        return
    failed_at = int(past.get("failed_at") or 0)
    until = failed_at + memory_seconds()
    if time.time() >= until:
        return
    hours = max(1, round((until - time.time()) / 3600))
    raise Remembered(
        "Notes could not be written for this video with your current settings a moment "
        f"ago ({past.get('code', 'failed')}), and trying again now would fail the same way. "
        f"Nothing was charged. Try another note style or language, or again in about "
        f"{hours} hour{'s' if hours != 1 else ''}.")
