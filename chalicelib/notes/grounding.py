"""Grounding (docs/DESIGN.md section 6): every item of a note rests on a short verbatim
quote of the transcript, and the service, not the model, finds where it is said.

A quote is looked up in the transcript's words after folding case, punctuation,
apostrophes and standalone fillers ("um", "uh", "äh", "euh"), so "It's ad minus bc."
finds "its ad minus bc" in automatic captions. When the exact words are not there, a
close match is accepted (caption noise: "your senia pestis" for "yersinia pestis"):
the window of the transcript that covers at least MIN_FUZZY_COVERAGE of the quote's
characters. A quote shorter than MIN_QUOTE_WORDS words proves nothing and is not
verified. A found item takes its timestamp from the segment where its quote starts;
an unfound one has no timestamp and is never shown as checked. Where a quote occurs
more than once, the occurrence nearest the item's hint (the line the generator cited)
wins.
"""
from __future__ import annotations

import bisect
import difflib
import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator

if TYPE_CHECKING:  # pragma: no cover
    from chalicelib.youtube.transcript_model import Transcript

MIN_QUOTE_WORDS = 4
MAX_QUOTE_WORDS = 80
MIN_FUZZY_COVERAGE = 0.85
MAX_FUZZY_WINDOWS = 400
SECTION_LEAD_SECONDS = 180.0
FILLERS = frozenset({"um", "umm", "uh", "uhh", "erm", "er", "äh", "ähm", "öhm", "eh", "euh",
                     "mhm", "hmm"})
_WORD_RE = re.compile(r"[^\W_]+", re.UNICODE)


def words(text: str) -> list[str]:
    """The words that count when comparing quotes: folded, apostrophes joined, no fillers."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    folded = re.sub(r"(?<=\w)['’`´](?=\w)", "", folded)
    return [w for w in _WORD_RE.findall(folded) if w not in FILLERS]


@dataclass(frozen=True)
class Found:
    start: float  # where the quote starts (the start of its segment)
    word: int  # index of its first word in the transcript's words
    exact: bool


class TranscriptText:
    """The transcript as one stream of folded words, each knowing its segment's start."""

    def __init__(self, transcript: "Transcript") -> None:
        self.words: list[str] = []
        self.starts: list[float] = []
        for segment in transcript.segments:
            for word in words(segment.text):
                self.words.append(word)
                self.starts.append(segment.start)
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
        """The start of the window covering most of the quote's characters, if enough."""
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
                window = " ".join(self.words[begin:begin + len(quote) + 1])
                matcher = difflib.SequenceMatcher(None, wanted, window, autojunk=False)
                covered = sum(block.size for block in matcher.get_matching_blocks())
                score = covered / max(1, len(wanted))
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
        if len(folded) < MIN_QUOTE_WORDS:
            return None
        folded = folded[:MAX_QUOTE_WORDS]
        hits = list(self._exact(folded))
        if hits:
            chosen = min(hits, key=lambda i: abs(self.starts[i] - near)) if near is not None \
                else hits[0]
            return Found(self.starts[chosen], chosen, True)
        index = self._fuzzy(folded, near)
        return Found(self.starts[index], index, False) if index is not None else None


def grounded_items(draft: dict) -> Iterator[dict]:
    """Every item that must rest on a quote: concepts, key points, bullets, answers."""
    yield from draft.get("core_concepts", [])
    yield from draft.get("key_points", [])
    for section in draft.get("sections", []):
        yield from section.get("bullets", [])
    yield from draft.get("review_questions", [])


def ground(draft: dict, transcript: "Transcript",
           text: TranscriptText | None = None) -> dict:
    """Look up every item's quote; set its timestamp from where it was found (None and
    unverified when not found); count `verified` as [found, all]. A section starts at
    the line its generator cited when its found bullets follow within
    SECTION_LEAD_SECONDS, else at its first found bullet."""
    text = text or TranscriptText(transcript)
    found = total = 0
    for item in grounded_items(draft):
        total += 1
        hint = item.pop("hint", None)
        where = text.find(item.get("quote") or "", near=hint)
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
