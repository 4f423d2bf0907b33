"""The offline writer: study notes from the transcript alone, with no network.

Used when no model is configured (the local default). It writes the same grounded
draft as Claude (docs/DESIGN.md sections 6 and 7), in the transcript's language:

- Sentences are rebuilt across caption segments. Automatic captions have no
  punctuation, so they are cut only where speech gives a boundary (a pause between
  segments, a standalone "um"/"uh", a clause-opening "so"/"okay"/"now") and shown as
  spoken: no capital or full stop is invented.
- Fillers are the lecture language's own (SOUNDS, WORDLIKE) and are removed only where
  they stand alone ("um", "uh", ", you know,"), never inside a sentence where they are
  words ("if you know where the ships came from"; German "um acht Uhr", "um ... zu").
- Course logistics, like-and-subscribe requests, sponsor reads and licence text are
  left out (NOISE, and every sentence naming the sponsor).
- Sentences are embedded with the shipped MiniLM model (chalicelib.knowledge.embeddings);
  the summary, key points and bullets are chosen by MMR (relevance to the lecture's
  centroid plus its key phrases and definitions, minus similarity to what is already
  chosen), spread over the lecture's time, and no sentence is used twice.
- Key phrases are multi-word where the lecture uses them; a concept needs a sentence
  that defines it ("X is a ...", "this is called X", "we call this X", "which is known
  as X", and the same in de, es, fr, pt). Function words, numbers, example-bound
  fragments ("the second column") and tautologies never are concepts, nor is a function
  call ("when you call Account") or a named example ("a method called deposit").
- Review questions are only ones the lecture answers: its own questions with the
  answer that follows, "What is X?" from a definition, and fill-in-the-blank from a key
  sentence; never a template about a keyword.
- Length is bounded: a detailed note stays well under half its transcript.

Every item's quote is its sentence, verbatim; generators.finish grounds it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Sequence

from chalicelib.notes.drafts import validate_draft

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

    from chalicelib.notes.drafts import Options
    from chalicelib.youtube.transcript_model import Transcript

# Function words per language: never concepts, never the ends of a key phrase.
STOPWORDS: dict[str, frozenset[str]] = {
    "en": frozenset("""
a about above after again against all almost also although always am an and another any
anyone anything are aren't around as at away back basically be became because become been
before being below between both but by can can't cannot could couldn't did didn't do does
doesn't doing don't done down during each either else enough even ever every everything few
first for from further get gets getting go goes going gonna got gotta had has have haven't
having he he's her here here's hers him his how however i i'd i'll i'm i've if in into is
isn't it it's its itself just kind kinda know let let's like little lot lots made make makes
many may maybe me might more most much must my never new next no nor not nothing now of off
oh ok okay on once one only or other others our ours out over own perhaps pretty probably
quite rather really right said same say says see seen she should so some something sort
still such sure take than that that's the their theirs them then there there's these they
they'd they'll they're they've thing things think this those though through thus to today
too two under until up upon us use used using very want wanna was wasn't way we we'd we'll
we're we've well went were weren't what what's whatever when where whether which while who
whom whose why will with within without won't would wouldn't yeah yes yet you you'd you'll
you're you've your yours actually alright anyway bit called call mean means look show
tell give
""".split()),
    "de": frozenset("""
aber alle allem allen aller alles also am an andere anderen auch auf aus bei beim bin bis
bisschen da dabei dadurch dafür damit dann das dass dem den denn der des dessen die dies diese
diesem diesen dieser dieses doch dort du durch eben ein eine einem einen einer eines einfach
er es etwa etwas euch für gar geht gibt hat hatte haben hier ich ihr ihre im immer in ist ja
jetzt kann kein keine können man mal mehr mit muss nach nicht noch nun nur ob oder ohne okay
schon sehr sein seine sich sie sind so sogar soll sondern also um und uns unter viel vom von
vor wann war warum was weil wenn wer werden wie wieder wir wird wo wohl zu zum zur zwei genau
eigentlich heute natürlich quasi halt eben dann also nennt nennen heißt
""".split()),
    "es": frozenset("""
