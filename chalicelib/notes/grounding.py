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
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
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
            for token in segment.text.split():
                # The same words as words(segment.text): no word spans white space.
                for word in words(token):
                    self.words.append(word)
                    self.starts.append(segment.start)
                    self._written_of.append(len(self.written))
                self.written.append(token)
        # Automatic captions have no punctuation: there, the transcript's first and
        # last words start and end no sentence either.
        self._punctuated = any(_ends_sentence(token) for token in self.written)
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
            return Found(self.starts[chosen], chosen, True, chosen + len(folded))
        index = self._fuzzy(folded, near)
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
                                                    -1) if _ends_sentence(self.written[index])),
                     None)
        if begin is None:
            begin = 0 if first <= SENTENCE_REACH and self._punctuated else \
                max(0, first - CONTEXT_WORDS)
            for _ in range(NUMBER_STRETCH):
                if begin == 0 or not _numberish(self.written[begin - 1]):
                    break
                begin -= 1
        stop = min(len(self.written), last + 1 + SENTENCE_REACH)
        end = next((index + 1 for index in range(last, stop)
                    if _ends_sentence(self.written[index])), None)
        if end is None:
            end = len(self.written) if stop == len(self.written) and self._punctuated \
                else min(len(self.written), last + 1 + CONTEXT_WORDS)
            for _ in range(NUMBER_STRETCH):
                if end >= len(self.written) or not _numberish(self.written[end]):
                    break
                end += 1
        return " ".join(self.written[begin:end])


# --- A claim agrees with its quote ----------------------------------------------------

SENTENCE_REACH = 40  # tokens looked through, each side of a quote, for its sentence's end
CONTEXT_WORDS = 15  # tokens taken on a side where no sentence end is within reach
NUMBER_STRETCH = 4  # tokens a cut window stretches over a number said across it

Key = tuple[str, str]  # ("n", "3/2"), ("%", "20"), ("ord", "3"), ("dec", "1340"), ...
Fact = frozenset[Key]  # what one number or negation may be said as (any one will do)
NOT: Key = ("not", "")

_SENTENCE_END = re.compile(r"(?:[.!?…。！？])[\"'”’»)\]]*$")
# Abbreviations whose full stop ends no sentence ("Dr. Snow", "e.g. water").
_ABBREVIATIONS = frozenset({
    "dr", "mr", "mrs", "ms", "prof", "st", "vs", "e.g", "i.e", "eg", "ie", "cf", "ca",
    "approx", "fig", "jr", "sr", "mt", "z.b", "bzw", "usw", "u.a", "sra", "srta", "vol",
    "ch", "sec", "eq", "pp", "mme", "mlle",
})
# A LaTeX span as Obsidian (and safe_text) reads it: $$...$$, or $...$ whose opener is
# followed and closer preceded by a non-space, the closer not followed by a digit.
_MATH_SPAN = re.compile(r"(?<![\\$])\$\$(?!\$)(?:\\.|[^$\\])+?\$\$(?!\$)"
                        r"|(?<![\\$])\$(?![\s$])(?:\\.|[^$\\])+?(?<!\s)\$(?![\d$])")
_CLAIM_TOKEN = re.compile(r"\d+(?:[.,]\d+)*(?:/\d+)?[^\W_]*|[^\W\d_]+(?:\d[^\W_]*)?|%")
_DIGIT_TOKEN = re.compile(r"(\d+(?:[.,]\d+)*)(?:/(\d+))?([^\W_]*)")
_PER_CENT = re.compile(r"\b(?:per|pour|por)\s+(?:cent|ciento|cento)\b")
_NON_PREFIX = re.compile(r"\bnon-(?=[^\W\d_])")  # "non-zero" is one word, not "no" + 0
_PERCENT_WORDS = frozenset({"percent", "prozent", "percento", "%"})
_POINT_WORDS = frozenset({"point", "komma", "coma", "virgule", "virgula"})
_OH_WORDS = frozenset({"oh", "o"})  # "nineteen oh five"
_CONNECTORS = frozenset({"and", "y", "et", "e", "und"})  # "a hundred and five", "treinta y"
_ONE_AFTER_CONNECTOR = frozenset({"un", "una", "um", "uma", "une", "ein", "eine"})
_ARTICLES = frozenset({"a", "an", "one"})  # "and a half"
_ORDINALS: dict[str, int] = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6,
    "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12,
    "thirteenth": 13, "fourteenth": 14, "fifteenth": 15, "sixteenth": 16,
    "seventeenth": 17, "eighteenth": 18, "nineteenth": 19, "twentieth": 20,
    "thirtieth": 30, "fortieth": 40, "fiftieth": 50, "sixtieth": 60, "seventieth": 70,
    "eightieth": 80, "ninetieth": 90, "hundredth": 100, "thousandth": 1000,
    "millionth": 1_000_000,
}
_DECADES = {"twenties": 20, "thirties": 30, "forties": 40, "fifties": 50, "sixties": 60,
            "seventies": 70, "eighties": 80, "nineties": 90}
