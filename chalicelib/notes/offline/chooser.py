"""The offline writer's chooser: the lecture as read for choosing, and MMR over it.

`read` embeds the sentences with the shipped MiniLM model
(chalicelib.knowledge.embeddings), finds the key phrases and the defined terms, and
sets the note's word budget: a detailed note stays well under half its transcript.
`Chooser` ranks sentences by MMR (relevance to the lecture's centroid plus its key
phrases and definitions, minus similarity to what is already chosen), spreads what it
picks over the lecture's time, and never uses a sentence twice.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from chalicelib.notes.offline.sentence_split import (
    MAX_WORDS,
    MIN_WORDS,
    Sentence,
    sentences,
)
from chalicelib.notes.offline.terms import definition_term, key_phrases
from chalicelib.notes.offline.words import (
    CONCLUSION,
    GENERIC,
    POINTS_BACK,
    stopwords,
    word_count,
)

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

    from chalicelib.notes.drafts import Options
    from chalicelib.youtube.transcript_model import Transcript

DETAILED_SHARE, CONCISE_SHARE = 0.5, 0.22
LENGTH_LIMIT = 0.47  # of the transcript's words: a note, not a copy (issue 12)
MAX_NOTE_WORDS = {"detailed": 2600, "concise": 1200}
# A short lecture dense with facts gets a note in proportion to what it says, not to its
# minutes (issue 21): at least this many words for its items, and for the whole note.
MIN_BUDGET_WORDS = {"detailed": 240, "concise": 110}
MIN_NOTE_WORDS = {"detailed": 380, "concise": 180}


@dataclass
class Reading:
    """What the writer knows of a lecture before it chooses anything."""

    transcript: Transcript
    language: str  # the base language code ("de" of "de-AT")
    items: list[Sentence]
    phrases: list[str]  # key phrases, best first
    defined: dict[int, str]  # sentence index -> the term it defines
    chooser: Chooser
    detailed: bool
    minutes: float
    budget: int  # words the chosen items may spend before the sections
    length_limit: int  # words the whole note may have


def read(transcript: Transcript, options: Options) -> Reading:
    """The lecture's sentences, their vectors, key phrases and definitions, and the
    note's word budget."""
    from chalicelib.knowledge import embeddings

    language = transcript.language or "en"
    stop = stopwords(language)
    items = sentences(transcript)
    detailed = options.note_style != "concise"
    if not items:
        raise ValueError("the transcript has no sentences")
    vectors = embeddings.embed([s.text for s in items])
    phrases = key_phrases(items, stop | GENERIC, english=language.split("-")[0] == "en")
    defined: dict[int, str] = {}
    for s in items:
        term = definition_term(s, language, stop)
        if term:
            defined[s.index] = term
    style = "detailed" if detailed else "concise"
    transcript_words = sum(len(s.text.split()) for s in transcript.segments)
    budget = min(MAX_NOTE_WORDS[style], max(
        MIN_BUDGET_WORDS[style],
        int(transcript_words * (DETAILED_SHARE if detailed else CONCISE_SHARE))))
    return Reading(
        transcript=transcript, language=language.split("-")[0].lower(), items=items,
        phrases=phrases, defined=defined, chooser=Chooser(items, vectors, phrases, defined),
        detailed=detailed,
        minutes=transcript.duration_seconds / 60, budget=budget,
        length_limit=max(MIN_NOTE_WORDS[style], int(word_count(transcript.text)
                                                   * (LENGTH_LIMIT if detailed
                                                      else CONCISE_SHARE))))


class Chooser:
    """MMR over sentence embeddings: relevance (centrality, key phrases, definitions)
    minus similarity to what is already chosen; each sentence is used once."""

    LAMBDA = 0.72

    def __init__(self, items: Sequence[Sentence], vectors: np.ndarray,
                 phrases: Sequence[str], defined: dict[int, str]) -> None:
        import numpy as np

        self.items = items
        self.vectors = vectors
        usable = [s.index for s in items if not s.noise and s.size >= MIN_WORDS]
        centroid = vectors[usable].mean(axis=0) if usable else np.zeros(vectors.shape[1])
        centroid /= float(np.linalg.norm(centroid)) or 1.0
        central = vectors @ centroid
        top = set(phrases[:15])
        self.phrases = list(phrases[:40])
        self.covered: set[str] = set()
        self.holds = [{p for p in self.phrases if f" {p} " in f" {' '.join(s.words)} "}
                      for s in items]
        self.relevance = []
        for s in items:
            text = " ".join(s.words)
            hits = sum(1 for p in top if f" {p} " in f" {text} ")
            score = float(central[s.index]) + 0.06 * min(hits, 3) + \
                (0.12 if s.index in defined else 0.0) + \
                (0.04 if re.search(r"\d|equals|minus|plus|times|formula", text) else 0.0)
            if CONCLUSION.search(s.quote) and s.size <= 20:
                score += 0.05  # "So the determinant of a shear is one.": a stated result
            if POINTS_BACK.match(s.text) and s.index not in defined:
                score -= 0.25  # "That formula lets us ...": its subject is elsewhere
            if s.noise or s.question or s.size < MIN_WORDS:
                score -= 10.0
            if s.size > MAX_WORDS:
                score -= 0.3
            elif s.size > 28:
                score -= 0.004 * (s.size - 28)  # information per word: prefer the concise
            self.relevance.append(score)
        self.used: set[int] = set()
        self.chosen_vectors: list[int] = []

    def pick(self, candidates: Sequence[Sentence], count: int, spread: bool = True
             ) -> list[Sentence]:
        """`count` sentences from the candidates, one per equal stretch of them when
        spread, in time order."""
        pool = [s for s in candidates if s.index not in self.used
                and self.relevance[s.index] > -5]
        if not pool or count <= 0:
            return []
        bins = [pool[i * len(pool) // count:(i + 1) * len(pool) // count]
                for i in range(count)] if spread and len(pool) >= count else [pool]
        out: list[Sentence] = []
        for part in bins:
            want = 1 if len(bins) > 1 else count
            for _ in range(want):
                best = self._best(part)
                if best is None:
                    break
                out.append(best)
        return sorted(out, key=lambda s: s.index)

    def _best(self, part: Sequence[Sentence]) -> Sentence | None:
        import numpy as np

        options = [s for s in part if s.index not in self.used]
        if not options:
            return None
        ids = [s.index for s in options]
        # Coverage: a sentence with key phrases nothing chosen has said yet gains.
        relevance = np.array([self.relevance[i] + 0.05 * min(3, len(self.holds[i]
                                                                - self.covered))
                              for i in ids])
        if self.chosen_vectors:
            similarity = (self.vectors[ids] @ self.vectors[self.chosen_vectors].T).max(axis=1)
        else:
            similarity = np.zeros(len(ids))
        score = self.LAMBDA * relevance - (1 - self.LAMBDA) * similarity
        best = options[int(np.argmax(score))]
        self.take(best)
        return best

    def take(self, sentence: Sentence) -> None:
        self.used.add(sentence.index)
        self.covered |= self.holds[sentence.index]
        self.chosen_vectors.append(sentence.index)

    def release(self, sentence: Sentence) -> None:
        """A picked sentence that found no use: free for the sections again."""
        if sentence.index in self.used:
            self.used.discard(sentence.index)
            self.chosen_vectors.remove(sentence.index)
            self.covered = set().union(*(self.holds[i] for i in self.used))
