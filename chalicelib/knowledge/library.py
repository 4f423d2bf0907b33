"""A user's notes as filing and linking need them (ids, titles, categories and
embeddings), and the text that stands for a note when it is embedded."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypedDict

from chalicelib.core import config, db
from chalicelib.knowledge import embeddings

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

GENERAL = "General"
RELATED_THRESHOLD = 0.45
MAX_RELATED = 5
MAX_CANDIDATES = 5000  # the newest notes considered for filing and linking
SUMMARY_WORDS = 40


def note_text(draft: dict[str, Any], title: str | None = None) -> str:
    """What is embedded for a note: what represents the lecture (the model reads 256
    tokens and mean-pools them): the title, its chapter (section) titles, the terms it
    defines and its tags (the transcript's key phrases), and the start of its summary
    (the central sentences) while all that is under SUMMARY_WORDS words. Measured on
    the team's filing set (bench/corpus, issue 12): adding the whole summary lowered
    filing from 91% to 89% and its first 30 words to 85%, since a passage's words
    drown the title's; whole drafts, embedded before, filed 70%."""
    parts = [title or draft.get("title") or ""]
    parts += [s["title"] for s in draft.get("sections") or []]
    terms = [c["term"] for c in draft.get("core_concepts") or []]
    if terms:
        parts.append("Concepts: " + ", ".join(terms) + ".")
    if draft.get("tags"):
        parts.append("Tags: " + ", ".join(draft["tags"]) + ".")
    # The central sentences fill in what the terms and tags do not say: a note with
    # few of them (a short or undefined lecture) is embedded with its summary's start.
    room = SUMMARY_WORDS - len(" ".join(parts).split())
    if room > 0:
        parts.append(" ".join((draft.get("summary") or "").split()[:room]))
    return "\n".join(part.strip() for part in parts if part and part.strip())


@dataclass
class Library:
    """A user's notes as filing and linking need them: ids, titles, categories and
    embeddings (rows of `vectors`, for the notes in `rows`), newest first."""

    note_ids: list[str] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    vectors: Any = None
    rows: list[int] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.note_ids)

    @classmethod
    def from_records(cls, records: Sequence[dict[str, Any]]) -> Library:
        library = cls()
        blobs = []
        for record in records:
            library.note_ids.append(record["note_id"])
            library.titles.append(record.get("title") or "")
            library.categories.append(record.get("category") or GENERAL)
            blobs.append(record.get("embedding"))
        library.vectors, library.rows = embeddings.unpack_many(blobs)
        return library

    def spelling(self, name: str) -> str:
        """The user's existing category of that name (any case), or the name."""
        folded = name.casefold()
        for category in self.categories:
            if category.casefold() == folded:
                return category
        return name

    def category_scores(self, vector: np.ndarray) -> dict[str, float]:
        """Cosine between the note and the centroid of each of the user's categories."""
        import numpy as np

        if not self.rows:
            return {}
        members: dict[str, list[int]] = {}
        for row, index in enumerate(self.rows):
            members.setdefault(self.categories[index], []).append(row)
        scores = {}
        for category, rows in members.items():
            centroid = self.vectors[rows].mean(axis=0)
            norm = float(np.linalg.norm(centroid))
            if norm:
                scores[category] = float(centroid @ vector) / norm
        return scores

    def related(self, vector: np.ndarray, limit: int = MAX_RELATED,
                threshold: float = RELATED_THRESHOLD) -> list[RelatedNote]:
        """The closest notes at least `threshold` similar, best first."""
        import numpy as np

        if not self.rows:
            return []
        sims = self.vectors @ vector
        order = np.argsort(-sims, kind="stable")[:limit]
        return [{"note_id": self.note_ids[self.rows[i]], "title": self.titles[self.rows[i]]}
                for i in order if sims[i] >= threshold]


class RelatedNote(TypedDict):
    """A related note, as a note record keeps it (chalicelib.notes.records)."""

    note_id: str
    title: str


def load_library(user_id: str, exclude_note_id: str | None = None,
                 limit: int = MAX_CANDIDATES) -> Library:
    """The user's newest notes through UserNotesIndex (a paged Query, never a scan),
    reading only what filing and linking use."""
    records: list[dict[str, Any]] = []
    for record in db.query_items(
            TableName=config.notes_table(), IndexName="UserNotesIndex",
            KeyConditionExpression="#u = :u", ScanIndexForward=False,
            ProjectionExpression="#i, #t, #c, #e",
            ExpressionAttributeNames={"#u": "user_id", "#i": "note_id", "#t": "title",
                                      "#c": "category", "#e": "embedding"},
            ExpressionAttributeValues=db.values(u=user_id)):
        if record and record.get("note_id") != exclude_note_id:
            records.append(record)
            if len(records) >= limit:
                break  # no further page is asked for
    return Library.from_records(records)