# Plural scales: after a number they multiply ("deux millions"); alone they are a vague
# amount ("millions"), which "50 million" is not.
_PLURAL_SCALES: dict[str, int] = {
    "hundreds": 100, "thousands": 1000, "millions": 10**6, "billions": 10**9,
    "tausende": 1000, "millionen": 10**6, "milliarden": 10**9, "millones": 10**6,
    "milhoes": 10**6, "milliards": 10**9, "bilhoes": 10**9, "centaines": 100,
    "milliers": 1000, "cientos": 100, "centenas": 100, "milhares": 1000,
}
_FRACTIONS: dict[str, int] = {
    **{w: int(v.split("/")[1]) for w, v in FACT_WORDS.items() if "/" in v},
    **{f"{w}s": n for w, n in _ORDINALS.items() if 3 <= n},  # "two fifths"
}
# Number words of one language that are everyday words of another ("once", "dos",
# "media", "null"): in an item's text alone they state nothing; next to another number
# word or in the transcript they still count.
_AMBIGUOUS = frozenset({
    "once", "elf", "null", "mil", "media", "medio", "meio", "meia", "demi", "tiers",
    "quart", "quarts", "quarto", "quartos", "cuarto", "cuartos", "dos", "doce", "seize",
    "cent", "cents", "sept",
})
# Negations that stand before the word they negate ("does not change", "never
# decreases"); an item keeping that word but no negation says the opposite of its
# quote. German "nicht" and French "pas" follow their verb, English "no" negates a
# noun an item may well name: they are left to the subset rule.
_VERB_NEGATIONS = frozenset({"not", "never", "cannot", "nunca", "jamas", "nao"}) | \
    _NT_CONTRACTIONS
_NEGATED_SKIP = frozenset({
    "a", "an", "the", "be", "been", "being", "to", "at", "all", "any", "very", "really",
    "so", "too", "even", "ever", "actually", "necessarily", "always", "quite", "exactly",
    "yet", "have", "has", "had", "do", "does", "did", "is", "are", "was", "were", "it",
    "that", "this", "there", "get", "got", "se", "o", "el", "la", "lo", "le",
})
_NEGATED_IDIOMS = frozenset({"only", "just", "merely", "simply", "least", "less", "matter",
                             "mention", "mind", "doubt", "wonder", "but"})
# Words that carry a negation in other terms ("little is known" for "we don't know"):
# an item with one of them has not dropped its quote's negation.
_SOFT_NEGATIONS = frozenset({
    "little", "few", "fewer", "lack", "lacks", "lacking", "without", "unable", "impossible",
    "fail", "fails", "failed", "rarely", "hardly", "barely", "seldom", "absent", "instead",
    "rather", "except", "unless", "false", "wrong", "avoid", "avoids", "prevent",
    "prevents", "stop", "stops", "cease", "ceases", "opposite", "contrary", "myth",
    "misconception", "wenig", "ohne", "poco", "sin", "peu", "sans", "pouco", "sem",
})


def _ends_sentence(token: str) -> bool:
    """Whether a token as written ends a sentence ("1347." "right?" but not "Dr.")."""
    if not _SENTENCE_END.search(token):
        return False
    bare = token.rstrip("\"'”’»)]").casefold()
    if not bare.endswith(".") or bare.endswith(".."):
        return True
    stem = bare[:-1].lstrip("(\"'“‘«[")
    return not (stem in _ABBREVIATIONS or (len(stem) == 1 and stem.isalpha()))


def _numberish(token: str) -> bool:
    """Whether a token as written is (part of) a number: digits or a number word."""
    return any(w.isdigit() or _plain(w) in FACT_WORDS or _plain(w) in _POINT_WORDS
               or _plain(w) in _OH_WORDS for w in words(token))