a al algo algunos ante así aquí bien bueno cada como con cuando cuál de del desde donde dos
el ella ellos en entonces era es esa ese eso esta estamos están este esto estos ha hace hay
la las le les lo los más me mi muy mucho nada ni no nos o otra otro para pero poco por porque
pues que qué se sea ser si sí sin sobre son su sus también tan tanto te tiene todo todos tu
un una uno unos vamos va y ya yo eh o sea digamos llama llamamos
""".split()),
    "fr": frozenset("""
à au aussi autre aux avec avoir bien bon c'est ça ce cela celle celui ces cet cette comme
dans de des donc du elle en est et être euh fait il ils je la le les leur lui mais me même
mon ne nous on ou où par pas peu plus pour qu'il quand que quel qui sa se ses si son sont
sur ta te tout tous très tu un une vous voilà alors ben appelle appelé
""".split()),
    "pt": frozenset("""
a ao aos aquele as até com como da das de dela dele do dos e é ela ele eles em entre era essa
esse esta está este eu foi há isso isto já lhe mais mas me mesmo muito na não nas nem no nos
nós o os ou para pela pelo por porque que quando se sem ser seu sua são também te tem um uma
uns você vocês então né tipo chamado chamamos
""".split()),
}
# Generic words of speech: not function words (a term may hold them, "Avogadro's number"),
# but no key phrase begins or ends with one.
GENERIC = frozenset("""example examples question questions time times part parts point points
idea ideas number numbers thing things way ways case cases lot kind sort bit today video
lecture class course week minute minutes second seconds""".split())
# Fillers per language. SOUNDS are hesitations that are no word of that language (held
# with repeated letters squeezed: "ummm" is "um"): a caption token that is one stands
# alone, and in automatic captions it also ends a clause. WORDLIKE fillers are also
# words ("este" is "this", "you know" a verb phrase): removed only between commas or at
# the start of a clause before a comma. Another language's filler may be a word ("um" is German
# for "in order to" and "at", Portuguese for "a"), so no language gets another's.
SOUNDS: dict[str, frozenset[str]] = {
    "en": frozenset({"um", "uh", "uhm", "erm", "er", "hm", "mhm"}),
    "de": frozenset({"äh", "ähm", "öh", "öhm", "hm", "mhm"}),
    "es": frozenset({"eh", "ehm", "em", "hm", "mhm"}),
    "fr": frozenset({"euh", "heu", "hm", "mhm"}),
    "pt": frozenset({"hum", "ahn", "hã", "hm", "mhm"}),
}
NEUTRAL_SOUNDS = frozenset({"uhm", "hm", "mhm"})  # a language without its own list
WORDLIKE: dict[str, tuple[str, ...]] = {
    "en": ("you know",), "de": ("sozusagen",), "es": ("este", "o sea"),
    "fr": ("ben", "bah"), "pt": ("tipo", "né"),
}
# Never part of a term or key phrase, in any language.
FILLERS = frozenset().union(*SOUNDS.values())


def _sounds(language: str) -> frozenset[str]:
    return SOUNDS.get(language.split("-")[0].lower(), NEUTRAL_SOUNDS)


def _is_sound(token: str, sounds: frozenset[str]) -> bool:
    """Whether a caption token is a hesitation sound of the language ("Ummm," is "um")."""
    core = token.strip(",.;:!?…").casefold()
    return bool(core) and re.sub(r"(.)\1+", r"\1", core) in sounds


# Words that open a new clause in unpunctuated speech.
CLAUSE_OPENERS = frozenset({"so", "okay", "alright", "now", "also", "also", "entonces",
                            "bueno", "alors", "donc", "então"})
LEADING_DISCOURSE = re.compile(
    r"^(?:(?:okay|ok|alright|all right|so|and so|now|well|right|also|und|na ja|bueno|pues|"
    r"entonces|alors|bon|donc|então|bem)[,.]?\s+)+", re.I)
NOISE = re.compile(
    r"\b(?:sponsor(?:ed|s)?|promo code|the code \w+ at checkout|link (?:is )?in the "
    r"description|subscribe|like the video|hit(?:ting)? like|patreon|notification bell|"
    r"thanks for watching|see you (?:next|in the next|on|thursday|tuesday|monday|friday)|"
    r"problem set|office hours|midterm|practice exam|course website|due this|submission "
    r"server|logistics|announcements?|can people in the back|creative commons|all rights "
    r"reserved|licen[cs]ed? under|in the comments|abonnieren|suscríbete|abonnez)\b", re.I)
QUESTION_OPENERS = re.compile(
    r"^(?:why|what|how|when|which|who|where|is|are|does|do|can|warum|wieso|weshalb|woher|wie|"
    r"was|welche|wer|wo|por qué|qué|cómo|cuál|cuándo|dónde|quién|pourquoi|qu'est-ce|comment|"
    r"quel|quelle|porque|por que|o que|como|qual)\b", re.I)
RHETORICAL = re.compile(r"^(?:right|okay|ok|yeah|got it|make sense|any questions|no|see|"
                        r"thumbs up|great)\b", re.I)
CONCLUSION = re.compile(r"^(?:so|and so|that means|this means|in other words|therefore|"
                        r"remember|also|deshalb|daher|also|por eso|así que|donc|portanto)\b",
                        re.I)
ANSWER_OPENERS = re.compile(r"^(?:well|because|it's|it is|the answer|so|weil|na ja|also|"
                            r"porque|pues|bueno|parce que|eh bien)\b", re.I)

# Definition patterns per language: (pattern, group holding the term). The term must
# then pass _good_term.
_TERM = r"([^\W\d][\w'’-]*(?:\s+[\w'’-]+){0,3})"  # "__init__" is a term too
# Who names a thing. Not "you": "when you call Account", "letting you call the parent's
# version" call a function.
_NAMERS = r"(?:we|people|mathematicians|scientists|historians|philosophers|economists|" \
    r"physicists|biologists|chemists|programmers)"
# "is called X" in its defining frames only ("is/are/this is/that's/what's called X",
# "which is known as X"), never "called X" anywhere: "a method called deposit" names an
# example, it defines nothing.
_IS_CALLED = r"\b(?:is|are|was|were|be|'s|’s|'re|’re) " \
    r"(?:now |often |also |sometimes |usually |commonly |just |simply )?" \
    r"(?:called|known as|named|termed) "
DEFINITIONS: dict[str, list[re.Pattern]] = {
    "en": [re.compile(p, re.I) for p in (
        r"\b" + _NAMERS + r" (?:usually |often |sometimes |now |just )?call "
        r"(?:this|that|it|these|those|them|this thing) (?:the |an? )?" + _TERM,
        r"\bwhat " + _NAMERS + r" (?:usually |often |now )?call (?:the |an? )?" + _TERM,
        r"\bwhich (?:he|she|they|we|people|\w+ists) (?:called|named|dubbed) (?:the |an? )?"
        + _TERM,
        _IS_CALLED + r"(?:the |an? )?" + _TERM,
        r"^(?:the |an? )?" + _TERM + r",? (?:is|are|means|refers to) "
        r"(?:a|an|the|just|simply|basically|when|defined)\b",
        r"^(?:the |an? )?" + _TERM + r" (?:measures|quantifies|describes|counts) ",
        r"\b" + _NAMERS + r" define (?:the |an? )?" + _TERM + r" (?:as|to be)\b",
    )],
    "de": [re.compile(p, re.I) for p in (
        r"\b(?:man nennt|nennt man|nennen wir|heißt|heisst|bezeichnet man(?: als)?) "
        r"(?:[\w-]+ ){0,3}?(?:auch )?(?:den |die |das |einen |eine |ein )" + _TERM,
        r"\b(?:nennt man|nennen wir|heißt|heisst|bezeichnet man als) " + _TERM,
        r"^(?:der |die |das )?" + _TERM + r" (?:ist|sind|bedeutet|bezeichnet) "
        r"(?:ein|eine|einer|der|die|das|einfach|genau)\b",
        r"\bunter (?:der |dem |den )?" + _TERM + r" versteht man\b",
    )],
    "es": [re.compile(p, re.I) for p in (
        r"\b(?:se llama|se le llama|llamamos|se conoce como|(?:es|son) conocid[oa]s? como|"
        r"se denomina|lo que llamamos) (?:el |la |los |las )?" + _TERM,
        r"^(?:el |la |los |las )?" + _TERM + r" (?:es|son|significa) "
        r"(?:un|una|el|la|lo|cuando|donde|simplemente)\b",
    )],
    "fr": [re.compile(p, re.I) for p in (
        r"\b(?:on appelle (?:ça|cela|ceci)?|qu'on appelle|s'appelle|(?:est|sont) appelée?s?|"
        r"(?:est|sont) connue?s? sous le nom de|on définit) (?:le |la |les |l')?" + _TERM,
        r"^(?:le |la |les |l')?" + _TERM + r" (?:est|sont|signifie) (?:un|une|le|la|ce)\b",
    )],
    "pt": [re.compile(p, re.I) for p in (
        r"\b(?:(?:é|são|foi) chamad[oa]s?(?: de)?|chamamos (?:isso )?de|se chama|"
        r"(?:é|são) conhecid[oa]s? como|define-se) (?:o |a |os |as )?" + _TERM,
        r"^(?:o |a |os |as )?" + _TERM + r" (?:é|são|significa) (?:um|uma|o|a|quando)\b",
    )],
}
WHAT_IS = {"en": "What is meant by “{}”?", "de": "Was versteht man unter „{}“?",
           "es": "¿Qué se entiende por «{}»?", "fr": "Que signifie « {} » ?",
           "pt": "O que significa “{}”?"}
BLANK = {"en": "Fill in the blank: {}", "de": "Ergänzen Sie: {}", "es": "Completa: {}",
         "fr": "Complétez : {}", "pt": "Complete: {}"}
PRONOUNS = frozenset("it this that these those there here which what who they we you he she "
                     "i one something everything anything es das dies eso esto ça cela isso "
                     "isto er sie él ella il elle ele ela".split())
ABBREVIATIONS = frozenset("e.g. i.e. etc. vs. dr. mr. mrs. ms. prof. z.b. d.h. bzw. ca. "
                          "sr. sra. st. p.m. a.m. approx. fig. no.".split())
NUMBER_WORDS = frozenset("zero one two three four five six seven eight nine ten eleven twelve "
                         "twenty thirty forty fifty hundred thousand million twenty-three "
                         "point".split())
# No term is a number ("Five is an int") or begins with an ordinal or a word that points
# back into the lecture's example ("The second column is just twice the first").
TERM_NUMBERS = NUMBER_WORDS | frozenset("""eins zwei drei vier fünf sechs sieben acht neun
zehn hundert tausend uno dos tres cuatro cinco seis siete ocho nueve diez cien mil deux trois
quatre cinq sept huit neuf dix cent dois três quatro seis sete oito nove dez""".split())
REFERRING = frozenset("""first second third fourth fifth last next previous other same
entire following former latter above below such erste ersten zweite zweiten dritte
letzte letzten nächste andere gleiche primer primera primero segundo segunda tercer tercera
último última otro otra mismo misma premier première deuxième seconde troisième dernier
dernière autre même primeiro terceiro terceira outro outra mesmo mesma""".split())
_WORD_RE = re.compile(r"[^\W_][\w'’]*", re.UNICODE)
SENTENCE_END = (".", "?", "!", "…", ".\"", "?\"", ".”", "?”", ".)", ".'", "?'")
MIN_WORDS, MAX_WORDS = 6, 48
AUTO_MAX_WORDS = 32
PAUSE_SECONDS = 0.7
DETAILED_SHARE, CONCISE_SHARE = 0.5, 0.22
LENGTH_LIMIT = 0.47  # of the transcript's words: a note, not a copy (issue 12)
MAX_NOTE_WORDS = {"detailed": 2600, "concise": 1200}


def _fold(text: str) -> list[str]:
    return [w.casefold().replace("’", "'") for w in _WORD_RE.findall(text)]


def _stopwords(language: str) -> frozenset[str]:
    """The language's function words, with English always (lectures mix in English)."""
    base = language.split("-")[0].lower()
    return STOPWORDS.get(base, frozenset()) | STOPWORDS["en"]


