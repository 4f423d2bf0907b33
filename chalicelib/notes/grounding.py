"""Grounding (docs/DESIGN.md section 6): every item of a note rests on a short verbatim
quote of the transcript, and the service, not the model, finds where it is said.

A quote is looked up in the transcript's words after folding case, punctuation,
apostrophes and standalone fillers ("um", "uh", "äh", "euh"), so "It's ad minus bc."
finds "its ad minus bc" in automatic captions. When the exact words are not there, a
close match is accepted (caption noise: "your senia pestis" for "yersinia pestis"):
the window of the transcript that covers at least MIN_FUZZY_COVERAGE of the quote's
characters, provided its facts agree exactly: every digit sequence, number word and
negation word (FACT_WORDS, NEGATIONS) of the quote pairs with the same one in the
matched words, and none is left over, so "1348 to 1352" for "1347 to 1351", "a half"
for "a third" or an added, dropped or moved "not" is not verified. A quote shorter
than MIN_QUOTE_WORDS words proves nothing and is not verified; one longer than
MAX_QUOTE_WORDS is verified only when said word for word (a close match is looked for
only up to that bound on its work), never by its start alone, where an invented tail
would pass. A found item takes its
timestamp from the segment where its quote starts; an unfound one has no timestamp and
is never shown as checked. Where a quote occurs
more than once, the occurrence nearest the item's hint (the line the generator cited)
wins.

A found quote is not enough: the item's own text must agree with it (claim_agrees).
Every number, date and negation the item states must be said in its quote or in the
transcript sentence around the quote, in any form a lecturer says it ("1.5" and "one
point five", "1347" and "thirteen forty-seven", "50 million" and "fifty million", "20%"
and "twenty percent", "never" and "isn't"); what stands inside a LaTeX formula ($...$)
is left to the quote. "The sentence around the quote" is the transcript from the start
of the sentence the quote starts in to the end of the one it ends in, as its
punctuation says; where no sentence end is within SENTENCE_REACH words of the quote on
a side (automatic captions have no punctuation), CONTEXT_WORDS words on that side. An
item stating a number or negation they do not say, or dropping the negation of the very
word its quote negates, is unverified, like one whose quote was not found.
"""
from __future__ import annotations

import bisect
import difflib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chalicelib.notes.claims import (
    CONTEXT_WORDS,
    NUMBER_STRETCH,
    SENTENCE_REACH,
    claim_agrees,
    claim_text,
    ends_sentence,
    numberish,
)
from chalicelib.notes.fact_words import (
    facts_agree,
    words,
)

if TYPE_CHECKING:  # pragma: no cover
    from chalicelib.youtube.transcript_model import Transcript

MIN_QUOTE_WORDS = 4
MAX_QUOTE_WORDS = 80
MIN_FUZZY_COVERAGE = 0.85
MAX_FUZZY_WINDOWS = 400
SECTION_LEAD_SECONDS = 180.0
def _aligned(window: list[str], blocks: Sequence[difflib.Match]) -> list[str]:
    """The window's words that the quote matched, from the first to the last: a word
    counts when at least half its characters are matched. Words the quote does not
    reach at either end are left out, so a truncated quote is not judged by them."""
    matched = [0] * len(window)
    spans: list[tuple[int, int]] = []
    position = 0
    for word in window:
        spans.append((position, position + len(word)))
        position += len(word) + 1
    for block in blocks:
        for index, (begin, end) in enumerate(spans):
            matched[index] += max(0, min(end, block.b + block.size) - max(begin, block.b))
    hits = [i for i, (begin, end) in enumerate(spans) if 2 * matched[i] >= end - begin]
    return window[hits[0]:hits[-1] + 1] if hits else []


@dataclass(frozen=True)
class Found:
    start: float  # where the quote starts (its first word's time, else its segment's)
    word: int  # index of its first word in the transcript's words
    exact: bool
    end: int = -1  # index after its last word (-1: only its first word is known)