def _digit_values(number: str) -> set[Fraction]:
    """A number in digits as the values it can mean: "1,000" 1000, "1.5" 3/2, "2,5"
    (a decimal comma) 5/2, "1.000" 1 or 1000 (English decimals, German thousands),
    "0.001" and "0,001" a thousandth."""
    parts = re.split(r"([.,])", number)
    groups, marks = parts[0::2], parts[1::2]
    if not marks:
        return {Fraction(int(number))}
    values: set[Fraction] = set()
    thousands = len(set(marks)) == 1 and all(len(g) == 3 for g in groups[1:]) and \
        groups[0] != "0"
    if thousands:
        values.add(Fraction(int("".join(groups))))
    if len(marks) == 1 and not (thousands and marks[0] == ","):  # "1,000" is a thousand
        values.add(Fraction(f"{groups[0]}.{groups[1]}"))  # a decimal point or comma
    elif len(set(marks)) == 2 and marks[-1] != marks[0] and len(set(marks[:-1])) == 1 \
            and all(len(g) == 3 for g in groups[1:-1]):
        values.add(Fraction(f"{''.join(groups[:-1])}.{groups[-1]}"))  # 1,234.5 1.234,5
    return values or {Fraction(int(g)) for g in groups}  # "1.2.3": each of them


@dataclass
class _Reading:
    """One number read from a claim's words: total + current (the part below the last
    scale) + decimals, and what pairing two halves of a year needs."""

    begin: int  # its first token
    end: int = 0  # after its last token
    total: Fraction = Fraction(0)
    current: Fraction = Fraction(0)
    decimals: str = ""  # digits said after "point"
    last: str = ""  # the kind of its last token
    kind: str = "n"  # n, %, ord, dec, many
    size: int = 0  # its number tokens
    chunk: bool = True  # a plain number under 100 in words (half of "thirteen forty-seven")
    oh: bool = False  # "oh five", the second half of "nineteen oh five"
    ambiguous: bool = False  # one word that is also an everyday word elsewhere
    digits: frozenset[Fraction] = frozenset()  # a number in digits: what it may mean
    alternatives: frozenset[Key] = frozenset()  # other ways it is said ("third": 1/3, 3rd)

    def values(self) -> set[Fraction]:
        below = self.current + (Fraction(int(self.decimals), 10 ** len(self.decimals))
                                if self.decimals else 0)
        if self.digits:
            return {self.total + value for value in self.digits}
        return {self.total + below}

    def fact(self) -> set[Key]:
        return {(self.kind, str(value)) for value in self.values()} | set(self.alternatives)


def _kind(word: str) -> tuple[str, int]:
    """What a folded word is to a number reader: (kind, value)."""
    plain = _plain(word)
    if plain in _NEGATION_KEYS or plain in _NT_CONTRACTIONS:
        return "not", 0
    if plain in _PERCENT_WORDS:
        return "percent", 0
    if plain in _DECADES:
        return "decade", _DECADES[plain]
    if plain in _ORDINALS:
        return "ordinal", _ORDINALS[plain]
    if plain in _PLURAL_SCALES:
        return "plural", _PLURAL_SCALES[plain]
    if plain in _FRACTIONS:
        return "fraction", _FRACTIONS[plain]
    if plain in FACT_WORDS:
        value = int(FACT_WORDS[plain])
        kind = "unit" if value < 10 else "teen" if value < 20 else "tens" if value < 100 \
            else "hundred" if value == 100 else "scale"
        return kind, value
    if plain in _POINT_WORDS:
        return "point", 0
    if plain in _OH_WORDS:
        return "oh", 0
    if plain in _CONNECTORS:
        return "and", 0
    return "word", 0


