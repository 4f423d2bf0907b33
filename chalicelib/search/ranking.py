"""GET /search (docs/DESIGN.md section 13): meaning and words together.

Each entry of the student's index gets two scores: the cosine of its MiniLM vector with
the query's, and BM25 over its words (chalicelib.search.lexical). The two rankings are
fused by reciprocal rank (1/(RRF_K + rank) summed over both lists, Cormack et al. 2009),
so an exact term the model misses still ranks, and neither score's scale has to be
tuned against the other. Nothing close in meaning and no shared word: no hit. A query
is looked up by its content words (content_terms: not its language's function words).
A passage's hit starts at its sentence sharing the most of the query's words (its first
sentence when none does), so the link opens the video at the moment, not up to 50 s
before it.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

from chalicelib.knowledge import embeddings
from chalicelib.search import index as search_index
from chalicelib.search import lexical, spelling
from chalicelib.search.records import Hit

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

RRF_K = 60
CANDIDATES = 100  # from each ranking, before fusing
# An entry ranks by meaning only this close to the query (MiniLM gives unrelated text
# 0.1 to 0.22: "zyxwvut" or a football question against lectures); by words always.
MIN_COSINE = 0.25


# How a question is asked, not what it is about: not what it is looked up by ("how did
# the plague arrive" is about the plague, not about "did"). The other languages'
# interrogatives the offline writer's function words lack.
QUESTION_WORDS: dict[str, frozenset[str]] = {
    "en": frozenset("did does do how why where can could should would whom whose which"
                    .split()),
    "de": frozenset("welche welcher welches welchen welchem woher wohin wozu weshalb wieso"
                    .split()),
    "es": frozenset("cual cuales quien quienes cuanto cuanta cuantos cuantas donde como"
                    .split()),
    "fr": frozenset("quel quelle quels quelles pourquoi comment ou combien qui quoi".split()),
    "pt": frozenset("qual quais quem quanto quanta quantos quantas onde como".split()),
}


# How a student addresses a question about the lectures, not what it is about: "What
# does the lecture say about entropy?", "Tell me about the Carnot limit". Rare in the
# index, these words weighed most in the coverage test and refused covered questions.
# Who is asked ("me", "you", "please") is never what is asked about; the lecture and
# the verbs of asking only when the question is addressed ("What does coherentism say
# ..." is answered where "coherentism says ...", "video compression" is about video).
ADDRESSED: dict[str, frozenset[str]] = {
    "en": frozenset("please me you".split()),
    "de": frozenset("bitte mir du".split()),
    "es": frozenset("favor me usted".split()),
}
SPEAKERS: dict[str, frozenset[str]] = {
    "en": frozenset("lecture lectures lecturer video videos professor teacher "
                    "instructor".split()),
    "de": frozenset("vorlesung vorlesungen video videos professor professorin".split()),
    "es": frozenset("clase clases leccion video videos profesor profesora".split()),
}
ASKING_VERBS: dict[str, frozenset[str]] = {
    "en": frozenset("say says said tell explain explains explained mention mentions "
                    "mentioned talk talks talked".split()),
    "de": frozenset("sagt sagen gesagt erklart erklaren erklare erzahl erzahle".split()),
    "es": frozenset("dice dicen dijo explica explicar explicame explico cuenta".split()),
}
# Markup a question may hold ("<b>", "</question>", "<br/>"): a tag without attributes
# or with name="value" ones, so "x < y and y > z" is left as said.
_MARKUP_RE = re.compile(r'</?[A-Za-z][A-Za-z0-9]{0,15}(?:\s+[\w-]{1,30}="[^"<>]{0,200}")*\s*/?>')


def asked(query: str) -> str:
    """The query as what it asks: markup out (it is not what a question is about), in
    Unicode's compatibility form (as the index reads words: a decomposed accent or a
    ligature is the same word)."""
    return " ".join(_MARKUP_RE.sub(" ", unicodedata.normalize("NFKC", query)).split())


@cache
def _said_function_words() -> dict[str, frozenset[str]]:
    """Each lecture language's function words (the offline writer's) and
    interrogatives, folded."""
    from chalicelib.notes.fact_words import fold_word
    from chalicelib.notes.offline.words import STOPWORDS

    return {language: frozenset(fold_word(word) for word in listed
                                | QUESTION_WORDS.get(language, frozenset()))
            for language, listed in STOPWORDS.items()}


@cache
def _function_words() -> dict[str, frozenset[str]]:
    """What a question in each language is not looked up by, as the lexical index keeps
    words: its function words and interrogatives; in English only the interrogatives
    (its function words hold words a question is about: "before", "during")."""
    return {language: frozenset(term for word in (listed if language != "en"
                                                  else QUESTION_WORDS["en"])
                                | ADDRESSED.get(language, frozenset())
                                for term in lexical.terms(word))
            for language, listed in _said_function_words().items()}


@cache
def _framing() -> dict[str, tuple[frozenset[str], frozenset[str], frozenset[str]]]:
    """Per language, English's words included: (who a question is addressed to, the
    verbs of asking, the lecture and its speakers), as the lexical index keeps words."""
    def kept(language: str, listed: dict[str, frozenset[str]]) -> frozenset[str]:
        words = listed[language] | listed["en"]
        return frozenset(term for word in words for term in lexical.terms(word))

    return {language: (kept(language, ADDRESSED), kept(language, ASKING_VERBS),
                       kept(language, SPEAKERS))
            for language in ADDRESSED}


def content_terms(query: str) -> list[str]:
    """The query's words that say what it is about: without the function words of its
    language (the language whose function words it holds most; English on a tie).
    "der", "ist", "que", "los" are no stopwords of the index, yet every German or
    Spanish passage holds them: counted, any German question would match a German
    lecture, and a passage's moment would be its sentence richest in "der"."""
    from chalicelib.notes.fact_words import fold_word, words

    said = [fold_word(word) for word in words(query)]
    counts = {language: sum(word in listed for word in said)
              for language, listed in _said_function_words().items()}
    language = max(counts, key=lambda name: (counts[name], name == "en"))
    dropped = _function_words()[language] | _function_words()["en"]
    addressed, verbs, speakers = _framing().get(language, _framing()["en"])
    found = lexical.terms(query)
    # "tell me", "can you explain", "what does the lecture say": addressed, so its verb
    # and its lecture are how it is asked, not what about.
    if addressed.intersection(found) or (verbs.intersection(found)
                                         and speakers.intersection(found)):
        dropped = dropped | verbs | speakers
    return [term for term in found if term not in dropped]


