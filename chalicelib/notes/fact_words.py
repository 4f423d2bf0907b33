"""The vocabulary of facts a quote and a claim are compared on (docs/DESIGN.md section 6):
words folded as the service compares them (standalone fillers dropped), number words in
en, de, es, fr and pt with the value each stands for, and negations.
chalicelib.notes.grounding finds quotes with it; chalicelib.notes.claims checks that an
item's text says no more than its quote.
"""
from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Sequence

FILLERS = frozenset({"um", "umm", "uh", "uhh", "erm", "er", "äh", "ähm", "öhm", "eh", "euh",
                     "mhm", "hmm"})
WORD_RE = re.compile(r"[^\W_]+", re.UNICODE)
DIGITS_RE = re.compile(r"\d+")

# Number words (en, de, es, fr, pt; compared without accents) and the value they stand
# for, so that "twenty" and "20" agree while "a half" and "a third" do not. Articles that
# double as "one" (a, ein, un, una, um) are left out: they are in almost every sentence.
NUMBERS: dict[str, tuple[str, ...]] = {
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
NT_CONTRACTIONS = frozenset({
    "dont", "doesnt", "didnt", "isnt", "arent", "wasnt", "werent", "cant", "couldnt",
    "wont", "wouldnt", "shouldnt", "hasnt", "havent", "hadnt", "mustnt", "neednt", "aint",
    "mightnt", "shant",
})


def fold_word(word: str) -> str:
    """The word without accents, so "não" and caption "nao" are the same fact."""
    return "".join(c for c in unicodedata.normalize("NFD", word)
                   if not unicodedata.combining(c))


FACT_WORDS: dict[str, str] = {fold_word(w): value for value, names in NUMBERS.items()
                              for w in names}
NEGATION_KEYS = frozenset(fold_word(w) for w in NEGATIONS)


def fact_tokens(folded: Sequence[str]) -> list[tuple[str, bool]]:
    """The words as (token, is_fact): digit-bearing words as written, number words as
    their value, negations as themselves and "n't" contractions as stem + "not"."""
    tokens: list[tuple[str, bool]] = []
    for word in folded:
        plain = fold_word(word)
        if DIGITS_RE.search(word):
            tokens.append((word, True))
        elif plain in FACT_WORDS:
            tokens.append((FACT_WORDS[plain], True))
        elif plain in NEGATION_KEYS:
            tokens.append((plain, True))
        elif plain in NT_CONTRACTIONS:
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



def words(text: str) -> list[str]:
    """The words that count when comparing quotes: folded, apostrophes joined, no fillers."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    folded = re.sub(r"(?<=\w)['’`´](?=\w)", "", folded)
    return [w for w in WORD_RE.findall(folded) if w not in FILLERS]
