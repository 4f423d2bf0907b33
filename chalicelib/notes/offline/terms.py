"""The offline writer's terms: the lecture's key phrases, and the term a sentence defines.

Key phrases are one to three words, multi-word where the lecture uses them, and begin
and end with content words. A concept needs a sentence that defines it ("X is a ...",
"this is called X", "we call this X", "which is known as X", and the same in de, es,
fr, pt: chalicelib.notes.offline.words DEFINITIONS). Function words, numbers,
example-bound fragments ("the second column") and tautologies never are concepts, nor
is a function call ("when you call Account") or a named example ("a method called
deposit").
"""
from __future__ import annotations

import re
from collections.abc import Sequence

from chalicelib.notes.offline.sentence_split import MAX_WORDS, Sentence
from chalicelib.notes.offline.words import (
    DEFINITIONS,
    FILLERS,
    GENERIC,
    LINKS,
    PRONOUNS,
    REFERRING,
    TERM_NUMBERS,
    fold,
)


def key_phrases(items: Sequence[Sentence], stop: frozenset[str], limit: int = 30,
                english: bool = True) -> list[str]:
    """Phrases of one to three words that begin and end with content words (in English,
    not on a verb's past form), ranked by how many sentences use them, longer phrases
    first among equals."""
    counts: dict[tuple[str, ...], int] = {}
    for sentence in items:
        if sentence.noise:
            continue
        seen: set[tuple[str, ...]] = set()
        words = sentence.words
        for n in (1, 2, 3):
            for i in range(len(words) - n + 1):
                gram = tuple(words[i:i + n])
                if gram[0] in stop or gram[-1] in stop or any(
                        w in FILLERS or w.isdigit() for w in gram) or any(
                        w in stop and w not in LINKS for w in gram[1:-1]):
                    continue
                if n == 1 and len(gram[0]) < 4:
                    continue
                if english and n > 1 and _past_tense(gram[-1]):
                    continue  # "gutenberg combined": a subject and its verb, no term
                seen.add(gram)
        for gram in seen:
            counts[gram] = counts.get(gram, 0) + 1
    scored = []
    for gram, count in counts.items():
        if count < (3 if len(gram) == 1 else 2):
            continue
        scored.append((count * (1 + 0.6 * (len(gram) - 1)), gram))
    scored.sort(key=lambda pair: (-pair[0], pair[1]))
    chosen: list[tuple[str, ...]] = []
    for _, gram in scored:
        text = " ".join(gram)
        if any(text in " ".join(c) for c in chosen):
            continue  # a longer phrase already holds it
        chosen = [c for c in chosen if not (" ".join(c) in text and counts[c] <= counts[gram]
                                             * 1.5)]
        chosen.append(gram)
        if len(chosen) >= limit:
            break
    return [" ".join(gram) for gram in chosen]



def _past_tense(word: str) -> bool:
    """An English verb's past form ("combined", "printed"), which ends no key phrase: a
    term is a noun phrase. Six letters at least, and not "-eed" ("speed", "breed")."""
    return len(word) >= 6 and word.endswith("ed") and not word.endswith("eed")


def _good_term(term: str, stop: frozenset[str]) -> str | None:
    """The term as the lecture says it: up to four words, ending before the first
    function word (a linking "of"/"de" between content words stays), never a pronoun."""
    words = term.strip(" ,.;:!?\"'“”").split()
    kept: list[str] = []
    for number, word in enumerate(words[:4]):
        folded = (fold(word) or [""])[0]
        if folded in stop or folded in FILLERS:
            following = (fold(words[number + 1]) or [""])[0] if number + 1 < len(words) \
                else ""
            if folded in LINKS and kept and following and following not in stop:
                kept.append(word)
                continue
            break
        kept.append(word)
    term_words = fold(" ".join(kept))
    if not kept or not term_words or term_words[0] in PRONOUNS or len("".join(term_words)) < 3:
        return None
    if len(words) and (fold(words[0]) or [""])[0] in stop:
        return None  # "And that choice is ...": not a term at the start
    return " ".join(kept).strip(" ,.;:!?\"'“”")


def definition_term(sentence: Sentence, language: str, stop: frozenset[str]) -> str | None:
    """The term a sentence defines, if it is a definition in the lecture's language."""
    if sentence.question or sentence.noise or sentence.size > MAX_WORDS:
        return None
    base = language.split("-")[0].lower()
    patterns = DEFINITIONS.get(base, []) + (DEFINITIONS["en"] if base != "en" else [])
    for pattern in patterns:
        match = pattern.search(sentence.text)
        if match and pattern.pattern.startswith("^"):
            # "X is a ...": the whole subject must be the term, or it is no definition.
            subject = match.group(1).split()
            term = _good_term(match.group(1), stop)
            if term and len(term.split()) == len(subject) and not (
                    base == "de" and not term[:1].isupper()) and _names_a_term(
                    term, sentence.text[match.end(1):], stop) and not (
                    match.group(0)[:4].casefold() == "the "
                    and fold(term)[-1] in GENERIC):  # "The clever part is the order."
                return term
            continue
        if match:
            # The term ends at the first punctuation after it.
            raw = re.split(r"[,.;:!?()](?!\d)", match.group(1))[0]
            term = _good_term(raw, stop)
            if term and base == "de" and not (term[:1].isupper() or term[:1].isdigit()):
                term = None  # German terms are nouns, written with a capital
            if term and _names_a_term(term, "", stop):
                return term
    return None


def _names_a_term(term: str, predicate: str, stop: frozenset[str]) -> bool:
    """Whether a defined term is one: not a number ("Five", "the number five"), not led by
    a word pointing into an example ("second column"), not only put in a class ("A list
    is an object.") and not defined by its own head noun ("A savings account is an
    account, so ...")."""
    words = fold(term)
    if not words or words[0] in REFERRING or all(
            w in TERM_NUMBERS or w in GENERIC for w in words):
        return False
    if predicate and len(fold(predicate)) <= 3:
        return False  # "A list is an object.": a class it belongs to, no definition
    # The predicate's noun phrase, when it ends the clause: "is an account." repeats the
    # term, "is the mass of one mole" defines it.
    head: list[str] = []
    for word in fold(re.split(r"[,.;:!?()]", predicate.strip(" ,"))[0])[1:]:
        if word in stop:
            if head:
                return True  # the phrase goes on: "of one mole", "that squashes ..."
            continue  # "is just an account": the copula's articles and adverbs
        head.append(word)
    singular = {w.removesuffix("s") for w in words}
    return not head or not all(w.removesuffix("s") in singular for w in head)

