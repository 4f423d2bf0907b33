"""The offline writer's sentences: captions rebuilt into what the lecturer said.

Human captions are cut where a sentence ends. Automatic captions have no punctuation,
so they are cut only where speech gives a boundary (a pause between segments, a
standalone "um"/"uh", a clause-opening "so"/"okay"/"now") and shown as spoken: no
capital or full stop is invented. Fillers are the lecture language's own
(chalicelib.notes.offline.words SOUNDS, WORDLIKE) and are removed only where they stand
alone ("um", "uh", ", you know,"), never inside a sentence where they are words ("if
you know where the ships came from"; German "um acht Uhr", "um ... zu"). A leading
discourse word is dropped, and every sentence keeps its verbatim quote. Course
logistics, like-and-subscribe requests, sponsor reads (and every sentence naming the
sponsor) and licence text are marked as noise.
"""
from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from chalicelib.notes.offline.words import (
    ABBREVIATIONS,
    CLAUSE_OPENERS,
    LEADING_DISCOURSE,
    NOISE,
    WORDLIKE,
    fold,
    is_sound,
    sounds_of,
)

if TYPE_CHECKING:  # pragma: no cover
    from chalicelib.youtube.transcript_model import Transcript

SENTENCE_END = (".", "?", "!", "…", ".\"", "?\"", ".”", "?”", ".)", ".'", "?'")
# Fewer words: too short to choose (a short spoken clause joins the one before it).
# More: too long to define a term, and chosen last.
MIN_WORDS, MAX_WORDS = 6, 48
AUTO_MAX_WORDS = 32  # a spoken clause this long ends at its next conjunction or segment
PAUSE_SECONDS = 0.7  # the shortest pause that ends a spoken clause (unless gaps are usual)


@dataclass
class Sentence:
    """One sentence (or spoken clause) of the lecture, as shown and as said."""

    index: int
    text: str  # as shown: standalone fillers and leading discourse words removed
    quote: str  # verbatim from the transcript
    start: float
    line: int  # 1-based index of the segment it starts in
    words: list[str] = field(default_factory=list)
    noise: bool = False
    question: bool = False

    @property
    def size(self) -> int:
        return len(self.text.split())


