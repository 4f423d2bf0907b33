"""A claim agrees with its quote (docs/DESIGN.md section 6): every number, date and
negation an item's text states must be said in its quote or the sentence around it, in
any form a lecturer says it ("1.5" and "one point five", "1347" and "thirteen
forty-seven", "not", "never" and "isn't"); what stands inside a LaTeX formula is left to
the quote. The sentence around a quote runs from the start of the sentence the quote
starts in to the end of the one it ends in, as its punctuation says; where no sentence
end is within SENTENCE_REACH words on a side (automatic captions have no punctuation),
CONTEXT_WORDS words on that side (chalicelib.notes.grounding.TranscriptText finds it).
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from chalicelib.notes.fact_words import (
    DIGITS_RE,
    FACT_WORDS,
    NEGATION_KEYS,
    NT_CONTRACTIONS,
    fold_word,
    words,
)

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
    NT_CONTRACTIONS
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


def ends_sentence(token: str) -> bool:
    """Whether a token as written ends a sentence ("1347." "right?" but not "Dr.")."""
    if not _SENTENCE_END.search(token):
        return False
    bare = token.rstrip("\"'”’»)]").casefold()
    if not bare.endswith(".") or bare.endswith(".."):
        return True
    stem = bare[:-1].lstrip("(\"'“‘«[")
    return not (stem in _ABBREVIATIONS or (len(stem) == 1 and stem.isalpha()))


def numberish(token: str) -> bool:
    """Whether a token as written is (part of) a number: digits or a number word."""
    return any(w.isdigit() or fold_word(w) in FACT_WORDS or fold_word(w) in _POINT_WORDS
               or fold_word(w) in _OH_WORDS for w in words(token))


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
    plain = fold_word(word)
    if plain in NEGATION_KEYS or plain in NT_CONTRACTIONS:
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
        reading.ambiguous = reading.size == 1 and fold_word(token) in _AMBIGUOUS

    return _stated(readings, claim) + [frozenset({NOT})] * negations


def _stated(readings: list[_Reading], claim: bool) -> list[Fact]:
    """Each reading's fact, with the years two readings say together; for a claim,
    without the lone words that state nothing; for the transcript, a percentage or
    fraction also as the other."""
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
        if claim and _states_nothing(reading, fact):
            continue
        if not claim:
            for sort, said in list(fact):
                amount = Fraction(said) if sort in ("n", "%") else Fraction(0)
                if sort == "%":
                    fact |= {("n", said), ("n", str(amount / 100))}
                elif sort == "n" and 0 < amount < 1:
                    fact.add(("%", str(amount * 100)))
        out.append(frozenset(fact))
    return out


def _states_nothing(reading: _Reading, fact: set[Key]) -> bool:
    """In a claim, a lone "one" (a pronoun, "one of"), a lone "first" or "second", or a
    lone word that is a number only in another language ("once")."""
    return reading.size == 1 and not reading.digits and len(fact) == 1 and (
        reading.ambiguous or (reading.kind in ("n", "ord")
                              and reading.values() <= {Fraction(1), Fraction(2)}
                              and (reading.kind == "ord"
                                   or reading.values() == {Fraction(1)})))


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
        if fold_word(word) not in _VERB_NEGATIONS:
            continue
        for follower in quote[index + 1:index + 4]:
            if follower in _NEGATED_IDIOMS:
                break
            if follower not in _NEGATED_SKIP and not DIGITS_RE.search(follower):
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
    if any(fold_word(word) in _SOFT_NEGATIONS for word in claimed):
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
