"""The lexical half of search: words as BM25 counts them, and BM25 (Robertson and
Sparck Jones; k1 1.2, b 0.75) over postings held as numpy arrays.

A few lines of our own rather than a library: rank_bm25 keeps every document as a
Python dict (hundreds of MB at a thousand lectures) and scores every document per
query; bm25s needs scipy (about 40 MB unpacked, most of the Lambda package's budget).
Postings sorted by term let a query touch only the entries that hold its words.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

from chalicelib.notes.fact_words import fold_word, words

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

K1 = 1.2
B = 0.75
# Words so common in lectures that their postings only cost memory (BM25 weighs them
# near zero anyway).
STOPWORDS = frozenset(
    "a an and are as at be but by for from has have i if in into is it its of on or so "
    "that the their then there these this to was we were what when which who will with "
    "you your okay um uh yeah".split())


def stem(word: str) -> str:
    """A light English plural fold ("entropies", "engines"), enough for study terms."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def letters(word: str) -> int:
    """Which letters a word holds, one bit each (folded into 64 bits). An edit changes at
    most two, so words whose masks differ in more than 2 x n bits are more than n edits
    apart: chalicelib.search.spelling passes over most words at the cost of an XOR."""
    mask = 0
    for char in word:
        mask |= 1 << (ord(char) & 63)
    return mask


def said_forms(term: str) -> tuple[str, ...]:
    """The words `stem` may have made the term from ("gase" from "gases")."""
    plurals = (term + "s", term[:-1] + "ies") if term.endswith("y") else (term + "s",)
    return (term, *plurals)


def terms(text: str) -> list[str]:
    """The words of a text as the lexical index keeps them: folded case and accents,
    no stopwords, light plural folding."""
    return [stem(fold_word(word)) for word in words(text) if word not in STOPWORDS]


def postings(texts: Sequence[str], vocabulary: dict[str, int]
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(term ids, entry positions, term counts, entry lengths) of the texts, with new
    words added to `vocabulary`."""
    import numpy as np

    term_ids: list[int] = []
    entries: list[int] = []
    counts: list[int] = []
    lengths: list[int] = []
    for position, text in enumerate(texts):
        found = terms(text)
        lengths.append(len(found))
        for term, count in Counter(found).items():
            term_ids.append(vocabulary.setdefault(term, len(vocabulary)))
            entries.append(position)
            counts.append(count)
    return (np.asarray(term_ids, dtype=np.int32), np.asarray(entries, dtype=np.int32),
            np.asarray(counts, dtype=np.float32), np.asarray(lengths, dtype=np.float32))


class Postings:
    """Every entry's terms, sorted by term, so a term's entries are one slice."""

    def __init__(self, term_ids: np.ndarray, entries: np.ndarray, counts: np.ndarray,
                 lengths: np.ndarray, vocabulary_size: int) -> None:
        import numpy as np

        order = np.argsort(term_ids, kind="stable")
        self.entries = entries[order]
        self.counts = counts[order]
        self.starts = np.zeros(vocabulary_size + 1, dtype=np.int64)
        np.cumsum(np.bincount(term_ids, minlength=vocabulary_size), out=self.starts[1:])
        self.lengths = lengths
        self.average_length = float(lengths.mean()) if len(lengths) else 0.0

    def frequency(self, term: int) -> int:
        """How many entries hold the term."""
        if term + 1 >= len(self.starts):
            return 0
        return int(self.starts[term + 1] - self.starts[term])

    def holding(self, term: int) -> np.ndarray:
        """The entries that hold the term."""
        if term + 1 >= len(self.starts):
            return self.entries[:0]
        return self.entries[int(self.starts[term]):int(self.starts[term + 1])]

    def scores(self, query_terms: Sequence[int], allowed: np.ndarray) -> np.ndarray:
        """BM25 of every entry for the query's known terms; entries not `allowed` 0."""
        import numpy as np

        total = len(self.lengths)
        scores = np.zeros(total, dtype=np.float32)
        if not total:
            return scores
        norm = K1 * (1 - B + B * self.lengths / max(self.average_length, 1e-9))
        for term in set(query_terms):
            if term + 1 >= len(self.starts):
                continue
            begin, end = int(self.starts[term]), int(self.starts[term + 1])
            frequency = end - begin
            if not frequency:
                continue
            idf = float(np.log(1 + (total - frequency + 0.5) / (frequency + 0.5)))
            hit = self.entries[begin:end]
            count = self.counts[begin:end]
            scores[hit] += idf * count * (K1 + 1) / (count + norm[hit])
        scores[~allowed] = 0.0
        return scores
