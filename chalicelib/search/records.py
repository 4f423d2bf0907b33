"""An entry of a student's search index (`index/{user_id}/` in S3; docs/DESIGN.md
section 13): a verified item or a passage of whole sentences, with its start."""
from __future__ import annotations

from typing import Literal, TypedDict

EntryKind = Literal["item", "passage"]


class IndexEntry(TypedDict):
    note_id: str
    title: str
    category: str
    kind: EntryKind
    text: str
    quote: str
    start_seconds: float
    url: str  # the video at start_seconds
