"""Filing and linking notes (DESIGN section 7): category, tags, related notes and
[[wiki links]] to the user's other notes, decided with the embedding model.

Category, in this order:
1. the subject given at submit, then the user's default subject (spelled as the
   user's existing category when one matches it case-insensitively);
2. the closest of the user's own categories: cosine between the note and the
   centroid of the user's notes in that category, at least USER_CATEGORY_THRESHOLD;
3. the closest subject of the built-in TAXONOMY, at least TAXONOMY_THRESHOLD. A
   subject scores the mean of the note's similarity to its description and the
   mean of its two closest topic phrases (measured on scripts/eval_notes.py);
4. General.
A generator's own suggested subject (Claude's) only informs the choice: the
candidate it names gets SUGGESTION_BONUS, and the same thresholds decide.

Thresholds are cosines of the shipped model (all-MiniLM-L6-v2), calibrated on the
evaluation notes: unrelated notes' centroids stay under 0.37 (99th percentile),
off-topic videos score under 0.23 against every subject.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Sequence

from chalicelib import aws, config, db, embeddings, rendering, taxonomy

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

log = logging.getLogger(__name__)

GENERAL = "General"
MAX_CATEGORY_LENGTH = 100
MIN_TAGS, MAX_TAGS = 3, 8
USER_CATEGORY_THRESHOLD = 0.40
TAXONOMY_THRESHOLD = 0.25
RELATED_THRESHOLD = 0.45
SUGGESTION_BONUS = 0.05
SUGGESTION_MATCH = 0.5  # a suggestion names a subject when this close to its name
MAX_RELATED = 5
MAX_MENTION_LINKS = 10
MIN_LINKED_TITLE = 4  # shorter titles ("AI") would link every other sentence
MAX_CANDIDATES = 5000  # the newest notes considered for filing and linking
TAXONOMY_FILE = "taxonomy.safetensors"

TAXONOMY = taxonomy.TAXONOMY


# --- the taxonomy's vectors -----------------------------------------------------

_taxonomy: "np.ndarray | None" = None


def _taxonomy_vectors() -> "np.ndarray":
    """The vectors of taxonomy.texts(), once per container. `make model` ships them
    (chalicelib/model/taxonomy.safetensors) with the taxonomy's fingerprint; an
    edited taxonomy is embedded live until the next build."""
    global _taxonomy
    if _taxonomy is None:
        import numpy as np

        vectors = None
        path = embeddings.MODEL_DIR / TAXONOMY_FILE
        if path.exists():
            stored = embeddings.read_safetensors(path)
            if bytes(stored["fingerprint"]).decode() == taxonomy.fingerprint():
                vectors = stored["vectors"].astype(np.float32)
            else:
                log.warning("the taxonomy changed since `make model`: embedding it live")
        _taxonomy = vectors if vectors is not None else embeddings.embed(taxonomy.texts())
    return _taxonomy


def taxonomy_scores(vector: "np.ndarray") -> list[float]:
    """Each subject's score for a note (see taxonomy.scores)."""
    return [float(s) for s in taxonomy.scores(vector[None, :], _taxonomy_vectors())[0]]


# --- the text that stands for a note --------------------------------------------

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


# --- the user's notes -------------------------------------------------------------

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


# --- category ----------------------------------------------------------------------

@dataclass(frozen=True)
class Filing:
    category: str
    source: str  # submitted | default | user | taxonomy | general
    score: float | None = None


def clean_category(value: str | None) -> str:
    return re.sub(r"\s+", " ", value or "").strip()[:MAX_CATEGORY_LENGTH]


def _suggested_subject(suggested: str, library: Library) -> tuple[str | None, int | None]:
    """The user category and the taxonomy subject a suggestion names, if any."""
    folded = suggested.casefold()
    category = next((c for c in library.categories if c.casefold() == folded), None)
    names = [name.casefold() for name, _ in TAXONOMY]
    if folded in names:
        return category, names.index(folded)
    subject_vector = embeddings.embed_one(f"{suggested}")
    scores = taxonomy_scores(subject_vector)
    best = max(range(len(scores)), key=scores.__getitem__)
    return category, best if scores[best] >= SUGGESTION_MATCH else None


