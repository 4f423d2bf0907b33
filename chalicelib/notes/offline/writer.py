"""The offline writer's draft: what of the lecture becomes each part of the note.

`draft` reads the lecture (chooser.read), then chooses in this order, each sentence
used once: concepts (defined terms, best definitions first), the summary and key
points (MMR, spread over the lecture's time), review questions (questions.py), and
the sections' bullets (one section per chapter, else per window of time, sharing what
is left of the word budget). The note is then trimmed to its length limit, and
validated like Claude's draft (chalicelib.notes.drafts).
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from chalicelib.notes.drafts import validate_draft
from chalicelib.notes.offline.chooser import Reading, read
from chalicelib.notes.offline.questions import choose_questions, wanted_questions
from chalicelib.notes.offline.sentence_split import MIN_WORDS, Sentence, shown_as_spoken
from chalicelib.notes.offline.words import (
    GENERIC,
    POINTS_BACK,
    fold,
    stopwords,
    word_count,
)

if TYPE_CHECKING:  # pragma: no cover
    from chalicelib.notes.drafts import Options
    from chalicelib.youtube.transcript_model import Transcript

Concepts = list[tuple[str, Sentence]]  # (term, the sentence that defines it)
SUMMARY_WORDS = (8, 35)
# "For review: the inventions ...", "Remember membrane structure ...": a list of topics to
# revise, not what the lecture says about them.
RECAP = re.compile(r"^(?:for review|review|remember|next (?:time|week|lecture)|"
                   r"in the next|zur wiederholung|merkt euch|para repasar|recuerden)\b", re.I)
SENTENCES_PER_KEY_POINT = 5


def draft(transcript: Transcript, options: Options) -> dict[str, Any]:
    """The offline draft, validated (chalicelib.notes.drafts) and ready for grounding."""
    reading = read(transcript, options)
    chooser, items, minutes = reading.chooser, reading.items, reading.minutes
    concepts, terms_seen = _concepts(reading)
    auto = shown_as_spoken(transcript)
    summary = chooser.pick([s for s in items if _sums_up(s, auto)] or items,
                           max(2, min(6, 2 + int(minutes // 12))))
    # As many key points as the lecture states things, not as it has minutes.
    stated = sum(1 for s in items if not s.noise and not s.question and s.size >= MIN_WORDS)
    key_points = chooser.pick(items, max(3, min(10 if reading.detailed else 6,
                                                round(stated / SENTENCES_PER_KEY_POINT))))
    wanted = wanted_questions(minutes) if options.include_questions else 0
    questions = choose_questions(reading, wanted, concepts, summary, key_points, terms_seen)
    spent = sum(s.size + len(term.split()) for term, s in concepts)
    spent += sum(s.size for s in summary) + sum(s.size for s in key_points)
    spent += sum(word_count(q["question"]) + word_count(q["answer"]) for q in questions)
    sections, chapter_starts = _sections(reading, spent)
    _trim(summary, concepts, key_points, sections, questions, reading.length_limit)
    validated = validate_draft(_raw_draft(reading, summary, concepts, key_points, sections,
                                          questions),
                               transcript.duration_seconds,
                               [segment.start for segment in transcript.segments])
    # A chapter starts where the video's chapter says (our own data, not a guess).
    for section in validated["sections"]:
        if section["title"] in chapter_starts:
            section["hint"] = float(chapter_starts[section["title"]])
    return validated


def _sums_up(sentence: Sentence, auto: bool) -> bool:
    """A sentence fit for the summary: written as one (not a line of code said aloud,
    "def __init__, self, name."), of a readable length, standing on its own."""
    first = sentence.text.lstrip("\"'“¿¡(")[:1]
    said = sentence.quote.lstrip("\"'“¿¡(")[:1]  # human captions: as the captions wrote it
    return (first.isupper() or first.isdigit()) and not (said.islower() and not auto) \
        and SUMMARY_WORDS[0] <= sentence.size \
        <= SUMMARY_WORDS[1] and not POINTS_BACK.match(sentence.text) \
        and not sentence.text.rstrip().endswith("?") and not RECAP.match(sentence.text)


def _concepts(reading: Reading) -> tuple[Concepts, set[str]]:
    """Defined terms, best definitions first, one per term, within about a third of the
    budget; in lecture order, with the folded terms taken."""
    chooser, items = reading.chooser, reading.items
    most = min(20, 6 + int(reading.minutes // 4)) if reading.detailed else 6
    concepts: Concepts = []
    terms_seen: set[str] = set()
    spent = 0
    for index in sorted(reading.defined, key=lambda i: -chooser.relevance[i]):
        term, sentence = reading.defined[index], items[index]
        key = " ".join(fold(term))
        if key in terms_seen or sentence.index in chooser.used:
            continue
        if len(concepts) >= most or spent + sentence.size > reading.budget * 0.35:
            break
        terms_seen.add(key)
        chooser.take(sentence)
        concepts.append((term, sentence))
        spent += sentence.size + len(term.split())
    concepts.sort(key=lambda pair: pair[1].index)
    return concepts, terms_seen


def _sections(reading: Reading, spent: int) -> tuple[list[dict[str, Any]], dict[str, float]]:
    """One section per chapter (else per window of time), its bullets the window's best
    sentences, in proportion to its share of the lecture; and each chapter's start."""
    chooser = reading.chooser
    windows = _windows(reading.transcript, reading.items)
    remaining = max(len(windows), (reading.budget - spent) // 18)
    total_sentences = sum(len(inside) for *_, inside in windows) or 1
    headings_used: set[str] = set()
    sections = []
    for title, start, line, inside in windows:
        share = max(1, min(12 if reading.detailed else 4, round(remaining * len(inside)
                                                              / total_sentences)))
        bullets = chooser.pick(inside, share)
        heading = title or _heading(inside, reading.phrases, headings_used, start,
                                    stopwords(reading.language) | GENERIC)
        sections.append({"title": heading, "line": line,
                         "bullets": [{"text": s.text, "quote": s.quote, "line": s.line,
                                      "relevance": chooser.relevance[s.index]}
                                     for s in bullets]})
    return sections, {title: start for title, start, _, _ in windows if title}


def _windows(transcript: Transcript, items: Sequence[Sentence]
             ) -> list[tuple[str, float, int, list[Sentence]]]:
    """(chapter title or '', start, first line, sentences) per chapter, else per window."""
    if transcript.chapters:
        bounds = [(c.title, c.start) for c in transcript.chapters]
    else:
        duration = max(transcript.duration_seconds, 1)
        size = max(120, min(600, round(duration / 5 / 60) * 60))
        bounds = [("", float(start)) for start in range(0, int(duration), size)] or [("", 0.0)]
    windows = []
    for number, (title, start) in enumerate(bounds):
        end = bounds[number + 1][1] if number + 1 < len(bounds) else float("inf")
        inside = [s for s in items if start <= s.start < end]
        if inside:
            windows.append((title, start, inside[0].line, inside))
    return windows


def _heading(inside: Sequence[Sentence], phrases: Sequence[str], used: set[str],
             start: float, stop: frozenset[str]) -> str:
    """A window's heading: the first key phrase it says that no heading has taken, as the
    lecture writes it; else the minute it starts at."""
    text = " " + " ".join(" ".join(s.words) for s in inside) + " "
    for phrase in phrases:
        singular = " ".join(word.removesuffix("s") for word in phrase.split())
        if singular not in used and f" {phrase} " in text:
            used.add(singular)  # "Cells" after "Cell" would say nothing new
            pattern = re.compile(r"(?<!\w)" + r"\W+".join(map(re.escape, phrase.split()))
                                 + r"(?!\w)", re.I)
            for sentence in inside:  # the phrase as the lecture writes it
                match = pattern.search(sentence.text)
                if match:
                    said = match.group(0)
                    return said[:1].upper() + said[1:]
            return phrase[:1].upper() + phrase[1:]
    # No key phrase left: the window's most said content word not yet a heading.
    counts: dict[str, int] = {}
    for sentence in inside:
        for word in sentence.words:
            if len(word) >= 5 and word not in stop and word.removesuffix("s") not in used:
                counts[word] = counts.get(word, 0) + 1
    if counts:
        word = max(counts, key=lambda w: (counts[w], len(w)))
        used.add(word.removesuffix("s"))
        return word[:1].upper() + word[1:]
    return f"From minute {int(start) // 60}"


def _trim(summary: list[Any], concepts: list[Any], key_points: list[Any], sections: list[Any],
          questions: list[Any], limit: int) -> None:
    """Drop the least needed items until the note's words fit the limit: the least
    relevant bullets first (every section keeps one), then key points, then concepts."""
    def total() -> int:
        words = 40 + sum(word_count(s.text) for s in summary)
        words += sum(word_count(t) + word_count(s.text) for t, s in concepts)
        words += sum(word_count(s.text) for s in key_points)
        words += sum(word_count(sec["title"])
                     + sum(word_count(b["text"]) for b in sec["bullets"]) for sec in sections)
        return words + sum(word_count(q["question"]) + word_count(q["answer"]) + 2
                           for q in questions)

    while total() > limit:
        bullets = [(b["relevance"], number, sec) for sec in sections if len(sec["bullets"]) > 1
                   for number, b in enumerate(sec["bullets"])]
        if bullets:
            _, number, sec = min(bullets, key=lambda entry: entry[0])
            sec["bullets"].pop(number)
        elif len(key_points) > 2:
            key_points.pop(len(key_points) // 2)
        elif len(concepts) > 2:
            concepts.pop()
        elif len(summary) > 1:
            summary.pop(min(range(len(summary)), key=lambda i: -summary[i].size))
        elif len(sections) > 1:  # a short lecture: fewer, longer sections
            sections.pop(min(range(len(sections)),
                             key=lambda i: sections[i]["bullets"][0]["relevance"]
                             if sections[i]["bullets"] else -99))
        elif len(key_points) > 1:
            key_points.pop()
        else:
            return


def _raw_draft(reading: Reading, summary: list[Sentence], concepts: Concepts,
               key_points: list[Sentence], sections: list[dict[str, Any]],
               questions: list[dict[str, Any]]) -> dict[str, Any]:
    """The chosen items in the draft's shape, before validation."""
    transcript, phrases = reading.transcript, reading.phrases
    tags = [p for p in phrases if len(p) <= 40][:8]
    title = transcript.title or " ".join(w.capitalize() for w in (phrases[:1] or
                                                                  ["Lecture notes"]))
    return {
        "title": title,
        "summary": " ".join(s.text for s in summary) or reading.items[0].text,
        "core_concepts": [{"term": term, "definition": s.text, "quote": s.quote,
                           "line": s.line} for term, s in concepts],
        "key_points": [{"text": s.text, "quote": s.quote, "line": s.line} for s in key_points],
        "sections": sections,
        "review_questions": questions,
        "suggested_subject": "",
        "tags": tags[:max(3, min(8, len(tags)))],
    }
