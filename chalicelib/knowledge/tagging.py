"""A note's tags: three to eight, lowercase and hyphenated."""
from __future__ import annotations

import re
from collections.abc import Sequence

from chalicelib.knowledge.library import GENERAL

MIN_TAGS, MAX_TAGS = 3, 8

_STOPWORDS = frozenset("""a an and are as at be by for from how in into is it its of on or
the to what when why with without your you lecture lectures part introduction intro
notes video course lesson class chapter""".split())


def _tag(text: str) -> str:
    tag = re.sub(r"[^\w\s-]", "", text.lower()).strip()
    return re.sub(r"[\s_]+", "-", tag).strip("-")[:40]


def choose_tags(draft_tags: Sequence[str], fallback_terms: Sequence[str], *,
                title: str = "", category: str = "") -> list[str]:
    """Three to eight lowercase tags: the generator's, then the note's concepts, then
    words of the title and the category when there are too few."""
    tags: list[str] = []

    def add(candidates: Sequence[str], up_to: int) -> None:
        for candidate in candidates:
            tag = _tag(candidate)
            if tag and tag not in tags and len(tags) < up_to:
                tags.append(tag)

    add(draft_tags, MAX_TAGS)
    add(fallback_terms, MAX_TAGS)
    if len(tags) < MIN_TAGS:
        words = [w for w in re.findall(r"[^\W\d_][\w-]{2,}", title.lower())
                 if w not in _STOPWORDS]
        add(words, MIN_TAGS)
    if len(tags) < MIN_TAGS and category and category != GENERAL:
        add([category], MIN_TAGS)
    add(["study-notes", "lecture", "video"], MIN_TAGS)
    return tags
