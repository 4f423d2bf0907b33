"""The offline generator: study notes from the transcript alone, deterministically.

Used when no model is configured (the local default). It writes the same draft
structure as Claude: the summary and key points are the transcript's most
central passages (closest to the whole lecture's TF-IDF centroid), sections
follow the chapters or fixed time windows, every bullet keeps its timestamp,
and review questions take their answers from the transcript's own sentences.
Auto-generated captions have no punctuation, so passages are then cut at pauses
and at a word budget instead of at sentence ends.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

if TYPE_CHECKING:
    from chalicelib.notes.drafts import Options
    from chalicelib.youtube.transcript_model import Transcript

STOPWORDS = frozenset("""
a about above after again against all also am an and any are as at be because been before
being below between both but by can could did do does doing down during each either else
even ever every few for from further get gets getting go goes going gonna got had has have
having he her here hers him his how however i if in into is it its itself just kind know let
like lot lots made make makes making many may me might mine more most much must my no nor not
now of off okay ok on once one only or other our ours out over own put really right said same
say says see seen she should so some something such sort than that thats the their theirs them
then there these they thing things think this those though through thus to too um uh under
until up upon us use used using very want was way we well went were what whatever when where
whether which while who whom whose why will with within without would yeah yes yet you your
yours youre dont its im ive weve theyre thats lets cant wont isnt arent didnt doesnt going
actually basically first second also next today now here just little bit
never always often sometimes usually quite rather almost already still again back away
time times way ways thing part parts kind sort lot number numbers case cases example
examples question questions point points idea ideas people person place year years week
weeks day days another whole enough less least last long new old good bad big small great
high low large different same own able called call calls look looks looking show shows
take takes taking give gives given find finds found mean means meant tell told ask asked
around across along behind beyond instead because since therefore hence remember review
""".split())
WORD_RE = re.compile(r"[^\W\d_][\w'’-]*", re.UNICODE)
SENTENCE_END_RE = re.compile(r"(?<=[.!?])\s+")
MAX_PASSAGE_WORDS = 24
PAUSE_SECONDS = 1.5


@dataclass
class Passage:
    index: int
    text: str
    start: float
    terms: Counter

    @property
    def words(self) -> int:
        return len(self.text.split())


def _terms(text: str) -> Counter:
    words = [w.lower().strip("'’-") for w in WORD_RE.findall(text)]
    return Counter(w for w in words if len(w) > 2 and w not in STOPWORDS)


def _is_punctuated(transcript: "Transcript") -> bool:
    ends = sum(1 for s in transcript.segments if s.text.rstrip().endswith((".", "?", "!")))
    return ends >= max(3, len(transcript.segments) // 10)


def _tidy(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"\b(?:um+|uh+|you know),?\s*", "", text, flags=re.I).strip()
    if text and text[0].islower():
        text = text[0].upper() + text[1:]
    if text and text[-1] not in ".?!":
        text += "."
    return text


def passages(transcript: "Transcript") -> list[Passage]:
    """The transcript cut into sentence-like passages, each with its start time."""
    out: list[Passage] = []
    buffer: list[str] = []
    start = 0.0
    last_end = 0.0
    punctuated = _is_punctuated(transcript)

    def flush() -> None:
        text = _tidy(" ".join(buffer))
        if len(text.split()) >= 4:
            out.append(Passage(len(out), text, start, _terms(text)))
        buffer.clear()

    for segment in transcript.segments:
        pieces = SENTENCE_END_RE.split(segment.text.strip()) if punctuated else [segment.text]
        for number, piece in enumerate(pieces):
            if buffer and not punctuated and (
                    (number == 0 and segment.start - last_end > PAUSE_SECONDS)
                    or sum(len(b.split()) for b in buffer) + len(piece.split())
                    > MAX_PASSAGE_WORDS):
                flush()
            if not buffer:
                start = segment.start
            buffer.append(piece)
            ended = punctuated and piece.rstrip().endswith((".", "?", "!"))
            if ended or sum(len(b.split()) for b in buffer) >= 2 * MAX_PASSAGE_WORDS:
                flush()
        last_end = segment.start + segment.duration
    if buffer:
        flush()
    return out


def _cosine(a: dict, b: dict) -> float:
    if len(a) > len(b):
        a, b = b, a
    dot = sum(value * b.get(term, 0.0) for term, value in a.items())
    norm = math.sqrt(sum(v * v for v in a.values())) * math.sqrt(sum(v * v for v in b.values()))
    return dot / norm if norm else 0.0


class Scorer:
    """TF-IDF over passages; centrality is similarity to the lecture's centroid."""

    def __init__(self, items: Sequence[Passage]) -> None:
        self.items = items
        document_frequency: Counter = Counter()
        for passage in items:
            document_frequency.update(passage.terms.keys())
        count = max(len(items), 1)
        self.idf = {t: math.log((1 + count) / (1 + df)) + 1 for t, df in
                    document_frequency.items()}
        self.vectors = [{t: (1 + math.log(c)) * self.idf[t] for t, c in p.terms.items()}
                        for p in items]
        centroid: Counter = Counter()
        for vector in self.vectors:
            centroid.update(vector)
        self.centroid = dict(centroid)
        self.centrality = [_cosine(v, self.centroid) * min(1.0, p.words / 12)
                           for v, p in zip(self.vectors, items)]

    def top(self, candidates: Sequence[Passage], count: int,
            exclude: set[int] = frozenset()) -> list[Passage]:
        """The most central passages, not near-duplicates of each other, in time order."""
        ranked = sorted((p for p in candidates if p.index not in exclude),
                        key=lambda p: (-self.centrality[p.index], p.index))
        chosen: list[Passage] = []
        for passage in ranked:
            if all(_cosine(self.vectors[passage.index], self.vectors[c.index]) < 0.6
                   for c in chosen):
                chosen.append(passage)
            if len(chosen) == count:
                break
        return sorted(chosen, key=lambda p: p.index)

    def keywords(self, candidates: Sequence[Passage], count: int) -> list[str]:
        weights: Counter = Counter()
        for passage in candidates:
            for term, value in self.vectors[passage.index].items():
                weights[term] += value
        chosen: list[str] = []
        for term, _ in sorted(weights.items(), key=lambda kv: (-kv[1], kv[0])):
            singular = term[:-1] if term.endswith("s") else term
            if len(term) > 3 and not any(c in (singular, term + "s") for c in chosen):
                chosen.append(term)
            if len(chosen) == count:
                break
        return chosen


