"""Where a category is chosen: the subject a note is filed under, decided with the
embedding model (docs/ARCHITECTURE.md, "The note").

Category, in this order:
1. the subject given at submit, then the user's default subject (spelled as the
   user's existing category when one matches it case-insensitively);
2. the closest of the user's own categories: cosine between the note and the
   centroid of the user's notes in that category, at least USER_CATEGORY_THRESHOLD;
3. the closest subject of the built-in TAXONOMY, at least TAXONOMY_THRESHOLD. A
   subject scores the mean of the note's similarity to its description and the
   mean of its two closest topic phrases (measured on scripts/eval_notes.py);
4. General.
When Claude writes the draft, its subject counts: the schema makes it one of the
taxonomy's names, and that subject is chosen (source "model") unless one of the
user's own categories matches (step 2). A suggestion in other words only informs the
choice: the candidate it names gets SUGGESTION_BONUS, and the thresholds decide. The
offline writer suggests nothing, so the embedding decides.

Thresholds are cosines of the shipped model (all-MiniLM-L6-v2). The user-category
one was calibrated on the evaluation notes (unrelated notes' centroids stay under
0.37, 99th percentile); the taxonomy ones on the team's filing set and off-topic
texts (bench/corpus: filing.json, offtopic.json; `make bench` reports both): a subject
at TAXONOMY_THRESHOLD, or at TAXONOMY_PEAKED_THRESHOLD when it leads the runner-up by
TAXONOMY_PEAKED_MARGIN.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from chalicelib.knowledge import embeddings, taxonomy
from chalicelib.knowledge.library import GENERAL, Library

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

log = logging.getLogger(__name__)

MAX_CATEGORY_LENGTH = 100
USER_CATEGORY_THRESHOLD = 0.40
TAXONOMY_THRESHOLD = 0.24
# A lower score still files when it stands out from the runner-up (a peaked profile);
# off-topic videos score flat (calibrated on bench/corpus, issue 12).
TAXONOMY_PEAKED_THRESHOLD = 0.20
TAXONOMY_PEAKED_MARGIN = 0.045
SUGGESTION_BONUS = 0.05
SUGGESTION_MATCH = 0.5  # a suggestion names a subject when this close to its name
TAXONOMY_FILE = "taxonomy.safetensors"

TAXONOMY = taxonomy.TAXONOMY


_taxonomy: "np.ndarray | None" = None


def _taxonomy_vectors() -> "np.ndarray":
    """The vectors of taxonomy.texts(), once per container. `make model` ships them
    (chalicelib/knowledge/model/taxonomy.safetensors) with the taxonomy's fingerprint; an
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


@dataclass(frozen=True)
class Filing:
    category: str
    source: str  # submitted | default | user | model | taxonomy | general
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
    names = [name.casefold() for name, _ in TAXONOMY]
    if suggested.casefold() in names:
        # Claude read the whole transcript and chose from the taxonomy: that counts.
        index = names.index(suggested.casefold())
        return Filing(library.spelling(TAXONOMY[index][0]), "model", round(scores[index], 4))
    if named_subject is not None:
        scores[named_subject] += SUGGESTION_BONUS
    ranked = sorted(range(len(scores)), key=scores.__getitem__, reverse=True)
    best_index = ranked[0]
    margin = scores[best_index] - scores[ranked[1]] if len(ranked) > 1 else 1.0
    if scores[best_index] >= TAXONOMY_THRESHOLD or (
            scores[best_index] >= TAXONOMY_PEAKED_THRESHOLD
            and margin >= TAXONOMY_PEAKED_MARGIN):
        return Filing(library.spelling(TAXONOMY[best_index][0]), "taxonomy",
                      round(scores[best_index], 4))
    return Filing(library.spelling(GENERAL), "general")