def _claim_words(text: str) -> list[str]:
    """The text's tokens for reading numbers: folded, apostrophes joined, numbers in
    digits whole ("1,000", "1.5", "1/2", "19th", "1990s"), "%" a word of its own."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    folded = re.sub(r"(?<=\w)['’`´](?=\w)", "", folded)
    folded = _PER_CENT.sub("percent", _NON_PREFIX.sub("non", folded))
    return _CLAIM_TOKEN.findall(folded)


def _read(text: str, *, claim: bool) -> list[Fact]:
    """The numbers and negations a text states, each as the set of ways it may be said.
    For a claim (an item's text), a lone "one" (a pronoun, "one of"), a lone "first"
    or "second" and a lone word that is a number only in another language ("once")
    state nothing; in what the transcript says (claim=False) every reading counts, and
    a percentage or fraction also counts as the other ("50 percent", "half")."""
    tokens = _claim_words(text)
    kinds = [_kind(token) if not token[0].isdigit() else ("digits", 0) for token in tokens]
    readings: list[_Reading] = []
    negations = 0
    reading: _Reading | None = None

    def start(index: int, **fields: Any) -> _Reading:
        new = _Reading(begin=index, **fields)
        readings.append(new)
        return new

    def ahead(index: int) -> str:
        return kinds[index][0] if index < len(kinds) else ""

    skip = 0
    for index, (token, (kind, value)) in enumerate(zip(tokens, kinds, strict=True)):
        if skip:
            skip -= 1
            continue
        r = reading
        last = r.last if r is not None else ""
        if kind == "digits":
            match = _DIGIT_TOKEN.fullmatch(token)
            if match is None:  # pragma: no cover - the token pattern is the same
                reading = None
                continue
            number, over, suffix = match.groups()
            values = {v / int(over) for v in _digit_values(number)} if over and \
                int(over) else _digit_values(number)
            kind_of = "ord" if suffix in ("st", "nd", "rd", "th") else \
                "dec" if suffix == "s" and not over else "n"
            reading = start(index, digits=frozenset(values), last="digits", kind=kind_of,
                            chunk=False, size=1)
        elif kind == "not":
            negations += 1
            reading = None
            continue
        elif kind == "unit" and r is not None and last in ("point", "decimal"):
            r.decimals += str(value)
            r.last = "decimal"
        elif kind == "unit" and r is not None and r.oh and last == "oh":
            r.current, r.last = Fraction(value), "unit"
        elif kind in ("unit", "teen", "tens") and r is not None and (
                last in ("hundred", "scale", "and")
                or (kind == "unit" and last == "tens" and r.current % 10 == 0)):
            r.current += value
            r.last = kind
            r.chunk = r.chunk and r.total == 0 and r.current < 100
        elif kind in ("unit", "teen", "tens"):
            reading = start(index, current=Fraction(value), last=kind)
        elif kind == "hundred":
            if r is not None and last in ("unit", "teen", "tens") and 0 < r.current < 100:
                r.current *= 100
                r.last, r.chunk = "hundred", False
            else:
                reading = start(index, current=Fraction(100), last="hundred", chunk=False)
        elif kind in ("scale", "plural"):
            if r is not None and last in ("unit", "teen", "tens", "hundred", "decimal",
                                          "digits", "fraction"):
                if r.digits:
                    r.digits = frozenset(v * value for v in r.digits)
                else:
                    r.total += (r.values().pop() - r.total) * value
                    r.current, r.decimals = Fraction(0), ""
                r.last, r.chunk = "scale", False
            elif kind == "plural":
                reading = start(index, current=Fraction(value), kind="many", last="end",
                                chunk=False)
            else:
                reading = start(index, total=Fraction(value), last="scale", chunk=False)
        elif kind == "fraction" or (kind == "ordinal" and value >= 3 and not (
                r is not None and last == "tens" and value < 10)):
            if r is not None and last in ("unit", "teen", "tens") and r.total == 0 and \
                    r.current > 0 and not r.decimals:
                r.current /= value  # "two thirds"
                r.last, r.chunk = "fraction", False
            elif r is not None and last == "digits" and r.kind == "n":
                r.digits = frozenset(v / value for v in r.digits)  # "3 quarters"
                r.last = "fraction"
            else:
                alternatives = frozenset({("ord", str(value))}) if kind == "ordinal" \
                    else frozenset()
                reading = start(index, current=Fraction(1, value), last="fraction",
                                chunk=False, alternatives=alternatives)
        elif kind == "ordinal":
            if r is not None and last == "tens" and value < 10:  # "twenty-first"
                r.current += value
                r.kind, r.last, r.chunk = "ord", "end", False
            else:
                reading = start(index, current=Fraction(value), kind="ord", last="end",
                                chunk=False)
        elif kind == "decade":
            reading = start(index, current=Fraction(value), kind="dec", last="end")
        elif kind == "percent":
            if r is not None and r.kind == "n" and last != "end":
                r.kind, r.last = "%", "end"
                r.end = index + 1
            reading = None
            continue
        elif kind == "point" and r is not None and last in ("unit", "teen", "tens") and \
                not r.decimals and ahead(index + 1) == "unit":
            r.last = "point"
        elif kind == "oh" and r is not None and r.chunk and 10 <= r.current and \
                ahead(index + 1) == "unit":
            reading = start(index, last="oh", oh=True)
        elif kind == "and" and r is not None and last in (
                "unit", "teen", "tens", "hundred", "scale", "digits") and \
                index + 2 < len(tokens) and tokens[index + 1] in _ARTICLES and \
                kinds[index + 2][0] == "fraction":  # "one and a half (million)"
            half = Fraction(1, kinds[index + 2][1])
            if r.digits:
                r.digits = frozenset(v + half for v in r.digits)
            else:
                r.current += half
            r.last, r.chunk = "fraction", False
            r.size += 2
            skip = 2
        elif kind == "and" and r is not None and (
                (last in ("hundred", "scale") and ahead(index + 1) in ("unit", "teen", "tens"))
                or (last == "tens" and (ahead(index + 1) == "unit"
                                        or (index + 1 < len(tokens)
                                            and tokens[index + 1] in _ONE_AFTER_CONNECTOR)))):
            if ahead(index + 1) in ("unit", "teen", "tens"):
                r.last = "and"
            else:  # "vingt et un", "treinta y una": the article is one here
                r.current += 1
                r.last = "unit"
                skip = 1
        else:
            reading = None
            continue
        if reading is None:  # pragma: no cover - every branch above reads a number
            continue
        reading.size += 1
        reading.end = index + 1 + skip
        reading.ambiguous = reading.size == 1 and _plain(token) in _AMBIGUOUS

    facts: list[set[Key]] = []
    for number, reading in enumerate(readings):
        facts.append(reading.fact())
        previous = readings[number - 1] if number else None
        # Two halves of a year: "thirteen forty-seven", "nineteen oh five", "twenty
        # twenty", "nineteen nineties".
        if previous is not None and previous.end == reading.begin and previous.chunk and \
                previous.kind == "n" and 10 <= previous.current < 100 and reading.chunk and \
                reading.kind in ("n", "dec") and (10 <= reading.current < 100 or reading.oh):
            year = (reading.kind, str(previous.current * 100 + reading.current))
            facts[number - 1].add(year)
            facts[number].add(year)
    out: list[Fact] = []
    for reading, fact in zip(readings, facts, strict=True):
        if claim and reading.size == 1 and not reading.digits and len(fact) == 1 and (
                reading.ambiguous or (reading.kind in ("n", "ord")
                                      and reading.values() <= {Fraction(1), Fraction(2)}
                                      and (reading.kind == "ord"
                                           or reading.values() == {Fraction(1)}))):
            continue
        if not claim:
            for sort, said in list(fact):
                amount = Fraction(said) if sort in ("n", "%") else Fraction(0)
                if sort == "%":
                    fact |= {("n", said), ("n", str(amount / 100))}
                elif sort == "n" and 0 < amount < 1:
                    fact.add(("%", str(amount * 100)))
        out.append(frozenset(fact))
    out += [frozenset({NOT})] * negations
    return out


def stated_facts(text: str) -> list[Fact]:
    """The numbers, dates and negations an item's text states, each as the ways it may
    be said; what stands inside a LaTeX formula ($...$) is left to the quote."""
    return _read(_MATH_SPAN.sub(" ", text), claim=True)


def said_facts(text: str) -> set[Key]:
    """Every way the transcript (or a quote) says a number or a negation."""
    return {key for fact in _read(text, claim=False) for key in fact}


def _same_word(one: str, other: str) -> bool:
    """The same word, give or take an ending ("change", "changes", "changed")."""
    if one == other:
        return True
    shorter, longer = sorted((one, other), key=len)
    return len(shorter) >= 4 and longer.startswith(shorter) and len(longer) - len(shorter) <= 3


def _negated_words(quote: Sequence[str]) -> list[str]:
    """The words the quote's verb negations negate: "does not change" -> "change"."""
    negated = []
    for index, word in enumerate(quote):
        if _plain(word) not in _VERB_NEGATIONS:
            continue
        for follower in quote[index + 1:index + 4]:
            if follower in _NEGATED_IDIOMS:
                break
            if follower not in _NEGATED_SKIP and not _DIGITS_RE.search(follower):
                negated.append(follower)
                break
    return negated


def claim_agrees(claim: str, quote: str, sentence: str) -> bool:
    """Whether an item's text states nothing its quote and the transcript sentence
    around it do not: every number, date and negation of the claim is said there, in
    any form (stated_facts, said_facts), and a negation of the quote is not dropped
    from the very word it negates ("a shear does not change the area" is no ground
    for "a shear changes the area"). Linear in the lengths of the three texts."""
    stated = stated_facts(claim)
    said = said_facts(f"{quote} {sentence}")
    if not all(fact & said for fact in stated):
        return False
    if any(NOT in fact for fact in stated):
        return True
    claimed = words(_MATH_SPAN.sub(" ", claim))
    if any(_plain(word) in _SOFT_NEGATIONS for word in claimed):
        return True
    return not any(_same_word(negated, word) for negated in _negated_words(words(quote))
                   for word in claimed)


def claim_text(item: dict[str, Any]) -> str:
    """What an item claims: a concept's definition, a review question's answer, a key
    point's or bullet's text."""
    for key in ("definition", "answer", "text"):
        if isinstance(item.get(key), str):
            return str(item[key])
    return ""


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
