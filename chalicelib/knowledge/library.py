"""A user's notes as filing and linking need them (ids, titles, categories and
embeddings), and the text that stands for a note when it is embedded."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Sequence

from chalicelib.core import aws, config, db
from chalicelib.knowledge import embeddings

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

GENERAL = "General"
RELATED_THRESHOLD = 0.45
MAX_RELATED = 5
MAX_CANDIDATES = 5000  # the newest notes considered for filing and linking


def note_text(draft: dict, title: str | None = None) -> str:
    """What is embedded for a note, most telling first (the model reads 256 tokens):
    title, summary, concepts, tags, key points, section titles."""
    parts = [title or draft.get("title") or "", draft.get("summary") or ""]
    terms = [c["term"] for c in draft.get("core_concepts") or []]
    if terms:
        parts.append("Concepts: " + ", ".join(terms) + ".")
    if draft.get("tags"):
        parts.append("Tags: " + ", ".join(draft["tags"]) + ".")
    parts += [p["text"] for p in draft.get("key_points") or []]
    parts += [s["title"] for s in draft.get("sections") or []]
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
    def from_records(cls, records: Sequence[dict]) -> "Library":
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

    def category_scores(self, vector: "np.ndarray") -> dict[str, float]:
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

    def related(self, vector: "np.ndarray", limit: int = MAX_RELATED,
                threshold: float = RELATED_THRESHOLD) -> list[dict]:
        """The closest notes at least `threshold` similar, best first."""
        import numpy as np

        if not self.rows:
            return []
        sims = self.vectors @ vector
        order = np.argsort(-sims, kind="stable")[:limit]
        return [{"note_id": self.note_ids[self.rows[i]], "title": self.titles[self.rows[i]]}
                for i in order if sims[i] >= threshold]


def load_library(user_id: str, exclude_note_id: str | None = None,
                 limit: int = MAX_CANDIDATES) -> Library:
    """The user's newest notes through UserNotesIndex (a paged Query, never a scan),
    reading only what filing and linking use."""
    records: list[dict] = []
    params: dict[str, Any] = {
        "TableName": config.notes_table(), "IndexName": "UserNotesIndex",
        "KeyConditionExpression": "#u = :u", "ScanIndexForward": False,
        "ProjectionExpression": "#i, #t, #c, #e",
        "ExpressionAttributeNames": {"#u": "user_id", "#i": "note_id", "#t": "title",
                                     "#c": "category", "#e": "embedding"},
        "ExpressionAttributeValues": db.values(u=user_id),
    }
    while len(records) < limit:
        response = aws.client("dynamodb").query(**params)
        records += [r for r in map(db.from_item, response.get("Items", []))
                    if r and r.get("note_id") != exclude_note_id]
        if not response.get("LastEvaluatedKey"):
            break
        params["ExclusiveStartKey"] = response["LastEvaluatedKey"]
    return Library.from_records(records[:limit])
