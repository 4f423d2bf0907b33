"""Filing notes: category and tags (DESIGN section 7).

The order of the rule is fixed: the subject given at submit wins, then the
user's default subject; what remains is decided by similarity. Until the
embedding model lands (the knowledge-layer issue), the generator's own
suggestion stands in for similarity, then General.
"""
from __future__ import annotations

import re
from typing import Sequence

GENERAL = "General"
MAX_CATEGORY_LENGTH = 100
MIN_TAGS, MAX_TAGS = 3, 8


def clean_category(value: str | None) -> str:
    text = re.sub(r"\s+", " ", value or "").strip()[:MAX_CATEGORY_LENGTH]
    return text


def choose_category(*, submitted: str | None, default_subject: str | None,
                    suggested: str | None) -> str:
    for candidate in (submitted, default_subject, suggested):
        if clean_category(candidate):
            return clean_category(candidate)
    return GENERAL


def choose_tags(draft_tags: Sequence[str], fallback_terms: Sequence[str]) -> list[str]:
    """Three to eight lowercase tags, the generator's first, then the note's concepts."""
    tags: list[str] = []
    for tag in [*draft_tags, *fallback_terms]:
        tag = re.sub(r"[^\w\s-]", "", tag.lower()).strip().replace(" ", "-")[:40]
        if tag and tag not in tags:
            tags.append(tag)
    return tags[:MAX_TAGS]