def choose_category(*, submitted: str | None, default_subject: str | None,
                    suggested: str | None = None, vector: "np.ndarray | None" = None,
                    library: Library | None = None) -> Filing:
    library = library if library is not None else Library()
    for given, source in ((submitted, "submitted"), (default_subject, "default")):
        if clean_category(given):
            return Filing(library.spelling(clean_category(given)), source)
    if vector is None:
        return Filing(GENERAL, "general")
    suggested = clean_category(suggested)
    named_category, named_subject = _suggested_subject(suggested, library) if suggested \
        else (None, None)

    user_scores = library.category_scores(vector)
    if named_category in user_scores:
        user_scores[named_category] += SUGGESTION_BONUS
    if user_scores:
        best = max(user_scores, key=user_scores.__getitem__)
        if user_scores[best] >= USER_CATEGORY_THRESHOLD:
            return Filing(best, "user", round(user_scores[best], 4))

    scores = taxonomy_scores(vector)
    if named_subject is not None:
        scores[named_subject] += SUGGESTION_BONUS
    best_index = max(range(len(scores)), key=scores.__getitem__)
    if scores[best_index] >= TAXONOMY_THRESHOLD:
        return Filing(library.spelling(TAXONOMY[best_index][0]), "taxonomy",
                      round(scores[best_index], 4))
    return Filing(library.spelling(GENERAL), "general")


# --- tags ---------------------------------------------------------------------------

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


# --- links in the text -----------------------------------------------------------------

# Spans never linked inside: inline code, wiki links, Markdown links and images,
# callout markers, HTML tags and bare URLs.
_PROTECTED = re.compile(r"`[^`\n]*`|\[\[[^\]\n]*\]\]|!?\[[^\]\n]*\]\([^)\n]*\)|\[![^\]\n]*\]"
                        r"|<[^>\n]+>|https?://\S+")
_WORD = re.compile(r"\w+")


def link_mentions(markdown: str, titles: Sequence[str], *, own_title: str = "",
                  limit: int = MAX_MENTION_LINKS) -> tuple[str, list[str]]:
    """Link the first mention of each title (whole words, any case) in the note's text:
    never in the front matter, headings, code, or existing links; at most `limit`.
    Longer titles win where titles overlap. Returns the text and the titles linked."""
    buckets: dict[str, list[str]] = {}
    own = own_title.casefold()
    for title in sorted(set(titles), key=len, reverse=True):
        words = _WORD.findall(title)
        if len(title) < MIN_LINKED_TITLE or not words or title.casefold() == own \
                or not title[0].isalnum() or title.isdigit():
            continue
        buckets.setdefault(words[0].lower(), []).append(title)
    if not buckets or limit <= 0:
        return markdown, []
    linked: list[str] = []
    done: set[str] = set()
    lines = markdown.split("\n")
    start = 0
    if lines and lines[0].strip() == "---":
        start = next((i + 1 for i in range(1, len(lines)) if lines[i].strip() == "---"),
                     len(lines))
    fence = False
    for number in range(start, len(lines)):
        line = lines[number]
        stripped = line.lstrip()
        if stripped.startswith(("```", "~~~")):
            fence = not fence
            continue
        if fence or stripped.startswith("#") or line.startswith(("    ", "\t")):
            continue
        lines[number] = _link_line(line, buckets, done, linked, limit)
        if len(linked) >= limit:
            break
    return "\n".join(lines), linked


def _link_line(line: str, buckets: dict[str, list[str]], done: set[str], linked: list[str],
               limit: int) -> str:
    out, position = [], 0
    for protected in [*_PROTECTED.finditer(line), None]:
        end = protected.start() if protected else len(line)
        out.append(_link_text(line[position:end], buckets, done, linked, limit))
        if protected:
            out.append(protected.group())
            position = protected.end()
    return "".join(out)


def _link_text(text: str, buckets: dict[str, list[str]], done: set[str], linked: list[str],
               limit: int) -> str:
    out, position = [], 0
    for word in _WORD.finditer(text):
        if word.start() < position or len(linked) >= limit:
            continue
        for title in buckets.get(word.group().lower(), ()):
            end = word.start() + len(title)
            if title.casefold() in done or text[word.start():end].lower() != title.lower() \
                    or (end < len(text) and (text[end].isalnum() or text[end] == "_")):
                continue
            out.append(text[position:word.start()])
            out.append(rendering.wikilink(title, text[word.start():end]))
            position = end
            done.add(title.casefold())
            linked.append(title)
            break
    out.append(text[position:])
    return "".join(out)
