"""A query's misspelled words, read as the student's own lectures spell them.

"entrophy", "photosynthsis", "relaibilism": no entry holds the word, so the lexical half
of search finds nothing, and the model reads a word it does not know. A query word is
respelled only when all of these hold:

- the student's index does not hold it, and the model's vocabulary (bert-base-uncased,
  30,522 pieces, whole English words among them) does not know it as a word: "gases" is
  never made "games", nor "los" anything;
- it has at least MIN_LENGTH letters and no digit;
- a word of the index is within MAX_EDITS of it (edits: a letter added, dropped,
  changed, or two neighbours swapped), with the same first letter (a typo rarely falls
  there; it keeps the look-up to one letter's words). The closest wins, then the one
  the most entries hold.

Nothing is looked for beyond the student's own index, so a respelling can only point at
a word one of their lectures says; in a filtered search, one of the lectures searched
(a word only other lectures say would find nothing there).
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from chalicelib.search import index as search_index
from chalicelib.search import lexical

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

MIN_LENGTH = 5
MAX_LENGTH = 30
MAX_RESPELLED = 5
SPELLING_SAMPLE = 8
# A word as the index's splitter reads it (chalicelib.notes.fact_words: letters and
# digits, not "_"), apostrophes inside it kept.
_WORD_RE = re.compile(r"[^\W_]+(?:['’`´][^\W_]+)*")
_POSSESSIVE_RE = re.compile(r"['’`´]s$", re.I)


def max_edits(word: str) -> int:
    """1 edit up to 7 letters, 2 beyond: "numbr" -> "number" but never "heat" -> "heap"."""
    return 1 if len(word) <= 7 else 2


def distance(a: str, b: str, bound: int) -> int:
    """Edits from a to b (optimal string alignment: insert, delete, substitute, swap two
    neighbours), or bound + 1 as soon as it is sure to exceed bound."""
    if abs(len(a) - len(b)) > bound:
        return bound + 1
    before: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], before[j - 2] + 1)
        if min(current) > bound:
            return bound + 1
        before, previous = previous, current
    return previous[-1]


def spelled_in_spaces(term: str) -> bool:
    """Latin, Greek or Cyrillic letters only: scripts written with spaces, where a word is
    a word. In Chinese or Japanese one "word" is a whole phrase, and one edit can turn
    "the second law" into "the first"."""
    return term.isalpha() and all(ord(char) < 0x530 for char in term)


def corrections(index: search_index.UserIndex, terms: Iterable[str],
                allowed: np.ndarray | None = None) -> dict[str, str]:
    """Each query term to respell -> the index's word it is read as (at most
    MAX_RESPELLED terms a query: each look-up reads every index word of one letter),
    counting only the entries a filtered search admits (`allowed`, by position)."""
    from chalicelib.knowledge import embeddings

    known_words = embeddings.model().tokenizer.ids
    unknown = [term for term in dict.fromkeys(terms)
               if MIN_LENGTH <= len(term) <= MAX_LENGTH and spelled_in_spaces(term)
               and term not in index.vocabulary
               and not any(form in known_words for form in lexical.said_forms(term))]
    found: dict[str, str] = {}
    for term in unknown[:MAX_RESPELLED]:
        bound = max_edits(term)
        mask = lexical.letters(term)
        best: tuple[int, int, str] | None = None
        for candidate, term_id, candidate_mask in index.words_by_initial.get(term[:1], ()):
            if abs(len(candidate) - len(term)) > bound \
                    or (mask ^ candidate_mask).bit_count() > 2 * bound:
                continue
            edits = distance(term, candidate, bound)
            if edits > bound:
                continue
            held = index.postings.frequency(term_id) if allowed is None \
                else int(allowed[index.postings.holding(term_id)].sum())
            if held and (best is None or (edits, -held, candidate) < best):
                best = (edits, -held, candidate)
        if best is not None:
            found[term] = best[2]
    return found


def said_as(index: search_index.UserIndex, term: str,
            allowed: np.ndarray | None = None) -> str:
    """How the lectures (a filtered search's: `allowed`) write an index word: its most
    common spelling in the first SPELLING_SAMPLE entries holding it ("species", not the
    index's "specy"), in lower case where the lectures ever write it so ("efficiency",
    though a sentence opens on "Efficiency"; "Carnot" stays a name)."""
    term_id = index.vocabulary.get(term)
    if term_id is None:
        return term
    spellings: dict[str, dict[str, int]] = {}
    holding = index.postings.holding(term_id)
    if allowed is not None:
        holding = holding[allowed[holding]]
    for position in holding[:SPELLING_SAMPLE]:
        _, entry = index.entry(int(position))
        for match in _WORD_RE.finditer(search_index.entry_text(entry)):
            # "Carnot's limit" writes the word "Carnot": the bare form first.
            for word in dict.fromkeys((_POSSESSIVE_RE.sub("", match.group()), match.group())):
                if lexical.terms(word) == [term]:
                    cased = spellings.setdefault(word.casefold(), {})
                    cased[word] = cased.get(word, 0) + 1
                    break
    if not spellings:
        return term
    folded = max(spellings, key=lambda key: (sum(spellings[key].values()), key))
    cased = spellings[folded]
    return folded if folded in cased else max(cased, key=lambda word: (cased[word], word))


@dataclass(frozen=True)
class Respelling:
    query: str  # the query with each respelled word as the lectures write it
    terms: list[str]  # its content terms, respelled
    shown: dict[str, str]  # each word as typed -> as the lectures write it


def respell(index: search_index.UserIndex, query: str, terms: list[str],
            allowed: np.ndarray | None = None) -> Respelling:
    """The query read as the student's lectures spell it (unchanged when nothing is
    misspelled); in a filtered search, as the lectures searched spell it."""
    fixes = corrections(index, terms, allowed)
    if not fixes:
        return Respelling(query, terms, {})
    written = {term: said_as(index, word, allowed) for term, word in fixes.items()}
    shown: dict[str, str] = {}

    def one(match: re.Match[str]) -> str:
        said = lexical.terms(match.group())  # the word as the index reads it
        if len(said) != 1 or said[0] not in written:
            return match.group()
        shown[match.group()] = written[said[0]]
        return written[said[0]]

    respelled_query = _WORD_RE.sub(one, query)
    # A fix the text's own words did not show (written apart from how the index reads
    # it) is still said: nothing is searched for that the student is not told of.
    said = {lexical.terms(word)[0] for word in shown if len(lexical.terms(word)) == 1}
    shown.update({term: written[term] for term in fixes if term not in said})
    return Respelling(respelled_query, [fixes.get(term, term) for term in terms], shown)