def _is_punctuated(transcript: Transcript) -> bool:
    ends = sum(1 for s in transcript.segments if s.text.rstrip().endswith((".", "?", "!")))
    return ends >= max(3, len(transcript.segments) // 10)


def shown_as_spoken(transcript: Transcript) -> bool:
    """Automatic or unpunctuated captions: cut at the boundaries speech gives, and shown
    without an invented capital or full stop."""
    return transcript.is_generated or not _is_punctuated(transcript)


def _tokens(transcript: Transcript) -> list[tuple[str, int]]:
    """(token, segment index) for every whitespace token of the captions."""
    return [(token, number) for number, segment in enumerate(transcript.segments)
            for token in segment.text.split()]


def _ends_sentence(token: str, following: str | None) -> bool:
    if not token.endswith(SENTENCE_END) or token.casefold() in ABBREVIATIONS:
        return False
    if following is None:
        return True
    first = following.lstrip("\"'“(¿¡")[:1]
    return first.isupper() or first.isdigit() or following[:1] in "\"“¿¡("


def _tidy(text: str, auto: bool, language: str = "en") -> str:
    """Fillers removed where they stand alone; a leading discourse word dropped.

    A hesitation sound of the lecture's language goes wherever it is a token of its own;
    a filler that is also a word only between commas or before a comma at the start
    (", este, ...", "You know, ..."), never inside a sentence where it is a word."""
    sounds = sounds_of(language)
    kept: list[str] = []
    for token in text.split():
        if not is_sound(token, sounds):
            kept.append(token)
        elif token.endswith(",") and kept and kept[-1].endswith(","):
            kept[-1] = kept[-1][:-1]  # "is, um, a unit": the commas only set off the "um"
    text = " ".join(kept)
    for phrase in WORDLIKE.get(language.split("-")[0].lower(), ()):
        said = r"\s+".join(map(re.escape, phrase.split()))
        text = re.sub(r",\s*" + said + r",\s*", ", ", text, flags=re.I)  # ", you know, "
        text = re.sub(r"^" + said + r",\s*", "", text, flags=re.I)  # "You know, ..."
    text = LEADING_DISCOURSE.sub("", text.strip())
    text = re.sub(r"\s+", " ", text).strip(" ,;")
    if not auto and text[:1].islower():
        text = text[0].upper() + text[1:]
    return text


def _quote_of(raw: str, shown: str) -> str:
    """The verbatim words of `raw` from where the shown text starts (discourse words
    dropped from the front are not part of the quote)."""
    first = fold(shown)[:1]
    tokens = raw.split()
    for index, token in enumerate(tokens):
        if first and fold(token)[:1] == first:
            return " ".join(tokens[index:])
    return raw


def sentences(transcript: Transcript) -> list[Sentence]:
    """The transcript as sentences (human captions) or spoken clauses (automatic ones)."""
    segments = transcript.segments
    auto = shown_as_spoken(transcript)
    out: list[Sentence] = []
    for group in _token_groups(transcript, auto):
        if not group:
            continue
        raw = " ".join(token for token, _ in group)
        shown = _tidy(raw, auto, transcript.language or "en")
        if not shown:
            continue
        if auto and out and len(shown.split()) < MIN_WORDS:
            # A short clause joins the one before it, as it was said.
            last = out[-1]
            last.text, last.quote = f"{last.text} {shown}", f"{last.quote} {raw}"
            last.words = fold(last.text)
            continue
        sentence = Sentence(len(out), shown, _quote_of(raw, shown), segments[group[0][1]].start,
                            group[0][1] + 1, fold(shown))
        sentence.question = shown.rstrip("\"'”)").endswith("?")
        out.append(sentence)
    _mark_noise(out)
    return out


def _token_groups(transcript: Transcript, auto: bool) -> list[list[tuple[str, int]]]:
    """The caption tokens (with their segment) grouped into sentences: cut where a
    sentence ends, or in speech shown as spoken, where speech gives a boundary."""
    segments = transcript.segments
    tokens = _tokens(transcript)
    sounds = sounds_of(transcript.language or "en")
    groups: list[list[tuple[str, int]]] = [[]]
    gaps = sorted(max(0.0, b.start - a.start - a.duration)
                  for a, b in itertools.pairwise(segments))
    # A pause is a gap longer than the captions' usual one (some tracks leave a small
    # gap after every segment).
    pause = max(PAUSE_SECONDS, 2 * gaps[len(gaps) // 2]) if gaps else PAUSE_SECONDS
    for position, (token, number) in enumerate(tokens):
        following = tokens[position + 1][0] if position + 1 < len(tokens) else None
        current = groups[-1]
        if auto and current:
            previous = current[-1][1]
            gap = segments[number].start - (segments[previous].start
                                             + segments[previous].duration)
            folded = token.casefold()
            opens = is_sound(token, sounds) or folded in CLAUSE_OPENERS
            boundary = (number != previous and gap > pause) or (
                opens and len(current) >= MIN_WORDS) \
                or len(current) >= AUTO_MAX_WORDS and (
                    folded in ("and", "but", "which", "because", "und", "y", "et")
                    or number != previous)  # else the caption's own segment boundary
            if boundary:
                groups.append([])
                current = groups[-1]
        current.append((token, number))
        if not auto and _ends_sentence(token, following):
            groups.append([])
    return groups


def _mark_noise(items: Sequence[Sentence]) -> None:
    """Logistics, channel requests, licence text and sponsor reads (every sentence that
    names a product a sponsor sentence names)."""
    brands: set[str] = set()
    for sentence in items:
        if NOISE.search(sentence.text):
            sentence.noise = True
            if re.search(r"sponsor", sentence.text, re.I):
                for name in re.findall(r"(?<![.!?]\s)(?<!^)\b([A-Z][a-z]+(?:\s+[A-Z][a-z]+)*)",
                                       sentence.text):
                    brands.add(name.casefold())
    for sentence in items:
        folded = sentence.text.casefold()
        if any(brand in folded for brand in brands):
            sentence.noise = True

