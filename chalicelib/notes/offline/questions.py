"""The offline writer's review questions: only ones the lecture answers.

The lecture's own questions with the answer that follows them, "What is X?" from a
sentence that defines X, and fill-in-the-blank from a key sentence; never a template
about a keyword. Every answer is a sentence of the lecture, so every question is
grounded like any other item.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from chalicelib.notes.offline.sentence_split import MIN_WORDS, Sentence
from chalicelib.notes.offline.words import (
    BLANK,
    GENERIC,
    NUMBER_WORDS,
    QUESTION_OPENERS,
    RHETORICAL,
    WHAT_IS,
    fold,
    stopwords,
    word_count,
)

if TYPE_CHECKING:  # pragma: no cover
    from chalicelib.notes.offline.chooser import Reading


def wanted_questions(minutes: float) -> int:
    """As many as DESIGN section 7 asks: at least 5, about 10 an hour."""
    return max(5, round(10 * minutes / 60))


def choose_questions(reading: Reading, wanted: int, concepts: list[tuple[str, Sentence]],
                     summary: list[Sentence], key_points: list[Sentence],
                     terms_seen: set[str]) -> list[dict[str, Any]]:
    """Up to `wanted` questions, each answered by a sentence of the lecture, preferring
    sentences the note has not shown yet (a question then also adds a fact): the
    lecture's own, "What is X?" of its definitions, fill-in-the-blank of new sentences;
    then questions on the concepts, key points and summary the note already shows."""
    what_is = WHAT_IS.get(reading.language, WHAT_IS["en"])
    questions: list[dict[str, Any]] = []
    _add_own_questions(reading, questions, upto=max(1, wanted // 3))
    _add_definition_questions(reading, questions, what_is, terms_seen,
                              upto=wanted - max(1, wanted // 4))
    blanks = _Blanks(reading, concepts, questions)
    if len(questions) < wanted:
        candidates = reading.chooser.pick(reading.items, 2 * (wanted - len(questions)))
        for sentence in sorted(candidates, key=lambda s: s.size):
            if len(questions) >= wanted or not blanks.add(sentence):
                reading.chooser.release(sentence)  # no question: the sections may use it
    for term, sentence in concepts:  # then what the note already shows
        if len(questions) >= wanted:
            break
        questions.append(_question(what_is.format(term), "recall", sentence.text, sentence))
    # A short lecture has few sentences: one may give a blank for each of its terms.
    shown = sorted(key_points + summary, key=lambda s: s.size)
    shown += [s for s in reading.items if s not in shown and not s.noise and not s.question
              and s.size >= MIN_WORDS]
    for any_key_word in (False, True):
        while len(questions) < wanted and any(blanks.add(sentence, any_key_word)
                                              for sentence in shown if len(questions) < wanted):
            pass
    return questions


def _question(asked: str, kind: str, answer: str, source: Sentence) -> dict[str, Any]:
    """A review question, quoting the sentence that answers it."""
    return {"question": asked, "kind": kind, "answer": answer, "quote": source.quote,
            "line": source.line}


def _add_own_questions(reading: Reading, questions: list[dict[str, Any]], upto: int) -> None:
    """The lecture's own questions, most relevant answer first, until `upto` questions."""
    chooser = reading.chooser
    for asked, answer in sorted(_lecture_questions(reading.items),
                                key=lambda pair: -chooser.relevance[pair[1].index]):
        if len(questions) >= upto:
            break
        if answer.index in chooser.used:
            continue
        chooser.take(answer)
        questions.append(_question(asked.text, "explain", answer.text, answer))


def _add_definition_questions(reading: Reading, questions: list[dict[str, Any]], what_is: str,
                              terms_seen: set[str], upto: int) -> None:
    """Questions "What is X?" of definitions the concepts did not take, until `upto`."""
    chooser, defined, items = reading.chooser, reading.defined, reading.items
    for index in sorted(defined, key=lambda i: -chooser.relevance[i]):
        if len(questions) >= upto:
            break
        key = " ".join(fold(defined[index]))
        if index in chooser.used or key in terms_seen or chooser.relevance[index] < -5:
            continue
        terms_seen.add(key)
        chooser.take(items[index])
        questions.append(_question(what_is.format(defined[index]), "recall",
                                   items[index].text, items[index]))