class TranscriptText:
    """The transcript as one stream of folded words, each knowing its segment's start
    and the token of the transcript, as written, it comes from (for the sentence
    around a quote: its punctuation and its numbers, "1.5", "50,000")."""

    def __init__(self, transcript: Transcript) -> None:
        self.words: list[str] = []
        self.starts: list[float] = []
        self.written: list[str] = []  # the transcript's tokens, split at white space
        self._written_of: list[int] = []  # the token each folded word is from
        for segment in transcript.segments:
            # A word-timed cue (automatic captions) times each token, so a quote that
            # starts mid-cue links to its own first word, not to the cue's start.
            timed = segment.word_starts or []
            for position, token in enumerate(segment.text.split()):
                start = timed[position] if timed else segment.start
                # The same words as words(segment.text): no word spans white space.
                for word in words(token):
                    self.words.append(word)
                    self.starts.append(start)
                    self._written_of.append(len(self.written))
                self.written.append(token)
        # Automatic captions have no punctuation: there, the transcript's first and
        # last words start and end no sentence either.
        self._punctuated = any(ends_sentence(token) for token in self.written)
        self._offsets: list[int] = []
        position = 1
        for word in self.words:
            self._offsets.append(position)
            position += len(word) + 1
        self._joined = " " + " ".join(self.words) + " "
        self._positions: dict[str, list[int]] = {}
        for index, word in enumerate(self.words):
            self._positions.setdefault(word, []).append(index)

    def _exact(self, quote: list[str]) -> Iterator[int]:
        needle = " " + " ".join(quote) + " "
        at = self._joined.find(needle)
        while at >= 0:
            yield bisect.bisect_left(self._offsets, at + 1)
            at = self._joined.find(needle, at + 1)

    def _fuzzy(self, quote: list[str], near: float | None) -> int | None:
        """The start of the window covering most of the quote's characters, if enough
        and if the words it matched state the same facts (numbers, negations)."""
        wanted = " ".join(quote)
        anchors = sorted({w for w in quote if w in self._positions},
                         key=lambda w: len(self._positions[w]))[:4]
        starts: set[int] = set()
        for anchor in anchors:
            offset = quote.index(anchor)
            for position in self._positions[anchor][:MAX_FUZZY_WINDOWS // 4]:
                starts.add(max(0, position - offset))
        best, best_score = None, 0.0
        for start in sorted(starts):
            for begin in (max(0, start - 1), start):
                window_words = self.words[begin:begin + len(quote) + 1]
                window = " ".join(window_words)
                matcher = difflib.SequenceMatcher(None, wanted, window, autojunk=False)
                blocks = matcher.get_matching_blocks()
                covered = sum(block.size for block in blocks)
                score = covered / max(1, len(wanted))
                # Close in characters is not enough: "1348" is 75% of "1347", and "not"
                # is 3 characters. A window that says other facts is no match at all.
                if score >= MIN_FUZZY_COVERAGE and \
                        not facts_agree(quote, _aligned(window_words, blocks)):
                    continue
                closer = best is not None and near is not None and score == best_score and \
                    abs(self.starts[begin] - near) < abs(self.starts[best] - near)
                if score > best_score or closer:
                    best, best_score = begin, score
        if best is None or best_score < MIN_FUZZY_COVERAGE:
            return None
        # Start at the first word the quote actually shares with the window.
        for index in range(best, min(best + 3, len(self.words))):
            if self.words[index] in quote[:3]:
                return index
        return best

    def find(self, quote: str, near: float | None = None) -> Found | None:
        """Where the quote is said (nearest `near` when said more than once), or None."""
        folded = words(quote)
        if len(folded) < MIN_QUOTE_WORDS:  # too short to prove anything
            return None
        hits = list(self._exact(folded))
        if hits:
            chosen = min(hits, key=lambda i: abs(self.starts[i] - near)) if near is not None \
                else hits[0]
            return Found(self.starts[chosen], chosen, True, chosen + len(folded))
        # A long quote must be said word for word: a close match is looked for only up
        # to MAX_QUOTE_WORDS (the bound on its work), never by a long quote's start alone,
        # where an invented tail would pass.
        index = self._fuzzy(folded, near) if len(folded) <= MAX_QUOTE_WORDS else None
        if index is None:
            return None
        return Found(self.starts[index], index, False,
                     min(len(self.words), index + len(folded)))

    def sentence(self, found: Found) -> str:
        """The transcript as written around a found quote: from the start of the
        sentence it starts in to the end of the one it ends in. Where no sentence end
        is within SENTENCE_REACH tokens on a side (automatic captions have no
        punctuation), CONTEXT_WORDS tokens on that side, stretched over a number said
        across the cut ("thirteen | forty seven"). The transcript's start and end bound
        a sentence only where the transcript has punctuation."""
        if not self.written or not 0 <= found.word < len(self.words):
            return ""
        first = self._written_of[found.word]
        last = self._written_of[min(len(self.words), max(found.end, found.word + 1)) - 1]
        begin = next((index + 1 for index in range(first - 1, max(-1, first - 1 - SENTENCE_REACH),
                                                    -1) if ends_sentence(self.written[index])),
                     None)
        if begin is None:
            begin = 0 if first <= SENTENCE_REACH and self._punctuated else \
                max(0, first - CONTEXT_WORDS)
            for _ in range(NUMBER_STRETCH):
                if begin == 0 or not numberish(self.written[begin - 1]):
                    break
                begin -= 1
        stop = min(len(self.written), last + 1 + SENTENCE_REACH)
        end = next((index + 1 for index in range(last, stop)
                    if ends_sentence(self.written[index])), None)
        if end is None:
            end = len(self.written) if stop == len(self.written) and self._punctuated \
                else min(len(self.written), last + 1 + CONTEXT_WORDS)
            for _ in range(NUMBER_STRETCH):
                if end >= len(self.written) or not numberish(self.written[end]):
                    break
                end += 1
        return " ".join(self.written[begin:end])


def grounded_items(draft: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every item that must rest on a quote: concepts, key points, bullets, answers."""
    yield from draft.get("core_concepts", [])
    yield from draft.get("key_points", [])
    for section in draft.get("sections", []):
        yield from section.get("bullets", [])
    yield from draft.get("review_questions", [])


def ground(draft: dict[str, Any], transcript: Transcript,
           text: TranscriptText | None = None) -> dict[str, Any]:
    """Look up every item's quote; set its timestamp from where it was found (None and
    unverified when not found, or when the item's text states a number or negation
    its quote and sentence do not: claim_agrees); count `verified` as [found, all].
    The summary rests on no quote and is not checked here. A section starts at
    the line its generator cited when its found bullets follow within
    SECTION_LEAD_SECONDS, else at its first found bullet."""
    text = text or TranscriptText(transcript)
    found = total = 0
    for item in grounded_items(draft):
        total += 1
        hint = item.pop("hint", None)
        quote = item.get("quote") or ""
        where = text.find(quote, near=hint)
        # Found, and its text states no number or negation that is not said there.
        if where is not None and not claim_agrees(claim_text(item), quote,
                                                  text.sentence(where)):
            where = None
        item["verified"] = where is not None
        item["timestamp"] = where.start if where is not None else None
        found += where is not None
    for section in draft.get("sections", []):
        times = [b["timestamp"] for b in section.get("bullets", []) if b.get("verified")]
        hint = section.pop("hint", None)
        # The cited start line holds when the section's found bullets follow it closely.
        if times and (hint is None or not 0 <= min(times) - hint <= SECTION_LEAD_SECONDS):
            section["timestamp"] = min(times)
        else:
            section["timestamp"] = hint
    draft["verified"] = [found, total]
    return draft