@dataclass
class Sentence:
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


# --- sentences ------------------------------------------------------------------------


def _is_punctuated(transcript: "Transcript") -> bool:
    ends = sum(1 for s in transcript.segments if s.text.rstrip().endswith((".", "?", "!")))
    return ends >= max(3, len(transcript.segments) // 10)


def _tokens(transcript: "Transcript") -> list[tuple[str, int]]:
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
    sounds = _sounds(language)
    kept: list[str] = []
    for token in text.split():
        if not _is_sound(token, sounds):
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
    first = _fold(shown)[:1]
    tokens = raw.split()
    for index, token in enumerate(tokens):
        if first and _fold(token)[:1] == first:
            return " ".join(tokens[index:])
    return raw


def sentences(transcript: "Transcript") -> list[Sentence]:
    """The transcript as sentences (human captions) or spoken clauses (automatic ones)."""
    segments = transcript.segments
    tokens = _tokens(transcript)
    auto = transcript.is_generated or not _is_punctuated(transcript)
    sounds = _sounds(transcript.language or "en")
    groups: list[list[tuple[str, int]]] = [[]]
    gaps = sorted(max(0.0, b.start - a.start - a.duration) for a, b in zip(segments,
                                                                          segments[1:]))
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
            opens = _is_sound(token, sounds) or folded in CLAUSE_OPENERS
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
    out: list[Sentence] = []
    for group in groups:
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
            last.words = _fold(last.text)
            continue
        sentence = Sentence(len(out), shown, _quote_of(raw, shown), segments[group[0][1]].start,
                            group[0][1] + 1, _fold(shown))
        sentence.question = shown.rstrip("\"'”)").endswith("?")
        out.append(sentence)
    _mark_noise(out)
    return out


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


# --- key phrases, definitions -----------------------------------------------------------


def key_phrases(items: Sequence[Sentence], stop: frozenset[str], limit: int = 30) -> list[str]:
    """Phrases of one to three words that begin and end with content words, ranked by how
    many sentences use them, longer phrases first among equals."""
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


LINKS = frozenset("of de del der des du da do di".split())


def _good_term(term: str, stop: frozenset[str]) -> str | None:
    """The term as the lecture says it: up to four words, ending before the first
    function word (a linking "of"/"de" between content words stays), never a pronoun."""
    words = term.strip(" ,.;:!?\"'“”").split()
    kept: list[str] = []
    for number, word in enumerate(words[:4]):
        folded = (_fold(word) or [""])[0]
        if folded in stop or folded in FILLERS:
            following = (_fold(words[number + 1]) or [""])[0] if number + 1 < len(words) \
                else ""
            if folded in LINKS and kept and following and following not in stop:
                kept.append(word)
                continue
            break
        kept.append(word)
    folded = _fold(" ".join(kept))
    if not kept or not folded or folded[0] in PRONOUNS or len("".join(folded)) < 3:
        return None
    if len(words) and (_fold(words[0]) or [""])[0] in stop:
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
                    and _fold(term)[-1] in GENERIC):  # "The clever part is the order."
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
    words = _fold(term)
    if not words or words[0] in REFERRING or all(
            w in TERM_NUMBERS or w in GENERIC for w in words):
        return False
    if predicate and len(_fold(predicate)) <= 3:
        return False  # "A list is an object.": a class it belongs to, no definition
    # The predicate's noun phrase, when it ends the clause: "is an account." repeats the
    # term, "is the mass of one mole" defines it.
    head: list[str] = []
    for word in _fold(re.split(r"[,.;:!?()]", predicate.strip(" ,"))[0])[1:]:
        if word in stop:
            if head:
                return True  # the phrase goes on: "of one mole", "that squashes ..."
            continue  # "is just an account": the copula's articles and adverbs
        head.append(word)
    singular = {w.removesuffix("s") for w in words}
    return not head or not all(w.removesuffix("s") in singular for w in head)


