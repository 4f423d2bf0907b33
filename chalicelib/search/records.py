"""What crosses modules in search (docs/DESIGN.md sections 4 and 13): an entry of a
student's index (`index/{user_id}/` in S3), a verified item or a passage of whole
sentences with its start; a hit of GET /search; the answer of POST /ask."""
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


class Hit(IndexEntry):
    score: float


class Citation(TypedDict):
    n: int
    note_id: str
    title: str
    quote: str
    start_seconds: float
    url: str


class Answer(TypedDict):
    answer: str  # Markdown; every sentence ends with its [n] markers
    citations: list[Citation]
    covered: bool
    verified: str  # "n/m": citations whose quote was found in their transcript
    generator: str