def _windows(transcript: "Transcript", items: Sequence[Passage]) -> list[tuple[str, float,
                                                                             list[Passage]]]:
    """(title or '', start, passages) per chapter, else per fixed time window."""
    if transcript.chapters:
        bounds = [(c.title, c.start) for c in transcript.chapters]
    else:
        duration = max(transcript.duration_seconds, 1)
        size = 300 if duration <= 1800 else 600 if duration <= 3 * 3600 else 900
        bounds = [("", float(start)) for start in range(0, int(duration) + 1, size)]
    windows = []
    for number, (title, start) in enumerate(bounds):
        end = bounds[number + 1][1] if number + 1 < len(bounds) else math.inf
        inside = [p for p in items if start <= p.start < end]
        if inside:
            windows.append((title, start, inside))
    return windows


def _definition_question(term: str) -> str:
    return f"What does the lecture say about {term}?"


def draft(transcript: "Transcript", options: "Options") -> dict:
    items = passages(transcript)
    scorer = Scorer(items)
    detailed = options.note_style == "detailed"
    summary = scorer.top(items, 5 if detailed else 3)
    key_points = scorer.top(items, 8 if detailed else 5, exclude={p.index for p in summary})
    sections = []
    for title, start, inside in _windows(transcript, items):
        bullets = scorer.top(inside, 5 if detailed else 3)
        heading = title or " ".join(w.capitalize() for w in scorer.keywords(inside, 3)) \
            or f"From {int(start) // 60} minutes"
        sections.append({"title": heading, "timestamp": start,
                         "bullets": [{"text": p.text, "timestamp": p.start} for p in bullets]})
    concepts = []
    used: set[str] = set()
    for term in scorer.keywords(items, 10 if detailed else 6):
        holders = [p for p in items if term in p.terms and p.text not in used]
        if not holders:
            continue
        best = max(holders, key=lambda p: (scorer.centrality[p.index], -p.index))
        used.add(best.text)
        concepts.append({"term": term.capitalize(), "definition": best.text,
                         "timestamp": best.start})
    questions = [{"question": _definition_question(c["term"].lower()), "answer": c["definition"],
                  "timestamp": c["timestamp"]} for c in concepts[:6]]
    tags = scorer.keywords(items, 8)[:8]
    title = transcript.title or " ".join(w.capitalize() for w in tags[:4]) or "Lecture notes"
    return {
        "title": title,
        "summary": " ".join(p.text for p in summary),
        "core_concepts": concepts,
        "key_points": [{"text": p.text, "timestamp": p.start} for p in key_points],
        "sections": sections,
        "review_questions": questions if options.include_questions else [],
        "suggested_subject": "",
        "tags": tags[:max(3, min(8, len(tags)))],
    }