@dataclass(frozen=True)
class Filters:
    """What a search is limited to: a subject, one note, the notes of a course (read
    from the course when asked: a lecture may join a course after its note was saved)."""

    subject: str | None = None
    note_id: str | None = None
    note_ids: frozenset[str] | None = None

    def admits(self, note: dict[str, Any]) -> bool:
        return (self.subject is None or note.get("category") == self.subject) and \
            (self.note_id is None or note.get("note_id") == self.note_id) and \
            (self.note_ids is None or note.get("note_id") in self.note_ids)


@dataclass(frozen=True)
class Ranked:
    position: int  # in the student's index
    score: float  # fused
    cosine: float


@dataclass(frozen=True)
class Ranking:
    ranked: list[Ranked]
    best_cosine: float  # of any admitted entry: how close the index comes at all
    query_terms: list[str]
    # As looked up: markup dropped; with a misspelled word, the query as typed and as
    # respelled (its meaning is read both ways: a rare word the model does not know may
    # be no misspelling).
    readings: tuple[str, ...] = ()
    respelled: dict[str, str] = field(default_factory=dict)  # as typed -> as the lectures write it


def _top(scores: np.ndarray, count: int) -> list[int]:
    import numpy as np

    count = min(count, len(scores))
    if count <= 0:
        return []
    part = np.argpartition(-scores, count - 1)[:count]
    return [int(i) for i in part[np.argsort(-scores[part], kind="stable")]]


def rank(index: search_index.UserIndex, query: str, filters: Filters,
         limit: int) -> Ranking:
    """The student's entries for the query, best first (at most `limit`)."""
    import numpy as np

    query = asked(query)
    terms = content_terms(query)
    if not index.size:
        return Ranking([], 0.0, terms, (query,))
    admitted = np.array([filters.admits(block.note) for block in index.blocks], dtype=bool)
    allowed = admitted[index.block_of]
    if not allowed.any():
        return Ranking([], 0.0, terms, (query,))
    respelling = spelling.respell(index, query, terms, allowed)
    terms = respelling.terms
    readings = (query, respelling.query) if respelling.shown else (query,)
    cosines = (index.vectors @ embeddings.embed(list(readings)).T).max(axis=1)
    cosines[~allowed] = -1.0
    term_ids = [index.vocabulary[t] for t in terms if t in index.vocabulary]
    bm25 = index.postings.scores(term_ids, allowed)
    best = _top(cosines, CANDIDATES)
    semantic = [i for i in best if allowed[i] and cosines[i] >= MIN_COSINE]
    lexical_top = [i for i in _top(bm25, CANDIDATES) if bm25[i] > 0]
    fused: dict[int, float] = {}
    for ranking in (semantic, lexical_top):
        for rank_number, position in enumerate(ranking):
            fused[position] = fused.get(position, 0.0) + 1.0 / (RRF_K + rank_number + 1)
    order = sorted(fused, key=lambda p: (-fused[p], -float(cosines[p]), p))[:limit]
    return Ranking([Ranked(p, fused[p], float(cosines[p])) for p in order],
                   max(0.0, float(cosines[best[0]])) if best else 0.0, terms, readings,
                   respelling.shown)


