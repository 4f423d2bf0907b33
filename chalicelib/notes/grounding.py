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
than MIN_QUOTE_WORDS words proves nothing and is not verified. A found item takes its
timestamp from the segment where its quote starts; an unfound one has no timestamp and
is never shown as checked. Where a quote occurs
more than once, the occurrence nearest the item's hint (the line the generator cited)
wins.
"""
from __future__ import annotations

import bisect
import difflib
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

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
_DIGITS_RE = re.compile(r"\d+")

# Number words (en, de, es, fr, pt; compared without accents) and the value they stand
# for, so that "twenty" and "20" agree while "a half" and "a third" do not. Articles that
# double as "one" (a, ein, un, una, um) are left out: they are in almost every sentence.
_NUMBERS: dict[str, tuple[str, ...]] = {
    "0": ("zero", "null", "cero", "zéro"),
    "1": ("one", "eins", "uno"),
    "2": ("two", "zwei", "dos", "deux", "dois", "duas"),
    "3": ("three", "drei", "tres", "trois", "três"),
    "4": ("four", "vier", "cuatro", "quatre", "quatro"),
    "5": ("five", "fünf", "cinco", "cinq"),
    "6": ("six", "sechs", "seis"),
    "7": ("seven", "sieben", "siete", "sept", "sete"),
    "8": ("eight", "acht", "ocho", "huit", "oito"),
    "9": ("nine", "neun", "nueve", "neuf", "nove"),
    "10": ("ten", "zehn", "diez", "dix", "dez"),
    "11": ("eleven", "elf", "once", "onze"),
    "12": ("twelve", "zwölf", "doce", "douze", "doze"),
    "13": ("thirteen", "dreizehn", "trece", "treize", "treze"),
    "14": ("fourteen", "vierzehn", "catorce", "quatorze", "catorze"),
    "15": ("fifteen", "fünfzehn", "quince", "quinze"),
    "16": ("sixteen", "sechzehn", "dieciséis", "seize", "dezesseis", "dezasseis"),
    "17": ("seventeen", "siebzehn", "diecisiete", "dezessete", "dezassete"),
    "18": ("eighteen", "achtzehn", "dieciocho", "dezoito"),
    "19": ("nineteen", "neunzehn", "diecinueve", "dezenove", "dezanove"),
    "20": ("twenty", "zwanzig", "veinte", "vingt", "vinte"),
    "30": ("thirty", "dreißig", "dreissig", "treinta", "trente", "trinta"),
    "40": ("forty", "vierzig", "cuarenta", "quarante", "quarenta"),
    "50": ("fifty", "fünfzig", "cincuenta", "cinquante", "cinquenta"),
    "60": ("sixty", "sechzig", "sesenta", "soixante", "sessenta"),
    "70": ("seventy", "siebzig", "setenta", "septante"),
    "80": ("eighty", "achtzig", "ochenta", "oitenta"),
    "90": ("ninety", "neunzig", "noventa", "nonante"),
    "100": ("hundred", "hundert", "cien", "ciento", "cent", "cents", "cem", "cento"),
    "1000": ("thousand", "tausend", "mil", "mille"),
    "1000000": ("million", "millions", "millionen", "millón", "millones", "milhão",
                "milhões"),
    "1000000000": ("billion", "billions", "milliarde", "milliarden", "milliard",
                   "milliards", "bilhão", "bilhões"),
    "1/2": ("half", "halves", "halb", "halbe", "hälfte", "medio", "media", "mitad", "demi",
            "demie", "moitié", "meio", "meia", "metade"),
    "1/3": ("third", "thirds", "drittel", "tercio", "tercios", "tiers", "terço", "terços"),
    "1/4": ("quarter", "quarters", "viertel", "cuarto", "cuartos", "quart", "quarts",
            "quarto", "quartos"),
}
# Negation words. Contractions arrive joined ("don't" -> "dont", see words()), and count
# as "not" so that "don't" and "do not" agree. French "ne" is left out: speech drops it
# ("c'est pas"), and "pas", "jamais", "rien"... carry the negation.
NEGATIONS = frozenset({
    "not", "no", "never", "none", "nothing", "nobody", "neither", "nor", "cannot",
    "nicht", "kein", "keine", "keinen", "keinem", "keiner", "keines", "nie", "niemals",
    "nichts", "niemand", "weder",
    "nunca", "jamás", "nada", "nadie", "ningún", "ninguno", "ninguna", "ni", "tampoco",
    "pas", "jamais", "rien", "aucun", "aucune", "non",
    "não", "nenhum", "nenhuma", "nem", "ninguém",
})
_NT_CONTRACTIONS = frozenset({
    "dont", "doesnt", "didnt", "isnt", "arent", "wasnt", "werent", "cant", "couldnt",
    "wont", "wouldnt", "shouldnt", "hasnt", "havent", "hadnt", "mustnt", "neednt", "aint",
    "mightnt", "shant",
})


def _plain(word: str) -> str:
    """The word without accents, so "não" and caption "nao" are the same fact."""
    return "".join(c for c in unicodedata.normalize("NFD", word)
                   if not unicodedata.combining(c))


FACT_WORDS: dict[str, str] = {_plain(w): value for value, names in _NUMBERS.items()
                              for w in names}
_NEGATION_KEYS = frozenset(_plain(w) for w in NEGATIONS)


def fact_tokens(folded: Sequence[str]) -> list[tuple[str, bool]]:
    """The words as (token, is_fact): digit-bearing words as written, number words as
    their value, negations as themselves and "n't" contractions as stem + "not"."""
    tokens: list[tuple[str, bool]] = []
    for word in folded:
        plain = _plain(word)
        if _DIGITS_RE.search(word):
            tokens.append((word, True))
        elif plain in FACT_WORDS:
            tokens.append((FACT_WORDS[plain], True))
        elif plain in _NEGATION_KEYS:
            tokens.append((plain, True))
        elif plain in _NT_CONTRACTIONS:
            tokens += [(plain[:-2], False), ("not", True)]
        else:
            tokens.append((word, False))
    return tokens


def facts_agree(quote: Sequence[str], matched: Sequence[str]) -> bool:
    """Whether every fact of the quote pairs with the same fact, in the same place, in
    the matched words and none is left over on either side. Ordinary words may differ
    (misheard captions); a changed, added, dropped or moved number or "not" may not."""
    ours, theirs = fact_tokens(quote), fact_tokens(matched)
    pairs = difflib.SequenceMatcher(None, [t for t, _ in ours], [t for t, _ in theirs],
                                    autojunk=False).get_matching_blocks()
    paired_ours = {block.a + k for block in pairs for k in range(block.size)}
    paired_theirs = {block.b + k for block in pairs for k in range(block.size)}
    return all(i in paired_ours for i, (_, fact) in enumerate(ours) if fact) and \
        all(i in paired_theirs for i, (_, fact) in enumerate(theirs) if fact)


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

    def __init__(self, transcript: Transcript) -> None:
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
