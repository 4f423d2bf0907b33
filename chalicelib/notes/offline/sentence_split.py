"""The offline writer's sentences: captions rebuilt into what the lecturer said.

Human captions are cut where a sentence ends. Automatic captions have no punctuation,
so they are cut at scored boundaries (`_spoken_groups`): a pause (between words where
the captions time each word, as YouTube's automatic ones do; else between captions), a
standalone "um"/"uh", a discourse marker ("so", "now", "okay"), a caption break before
a word that opens a clause, and length; never after a word that cannot end a sentence
("the", "of", "we") or before one that cannot start one ("of", "is"). Where the
captions themselves are cut at sentence ends (almost no break falls after "the"), a
break counts as one.

A pause is measured against the lecture's own pace: the time from a word's start to
the next one's, less what a word of its length takes at the lecturer's median pace, in
units of the median time between words. Speakers pause at about half their sentence
ends and also hesitate mid-sentence (in a real automatic-caption recording, a pause of
two units follows one word in five that ends a sentence, and one in fifty that does
not), so a long pause cuts alone, a shorter one adds to the other signs, and none at
all takes from them. Each sentence starts at its first word's own time where words
are timed. A spoken sentence is then written as a reader expects one: a capital and a
full stop (a question mark where it asks), while its quote stays as said.
bench/sentences.py measures the cuts against the same speech's human captions.

Fillers are the lecture language's own (chalicelib.notes.offline.words SOUNDS,
WORDLIKE) and are removed only where they stand alone ("um", "uh", ", you know,"),
never inside a sentence where they are words ("if you know where the ships came
from"; German "um acht Uhr", "um ... zu"). A leading discourse word is dropped, and
every sentence keeps its verbatim quote. Course logistics, like-and-subscribe
requests, sponsor reads (and every sentence naming the sponsor) and licence text are
marked as noise.
"""
from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from chalicelib.notes.offline import boundaries
from chalicelib.notes.offline.words import (
    ABBREVIATIONS,
    CLAUSE_OPENERS,
    CLAUSE_STARTS,
    LEADING_DISCOURSE,
    NEVER_ENDS,
    NEVER_STARTS,
    NOISE,
    SPOKEN_OPENERS,
    SPOKEN_QUESTION,
    STOPWORDS,
    SUBJECT_PRONOUNS,
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
PAUSE_SECONDS = 0.7  # the shortest pause that ends a spoken clause (unless gaps are usual)
# Unpunctuated speech: a sentence has at least MIN_SPOKEN_WORDS words; one of
# LONG_RUN_WORDS is cut at the best place it passed; at HARD_MAX_WORDS wherever it is.
MIN_SPOKEN_WORDS, LONG_RUN_WORDS, HARD_MAX_WORDS = 4, 34, 45
SPLIT_SCORE = 1.5
# Pauses between timed words, in units of the lecture's median time between words
# (after what the word itself takes): one of LONG_PAUSE cuts alone, one of PAUSE adds.
PAUSE_UNITS, LONG_PAUSE_UNITS = 1.5, 3.0
PAUSE_WEIGHT, LONG_PAUSE_WEIGHT = 1.0, 1.5
# No pause at all between timed words: the other signs count for less (on real
# automatic captions, "so" or "we" said without a break rarely starts a sentence).
NO_PAUSE_UNITS, NO_PAUSE_PENALTY = 0.3, 1.0
# Word times are used where most of the captions' words carry their own.
TIMED_SHARE = 0.5
ALIGNED_BLOCKED = 0.05  # breaks after "the" or before "of" in sentence-aligned captions
# English speech: what the words around a gap say (chalicelib.notes.offline.boundaries,
# log-odds beyond the prior), weighed against the other signs.
WORDS_WEIGHT = 0.5


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
    tokens: tuple[int, int] = (0, 0)  # its caption tokens: first, and one past the last

    @property
    def size(self) -> int:
        return len(self.text.split())


def _is_punctuated(transcript: Transcript) -> bool:
    """Sentence ends written in the captions (wherever a caption line is cut): about
    one in fifteen words in human captions, none in automatic ones."""
    tokens = [token for segment in transcript.segments for token in segment.text.split()]
    ends = sum(1 for token in tokens if token.rstrip("\"')”»").endswith((".", "?", "!")))
    return ends >= max(2, len(tokens) // 80)


def shown_as_spoken(transcript: Transcript) -> bool:
    """Automatic or unpunctuated captions: cut at the boundaries speech gives."""
    return transcript.is_generated or not _is_punctuated(transcript)


def _tokens(transcript: Transcript) -> list[tuple[str, int]]:
    """(token, segment index) for every whitespace token of the captions."""
    return [(token, number) for number, segment in enumerate(transcript.segments)
            for token in segment.text.split()]


# A name's initial ("G." of "G. E. Moore", "J." of "J. S. Mill").
_INITIAL_RE = re.compile(r"^\(?[A-Z]\.$")
_FUNCTION_WORDS = frozenset().union(*STOPWORDS.values())
_ROMAN = frozenset("IVX")  # "World War I. Germany lost ..."
_AROUND_NAME = "\"'“”(),;:"  # quotes and punctuation a name may stand between


def _name_word(token: str) -> bool:
    """A capitalised word that may be a name: no function word, a possessive or a
    hyphen allowed ("Moore's", "Lennard-Jones")."""
    word = re.sub(r"['’]s$", "", token.strip(_AROUND_NAME)).replace("-", "")
    return word[:1].isupper() and word.isalpha() and word.casefold() not in _FUNCTION_WORDS


def _is_initial(token: str, following: str, previous: str | None) -> bool:
    """Whether a capital and a full stop are a name's initial rather than a sentence's
    end: followed by another initial ("G. E. Moore", "C. D. Broad"), or followed by a
    name and itself after an initial or a given name ("E. Moore", "Franklin D.
    Roosevelt"). "the matrix A. Multiply it", "point A. Then" and "World War I.
    Germany" end sentences."""
    if not _INITIAL_RE.match(token):
        return False
    if _INITIAL_RE.match(following.strip(_AROUND_NAME)):
        return True
    if not _name_word(following) or previous is None:
        return False
    return bool(_INITIAL_RE.match(previous)) or (
        token.strip("(.") not in _ROMAN and not previous.endswith(SENTENCE_END)
        and _name_word(previous))


def _ends_sentence(token: str, following: str | None, previous: str | None = None) -> bool:
    if not token.endswith(SENTENCE_END) or token.casefold() in ABBREVIATIONS:
        return False
    if following is None:
        return True
    if _is_initial(token, following, previous):
        return False
    first = following.lstrip("\"'“(¿¡")[:1]
    if first.isupper() or first.isdigit() or following[:1] in "\"“¿¡(":
        return True
    # A lower-case word after a full stop still starts a sentence when the stop ends a
    # word, not an initial or a number ("... second column. i hat stays put", "def
    # __init__" said as code): abbreviations are excluded above.
    word = token.rstrip(".?!…\"'”)")
    return len(word) >= 3 and not any(c.isdigit() for c in word) and "." not in word


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
    auto = shown_as_spoken(transcript)
    times = word_times(transcript, spread=False)  # untimed: the caption's own start
    out: list[Sentence] = []
    position = 0
    for group in _token_groups(transcript, auto):
        span, position = (position, position + len(group)), position + len(group)
        if not group:
            continue
        raw = " ".join(token for token, _ in group)
        shown = _tidy(raw, auto, transcript.language or "en")
        if not shown:
            continue
        if auto and out and len(shown.split()) < MIN_WORDS and out[-1].size < MAX_WORDS:
            # A short clause joins the one before it, as it was said (up to MAX_WORDS:
            # each join rebuilds the sentence, so its length bounds the work).
            last = out[-1]
            last.text, last.quote = f"{last.text} {shown}", f"{last.quote} {raw}"
            last.words = fold(last.text)
            last.tokens = (last.tokens[0], span[1])
            continue
        quote = _quote_of(raw, shown)
        first = span[0] + len(group) - len(quote.split())  # the quote's first token
        sentence = Sentence(len(out), shown, quote, times[first],
                            group[0][1] + 1, fold(shown), tokens=span)
        sentence.question = shown.rstrip("\"'”)").endswith("?")
        out.append(sentence)
    if auto:
        for sentence in out:
            sentence.text = _written(sentence.text, transcript.language or "en")
            sentence.question = sentence.text.endswith("?")
    _mark_noise(out)
    return out


def said_sentences(transcript: Transcript) -> list[tuple[float, str]]:
    """The transcript rebuilt into sentences across caption lines, verbatim (fillers and
    all, so a quote copied from one is found), each with the time of its first word
    (its own where the captions time words, else spread evenly over its caption). What
    Claude is given (chalicelib.notes.claude)."""
    offsets = word_times(transcript)
    out: list[tuple[float, str]] = []
    position = 0
    for group in _token_groups(transcript, shown_as_spoken(transcript)):
        if group:
            out.append((round(offsets[position], 2), " ".join(token for token, _ in group)))
        position += len(group)
    return out


def word_times(transcript: Transcript, spread: bool = True) -> list[float]:
    """When each caption token starts: its own time where the captions give one
    (Segment.word_starts), else its caption's start, spread evenly over the caption's
    duration if `spread`."""
    times: list[float] = []
    for segment in transcript.segments:
        count = len(segment.text.split())
        if segment.word_starts is not None and len(segment.word_starts) == count:
            times += segment.word_starts
        else:
            step = segment.duration / count if spread and count else 0.0
            times += [segment.start + step * n for n in range(count)]
    return times


def _pauses(transcript: Transcript) -> list[float] | None:
    """The pause after each token, in units of the lecture's median time between words:
    the time to the next word's start beyond what a word of its length takes at the
    median pace (seconds per letter). None unless most words carry their own time."""
    segments = transcript.segments
    timed = sum(len(s.word_starts) for s in segments if s.word_starts is not None)
    tokens = [token for segment in segments for token in segment.text.split()]
    if len(tokens) < 2 or timed < TIMED_SHARE * len(tokens):
        return None
    times = word_times(transcript)
    intervals = [max(0.0, b - a) for a, b in itertools.pairwise(times)]
    letters = [len(_plain(token)) + 1 for token in tokens]
    pace = _median([gap / size for gap, size in zip(intervals, letters, strict=False)])
    unit = _median(intervals)
    if unit <= 0:
        return None
    return [max(0.0, gap - pace * size) / unit
            for gap, size in zip(intervals, letters, strict=False)] + [0.0]


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2] if ordered else 0.0


def _written(spoken: str, language: str) -> str:
    """A spoken sentence as a reader expects it: a capital, "I" in English, and a full
    stop (a question mark where it asks: "why do we ..."). The quote stays as said."""
    text = spoken.strip(" ,;")
    if language.split("-")[0].lower() == "en":
        text = re.sub(r"(?<![\w'’])i(?=$|[\s'’])", "I", text)
    text = text[:1].upper() + text[1:]
    if text.endswith((".", "?", "!", "…")):
        return text
    asks = SPOKEN_QUESTION.match(text) is not None
    return text + ("?" if asks else ".")


def _token_groups(transcript: Transcript, auto: bool) -> list[list[tuple[str, int]]]:
    """The caption tokens (with their segment) grouped into sentences: cut where a
    sentence ends, or in speech shown as spoken, at the boundaries speech gives."""
    if auto:
        return _spoken_groups(transcript)
    tokens = _tokens(transcript)
    groups: list[list[tuple[str, int]]] = [[]]
    for position, (token, number) in enumerate(tokens):
        following = tokens[position + 1][0] if position + 1 < len(tokens) else None
        previous = tokens[position - 1][0] if position else None
        groups[-1].append((token, number))
        if _ends_sentence(token, following, previous):
            groups.append([])
    return groups


@dataclass(frozen=True)
class _SpokenCues:
    """What marks a sentence boundary in the lecture's language, and the pause length."""

    never_ends: frozenset[str]
    never_starts: frozenset[str]
    openers: frozenset[str]
    clause_starts: frozenset[str]
    subjects: frozenset[str]
    sounds: frozenset[str]
    pause: float
    silence: list[float]  # after each caption
    aligned: bool  # the captions' breaks fall where sentences end
    pauses: list[float] | None  # after each token, where words are timed (_pauses)
    # After each token, what the words say (English only; not where the captions are
    # cut at sentence ends: their breaks are the better evidence).
    said: list[float] | None


def _spoken_cues(transcript: Transcript) -> _SpokenCues:
    language = (transcript.language or "en").split("-")[0].lower()
    segments = transcript.segments
    # The silence after a caption: the time to the next one beyond what its words take at
    # the lecture's usual pace. Automatic captions leave no gap between cues: a pause
    # shows as a cue that lasts longer than its words.
    paces = sorted(s.duration / len(s.text.split()) for s in segments if s.text.split())
    pace = paces[len(paces) // 2] if paces else 0.0
    silence = [max(0.0, b.start - a.start - pace * len(a.text.split()))
               for a, b in itertools.pairwise(segments)] + [0.0]
    usual = sorted(silence[:-1])
    # A pause is a silence longer than the captions' usual one.
    pause = max(PAUSE_SECONDS, 2 * usual[len(usual) // 2]) if usual else PAUSE_SECONDS
    empty: frozenset[str] = frozenset()
    never_ends = NEVER_ENDS.get(language, empty)
    never_starts = NEVER_STARTS.get(language, empty)
    # Captions cut where sentences end (cues written one sentence each) almost never
    # break after "the" or before "of"; automatic captions, cut every few words, often
    # do. Only in the first kind is a caption break itself a sign of a sentence end.
    breaks = [(_plain(a.text.split()[-1]), _plain(b.text.split()[0]))
              for a, b in itertools.pairwise(transcript.segments)
              if a.text.split() and b.text.split()]
    blocked = sum(1 for last, first in breaks if last in never_ends or first in never_starts)
    aligned = bool(never_ends) and len(breaks) >= 5 and blocked <= ALIGNED_BLOCKED * len(breaks)
    return _SpokenCues(never_ends, never_starts,
                       SPOKEN_OPENERS.get(language, empty) | CLAUSE_OPENERS,
                       CLAUSE_STARTS.get(language, empty), SUBJECT_PRONOUNS.get(language, empty),
                       sounds_of(language), pause, silence,
                       aligned, _pauses(transcript),
                       None if aligned else _said(transcript, language))


def _said(transcript: Transcript, language: str) -> list[float] | None:
    """After each token, the boundary model's log-odds that a sentence ends there
    (English: the language it was trained on); None in other languages."""
    if language != "en" or WORDS_WEIGHT == 0:
        return None
    model = boundaries.model()
    words = [boundaries.word_of(token) for token, _ in _tokens(transcript)]
    return [model.log_odds(words, position) for position in range(len(words))]


def _boundary_score(cues: _SpokenCues, previous: str, word: str, run: int,
                    caption_break: bool, gap: float, pause: float | None,
                    said: float | None = None) -> float:
    """How strongly speech marks a sentence boundary before `word`, after a run of `run`
    words: 0 where grammar forbids one (after "the", before "of"), else the sum of the
    signs. SPLIT_SCORE or more cuts there. `pause`: the pause between the two words
    (_pauses), None where words are not timed and `gap`, the silence after a caption,
    stands for it. `said`: what the words around the gap say (_said), where known."""
    if run < MIN_SPOKEN_WORDS:
        return 0.0
    if (previous in cues.never_ends or word in cues.never_starts) and run < HARD_MAX_WORDS:
        return 0.0
    score = 0.0
    if caption_break:
        score += 1.5 if cues.aligned else 0.5
        if gap > cues.pause:
            score += 1.5
    if pause is not None and pause >= PAUSE_UNITS:
        score += LONG_PAUSE_WEIGHT if pause >= LONG_PAUSE_UNITS else PAUSE_WEIGHT
    elif pause is not None and pause < NO_PAUSE_UNITS:
        score -= NO_PAUSE_PENALTY
    if is_sound(word, cues.sounds):
        score += 1.5
    elif word in cues.openers:
        score += 1.5
    elif word in cues.subjects:
        score += 1.0
    elif word in cues.clause_starts:
        score += 0.5
    if said is not None:
        score += WORDS_WEIGHT * said
    return score


def _spoken_groups(transcript: Transcript) -> list[list[tuple[str, int]]]:
    """Unpunctuated speech cut into sentences: where the boundary score reaches
    SPLIT_SCORE (a caption break with a pause, a discourse marker such as "so", "now",
    "okay", a caption break before a clause opener in captions cut at sentence ends),
    and a run that reaches LONG_RUN_WORDS at the best-scored place it passed (a caption
    break, a clause opener), never after a word that cannot end a sentence or before one
    that cannot start it; at HARD_MAX_WORDS wherever it is. Linear: a run is cut at
    most once per MIN_SPOKEN_WORDS of its tokens."""
    cues = _spoken_cues(transcript)
    groups: list[list[tuple[str, int]]] = [[]]
    candidates: list[tuple[float, int]] = []  # (score, where in the current group)
    run = 0

    def counted(tokens: list[tuple[str, int]]) -> int:
        return sum(1 for token, _ in tokens if not is_sound(_plain(token), cues.sounds))

    for position, (token, number) in enumerate(_tokens(transcript)):
        current = groups[-1]
        word = _plain(token)
        if current:
            previous, previous_number = _plain(current[-1][0]), current[-1][1]
            gap = cues.silence[previous_number]
            pause = cues.pauses[position - 1] if cues.pauses is not None else None
            said = cues.said[position - 1] if cues.said is not None else None
            score = _boundary_score(cues, previous, word, run, number != previous_number, gap,
                                    pause, said)
            if score >= SPLIT_SCORE or run >= HARD_MAX_WORDS:
                groups.append([])
                current, run, candidates = groups[-1], 0, []
            elif score > 0:
                candidates.append((score, len(current)))
        current.append((token, number))
        if not is_sound(word, cues.sounds):
            run += 1
        if run >= LONG_RUN_WORDS and candidates:
            _, at = max(candidates)  # the strongest sign; of equals, the latest
            groups[-1], tail = current[:at], current[at:]
            groups.append(tail)
            candidates = [(score, where - at) for score, where in candidates
                          if where - at >= MIN_SPOKEN_WORDS]
            run = counted(tail)
    return groups


def _plain(token: str) -> str:
    return token.casefold().strip(".,;:!?\"'“”()[]")


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