def weights(index: search_index.UserIndex, query_terms: list[str]) -> dict[str, float]:
    """Each query word's weight: its rarity in the student's index (BM25's idf; a word
    the index never says weighs most): the rare words name what is asked about, the
    common ones only which lecture it is near."""
    import math

    total = max(1, index.size)
    found = {}
    for term in set(query_terms):
        term_id = index.vocabulary.get(term)
        frequency = index.postings.frequency(term_id) if term_id is not None else 0
        found[term] = math.log(1 + (total - frequency + 0.5) / (frequency + 0.5))
    return found


def share(weighed: dict[str, float], text: str) -> float:
    """How much of the query's weight a text holds: 1.0 when every word is there."""
    said = set(lexical.terms(text))
    total = sum(weighed.values())
    return sum(w for term, w in weighed.items() if term in said) / total if total else 0.0


def word_share(index: search_index.UserIndex, query_terms: list[str],
               texts: list[str]) -> float:
    """How much of the query's words one of the texts holds, weighed by rarity (the
    best text's share). One text, not all of them together: a question on something
    the lectures do not cover often shares each of its words with some passage
    ("Avogadro's law for gases": "Avogadro" in the mole lecture, "law" in the supply
    one), never all of them with one. The model's closeness alone cannot tell a
    question on a lecture's subject from one in the lecture's language (MiniLM scores
    any Spanish question near a Spanish lecture)."""
    weighed = weights(index, query_terms)
    return max((share(weighed, text) for text in texts), default=0.0)


def moment(entry: dict[str, Any], query_terms: list[str]) -> tuple[float, str]:
    """(start, quote) of an entry for a query: an item's own; for a passage, its
    sentence sharing the most query words (the first one when none does)."""
    if entry["kind"] != "passage":
        return float(entry["start"]), str(entry["quote"])
    wanted = set(query_terms)
    best, best_shared = entry["sentences"][0], 0
    for sentence in entry["sentences"]:
        shared = len(wanted.intersection(lexical.terms(sentence[1])))
        if shared > best_shared:
            best, best_shared = sentence, shared
    return float(best[0]), str(best[1])


def hit(index: search_index.UserIndex, ranked: Ranked, query_terms: list[str]) -> Hit:
    block, entry = index.entry(ranked.position)
    start, quote = moment(entry, query_terms)
    note = block.note
    return {"note_id": note["note_id"], "title": note["title"], "category": note["category"],
            "kind": entry["kind"], "text": search_index.entry_text(entry), "quote": quote,
            "start_seconds": start, "url": block.url(start),
            "score": round(ranked.score, 6)}


# A concept, its review question and the passage it was said in often open the same
# second: one hit each would show the student one moment several times. Ranked this
# many times over the limit, so the hits left after merging still fill it.
MOMENT_SPARE = 3


def search(user_id: str, query: str, filters: Filters, limit: int
           ) -> tuple[list[Hit], dict[str, str]]:
    """The student's best hits for the query (their own index only), one per moment:
    a note's second is shown once, by its best-ranked entry; and the query's words it
    read as their lectures spell them (chalicelib.search.spelling)."""
    index = search_index.load(user_id)
    ranking = rank(index, query, filters, limit * MOMENT_SPARE)
    hits: list[Hit] = []
    moments: set[tuple[str, int]] = set()
    for ranked in ranking.ranked:
        found = hit(index, ranked, ranking.query_terms)
        moment_key = (found["note_id"], int(found["start_seconds"]))
        if moment_key not in moments:
            moments.add(moment_key)
            hits.append(found)
            if len(hits) == limit:
                break
    return hits, ranking.respelled