class _Blanks:
    """Fill-in-the-blank questions, each phrase hidden once. What a blank may hide:
    multi-word key phrases, defined terms, and single words only when the title names
    them (a topic word, not "exactly")."""

    def __init__(self, reading: Reading, concepts: Sequence[tuple[str, Sentence]],
                 questions: list[dict[str, Any]]) -> None:
        phrases = reading.phrases
        topic = set(fold(reading.transcript.title))
        self.hideable = [p for p in phrases
                         if len(p.split()) > 1 and not NUMBER_WORDS & set(p.split())]
        # Single words only where they name the topic or are among the lecture's top key
        # phrases ("tuple", "osmosis"): a term that matters, never "inside" or "exactly".
        self.hideable += [t for t, _ in concepts] + [
            p for number, p in enumerate(phrases) if len(p.split()) == 1 and len(p) >= 5
            and (p in topic or number < TOP_SINGLE_WORDS) and not NUMBER_WORDS & {p}]
        # What a short lecture's last questions may hide: a long content word (terms run
        # long: "logarithm", "equilibrium", "phospholipid"), the longest first.
        stop = stopwords(reading.language) | GENERIC
        self.words = sorted({w for s in reading.items if not s.noise for w in s.words
                             if len(w) >= LONG_WORD and w not in stop and w.isalpha()},
                            key=lambda w: (-len(w), w))
        self.hidden: set[str] = set()
        self.form = BLANK.get(reading.language, BLANK["en"])
        self.questions = questions

    def add(self, sentence: Sentence, any_key_word: bool = False) -> bool:
        """The sentence's question, if one of the phrases not yet hidden is in it, else
        a number it states (a year, a quantity: what a student is asked to recall); with
        `any_key_word`, else a word of the lecture's key phrases."""
        hideable = self.hideable + (self.words if any_key_word else [])
        blanked = _blank(sentence, [p for p in hideable if p.casefold() not in self.hidden])
        if not blanked:
            number = _STATED_NUMBER.search(sentence.text)
            if not number or number.group(0).casefold() in self.hidden:
                return False
            blanked = (_clause(sentence.text[:number.start()] + "_____"
                               + sentence.text[number.end():]), number.group(0))
        self.hidden.add(blanked[1].casefold())
        self.questions.append(_question(self.form.format(blanked[0]), "recall", blanked[1],
                                        sentence))
        return True


TOP_SINGLE_WORDS = 12
LONG_WORD = 8
WHOLE_SENTENCE_BLANK_WORDS = 30  # a longer sentence is cut to the clause around its blank
# A number of at least two digits, as written ("1347", "6.022", "36"), not inside a word.
_STATED_NUMBER = re.compile(r"(?<![\w.,])\d[\d.,]*\d(?![\w])")


def _blank(sentence: Sentence, phrases: Sequence[str]) -> tuple[str, str] | None:
    """(sentence with a key phrase blanked, the phrase) for a fill-in-the-blank question."""
    for phrase in phrases:
        pattern = re.compile(r"(?<!\w)" + r"[\s\-]+".join(map(re.escape, phrase.split()))
                             + r"(?!\w)", re.I)
        match = pattern.search(sentence.text)
        if match and len(phrase) >= 4:
            return _clause(pattern.sub("_____", sentence.text, count=1)), match.group(0)
    return None


def _clause(text: str, enough: int = 8) -> str:
    """The comma-delimited clause holding the blank (with neighbours until it has
    `enough` words): a question needs the context of the blank, not the whole sentence."""
    parts = re.split(r"(?<=,)\s+", text)
    if len(parts) == 1 or word_count(text) <= WHOLE_SENTENCE_BLANK_WORDS:
        return text
    at = next(i for i, part in enumerate(parts) if "_____" in part)
    low = high = at
    while word_count(" ".join(parts[low:high + 1])) < enough and (low > 0 or high < len(parts) - 1):
        if high < len(parts) - 1:
            high += 1
        else:
            low -= 1
    clause = " ".join(parts[low:high + 1]).rstrip(",")
    if low > 0:
        clause = "… " + clause
    if high < len(parts) - 1:
        clause += " …"
    return clause


def _lecture_questions(items: Sequence[Sentence]) -> list[tuple[Sentence, Sentence]]:
    """The lecture's own questions, each with the answer that follows it."""
    pairs = []
    for number, sentence in enumerate(items):
        if not sentence.question or sentence.noise or sentence.size < 5 or \
                not QUESTION_OPENERS.search(sentence.text) or RHETORICAL.search(sentence.text):
            continue
        for answer in items[number + 1:number + 3]:
            if answer.question or answer.noise:
                continue
            if answer.size >= MIN_WORDS:
                pairs.append((sentence, answer))
            break
    return pairs