# --- choosing ---------------------------------------------------------------------------


class Chooser:
    """MMR over sentence embeddings: relevance (centrality, key phrases, definitions)
    minus similarity to what is already chosen; each sentence is used once."""

    LAMBDA = 0.72

    def __init__(self, items: Sequence[Sentence], vectors: "np.ndarray",
                 phrases: Sequence[str], defined: dict[int, str]) -> None:
        import numpy as np

        self.items = items
        self.vectors = vectors
        usable = [s.index for s in items if not s.noise and s.size >= MIN_WORDS]
        centroid = vectors[usable].mean(axis=0) if usable else np.zeros(vectors.shape[1])
        centroid /= float(np.linalg.norm(centroid)) or 1.0
        central = vectors @ centroid
        top = set(phrases[:15])
        self.phrases = list(phrases[:40])
        self.covered: set[str] = set()
        self.holds = [{p for p in self.phrases if f" {p} " in f" {' '.join(s.words)} "}
                      for s in items]
        self.relevance = []
        for s in items:
            text = " ".join(s.words)
            hits = sum(1 for p in top if f" {p} " in f" {text} ")
            score = float(central[s.index]) + 0.06 * min(hits, 3) + \
                (0.12 if s.index in defined else 0.0) + \
                (0.04 if re.search(r"\d|equals|minus|plus|times|formula", text) else 0.0)
            if CONCLUSION.search(s.quote) and s.size <= 20:
                score += 0.05  # "So the determinant of a shear is one.": a stated result
            if s.noise or s.question or s.size < MIN_WORDS:
                score -= 10.0
            if s.size > MAX_WORDS:
                score -= 0.3
            elif s.size > 28:
                score -= 0.004 * (s.size - 28)  # information per word: prefer the concise
            self.relevance.append(score)
        self.used: set[int] = set()
        self.chosen_vectors: list[int] = []

    def pick(self, candidates: Sequence[Sentence], count: int, spread: bool = True
             ) -> list[Sentence]:
        """`count` sentences from the candidates, one per equal stretch of them when
        spread, in time order."""
        pool = [s for s in candidates if s.index not in self.used
                and self.relevance[s.index] > -5]
        if not pool or count <= 0:
            return []
        bins = [pool[i * len(pool) // count:(i + 1) * len(pool) // count]
                for i in range(count)] if spread and len(pool) >= count else [pool]
        out: list[Sentence] = []
        for part in bins:
            want = 1 if len(bins) > 1 else count
            for _ in range(want):
                best = self._best(part)
                if best is None:
                    break
                out.append(best)
        return sorted(out, key=lambda s: s.index)

    def _best(self, part: Sequence[Sentence]) -> Sentence | None:
        import numpy as np

        options = [s for s in part if s.index not in self.used]
        if not options:
            return None
        ids = [s.index for s in options]
        # Coverage: a sentence with key phrases nothing chosen has said yet gains.
        relevance = np.array([self.relevance[i] + 0.05 * min(3, len(self.holds[i]
                                                                - self.covered))
                              for i in ids])
        if self.chosen_vectors:
            similarity = (self.vectors[ids] @ self.vectors[self.chosen_vectors].T).max(axis=1)
        else:
            similarity = np.zeros(len(ids))
        score = self.LAMBDA * relevance - (1 - self.LAMBDA) * similarity
        best = options[int(np.argmax(score))]
        self.take(best)
        return best

    def take(self, sentence: Sentence) -> None:
        self.used.add(sentence.index)
        self.covered |= self.holds[sentence.index]
        self.chosen_vectors.append(sentence.index)


def _windows(transcript: "Transcript", items: Sequence[Sentence]
             ) -> list[tuple[str, float, int, list[Sentence]]]:
    """(chapter title or '', start, first line, sentences) per chapter, else per window."""
    if transcript.chapters:
        bounds = [(c.title, c.start) for c in transcript.chapters]
    else:
        duration = max(transcript.duration_seconds, 1)
        size = max(120, min(600, round(duration / 5 / 60) * 60))
        bounds = [("", float(start)) for start in range(0, int(duration), size)] or [("", 0.0)]
    windows = []
    for number, (title, start) in enumerate(bounds):
        end = bounds[number + 1][1] if number + 1 < len(bounds) else float("inf")
        inside = [s for s in items if start <= s.start < end]
        if inside:
            windows.append((title, start, inside[0].line, inside))
    return windows


def _heading(inside: Sequence[Sentence], phrases: Sequence[str], used: set[str],
             start: float) -> str:
    text = " " + " ".join(" ".join(s.words) for s in inside) + " "
    for phrase in phrases:
        if phrase not in used and f" {phrase} " in text:
            used.add(phrase)
            pattern = re.compile(r"(?<!\w)" + r"\W+".join(map(re.escape, phrase.split()))
                                 + r"(?!\w)", re.I)
            for sentence in inside:  # the phrase as the lecture writes it
                match = pattern.search(sentence.text)
                if match:
                    said = match.group(0)
                    return said[:1].upper() + said[1:]
            return phrase[:1].upper() + phrase[1:]
    return f"From minute {int(start) // 60}"


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
    if len(parts) == 1 or _words(text) <= 18:
        return text
    at = next(i for i, part in enumerate(parts) if "_____" in part)
    low = high = at
    while _words(" ".join(parts[low:high + 1])) < enough and (low > 0 or high < len(parts) - 1):
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


def _words(text: str) -> int:
    return len(_fold(text))


def _trim(summary: list, concepts: list, key_points: list, sections: list,
          questions: list, limit: int) -> None:
    """Drop the least needed items until the note's words fit the limit: the least
    relevant bullets first (every section keeps one), then key points, then concepts."""
    def total() -> int:
        words = 40 + sum(_words(s.text) for s in summary)
        words += sum(_words(t) + _words(s.text) for t, s in concepts)
        words += sum(_words(s.text) for s in key_points)
        words += sum(_words(sec["title"]) + sum(_words(b["text"]) for b in sec["bullets"])
                     for sec in sections)
        return words + sum(_words(q["question"]) + _words(q["answer"]) + 2 for q in questions)

    while total() > limit:
        bullets = [(b["relevance"], number, sec) for sec in sections if len(sec["bullets"]) > 1
                   for number, b in enumerate(sec["bullets"])]
        if bullets:
            _, number, sec = min(bullets, key=lambda entry: entry[0])
            sec["bullets"].pop(number)
        elif len(key_points) > 2:
            key_points.pop(len(key_points) // 2)
        elif len(concepts) > 2:
            concepts.pop()
        elif len(summary) > 1:
            summary.pop(min(range(len(summary)), key=lambda i: -summary[i].size))
        elif len(sections) > 1:  # a short lecture: fewer, longer sections
            sections.pop(min(range(len(sections)),
                             key=lambda i: sections[i]["bullets"][0]["relevance"]
                             if sections[i]["bullets"] else -99))
        elif len(key_points) > 1:
            key_points.pop()
        else:
            return


def draft(transcript: "Transcript", options: "Options") -> dict:
    """The offline draft, validated (chalicelib.notes.drafts) and ready for grounding."""
    from chalicelib.knowledge import embeddings

    language = transcript.language or "en"
    base = language.split("-")[0].lower()
    stop = _stopwords(language)
    items = sentences(transcript)
    auto = transcript.is_generated or not _is_punctuated(transcript)
    detailed = options.note_style != "concise"
    if not items:
        raise ValueError("the transcript has no sentences")
    vectors = embeddings.embed([s.text for s in items])
    phrases = key_phrases(items, stop | GENERIC)
    defined: dict[int, str] = {}
    for s in items:
        term = definition_term(s, language, stop)
        if term:
            defined[s.index] = term
    chooser = Chooser(items, vectors, phrases, defined)
    transcript_words = sum(len(s.text.split()) for s in transcript.segments)
    budget = min(MAX_NOTE_WORDS["detailed" if detailed else "concise"],
                 int(transcript_words * (DETAILED_SHARE if detailed else CONCISE_SHARE)))
    minutes = transcript.duration_seconds / 60
    spent = 0

    # Concepts: defined terms, best definitions first, one per term.
    concepts: list[tuple[str, Sentence]] = []
    terms_seen: set[str] = set()
    for index in sorted(defined, key=lambda i: -chooser.relevance[i]):
        term, sentence = defined[index], items[index]
        key = " ".join(_fold(term))
        if key in terms_seen or sentence.index in chooser.used:
            continue
        if len(concepts) >= (min(20, 6 + int(minutes // 4)) if detailed else 6) \
                or spent + sentence.size > budget * 0.35:
            break
        terms_seen.add(key)
        chooser.take(sentence)
        concepts.append((term, sentence))
        spent += sentence.size + len(term.split())
    concepts.sort(key=lambda pair: pair[1].index)

    summary = chooser.pick(items, max(2, min(6, 2 + int(minutes // 12))))
    spent += sum(s.size for s in summary)

    count_points = max(3, min(10 if detailed else 6, int(3 + minutes / 6)))
    key_points = chooser.pick(items, count_points)
    spent += sum(s.size for s in key_points)

    # Questions: as many as DESIGN section 7 asks (at least 5, about 10 an hour), each
    # answered by a sentence of the lecture, preferring sentences the note has not
    # shown yet (a question then also adds a fact).
    wanted = max(5, round(10 * minutes / 60)) if options.include_questions else 0
    questions: list[dict] = []
    what_is = WHAT_IS.get(base, WHAT_IS["en"])
    blank_form = BLANK.get(base, BLANK["en"])
    for asked, answer in sorted(_lecture_questions(items),
                                key=lambda pair: -chooser.relevance[pair[1].index]):
        if len(questions) >= max(1, wanted // 3):
            break
        if answer.index in chooser.used:
            continue
        chooser.take(answer)
        questions.append({"question": asked.text, "kind": "explain", "answer": answer.text,
                          "quote": answer.quote, "line": answer.line})
    for index in sorted(defined, key=lambda i: -chooser.relevance[i]):
        if len(questions) >= wanted - max(1, wanted // 4):
            break
        key = " ".join(_fold(defined[index]))
        if index in chooser.used or key in terms_seen or chooser.relevance[index] < -5:
            continue
        terms_seen.add(key)
        chooser.take(items[index])
        questions.append({"question": what_is.format(defined[index]), "kind": "recall",
                          "answer": items[index].text, "quote": items[index].quote,
                          "line": items[index].line})
    # What a blank may hide: multi-word key phrases, defined terms, and single words
    # only when the title names them (a topic word, not "exactly").
    topic = set(_fold(transcript.title))
    blanks = [p for p in phrases if len(p.split()) > 1 and not NUMBER_WORDS & set(p.split())]
    blanks += [t for t, _ in concepts] + [p for p in phrases if len(p.split()) == 1
                                           and p in topic]
    blanked_phrases: set[str] = set()

    def add_blank(sentence: Sentence) -> bool:
        blanked = _blank(sentence, [p for p in blanks if p.casefold() not in blanked_phrases])
        if not blanked:
            return False
        blanked_phrases.add(blanked[1].casefold())
        questions.append({"question": blank_form.format(blanked[0]), "kind": "recall",
                          "answer": blanked[1], "quote": sentence.quote, "line": sentence.line})
        return True

    if len(questions) < wanted:
        candidates = chooser.pick(items, 2 * (wanted - len(questions)))
        for sentence in sorted(candidates, key=lambda s: s.size):
            if len(questions) < wanted:
                add_blank(sentence)
    for term, sentence in concepts:  # then what the note already shows
        if len(questions) >= wanted:
            break
        questions.append({"question": what_is.format(term), "kind": "recall",
                          "answer": sentence.text, "quote": sentence.quote,
                          "line": sentence.line})
    for sentence in sorted(key_points + summary, key=lambda s: s.size):
        if len(questions) >= wanted:
            break
        add_blank(sentence)
    spent += sum(_words(q["question"]) + _words(q["answer"]) for q in questions)

    sections = []
    windows = _windows(transcript, items)
    remaining = max(len(windows), (budget - spent) // 18)
    total_sentences = sum(len(inside) for *_, inside in windows) or 1
    headings_used: set[str] = set()
    for title, start, line, inside in windows:
        share = max(1, min(12 if detailed else 4, round(remaining * len(inside)
                                                      / total_sentences)))
        bullets = chooser.pick(inside, share)
        heading = title or _heading(inside, phrases, headings_used, start)
        sections.append({"title": heading, "line": line,
                         "bullets": [{"text": s.text, "quote": s.quote, "line": s.line,
                                      "relevance": chooser.relevance[s.index]}
                                     for s in bullets]})

    _trim(summary, concepts, key_points, sections, questions,
          int(_words(transcript.text) * (LENGTH_LIMIT if detailed else CONCISE_SHARE)))
    tags = [p for p in phrases if len(p) <= 40][:8]
    title = transcript.title or " ".join(w.capitalize() for w in (phrases[:1] or
                                                                  ["Lecture notes"]))
    raw = {
        "title": title,
        # Spoken clauses of automatic captions are shown as excerpts, not given full stops.
        "summary": (" … " if auto else " ").join(s.text for s in summary) or items[0].text,
        "core_concepts": [{"term": term, "definition": s.text, "quote": s.quote,
                           "line": s.line} for term, s in concepts],
        "key_points": [{"text": s.text, "quote": s.quote, "line": s.line} for s in key_points],
        "sections": sections,
        "review_questions": questions,
        "suggested_subject": "",
        "tags": tags[:max(3, min(8, len(tags)))],
    }
    validated = validate_draft(raw, transcript.duration_seconds,
                               [segment.start for segment in transcript.segments])
    # A chapter starts where the video's chapter says (our own data, not a guess).
    by_title = {title: start for title, start, _, _ in windows if title}
    for section in validated["sections"]:
        if section["title"] in by_title:
            section["hint"] = float(by_title[section["title"]])
    return validated
