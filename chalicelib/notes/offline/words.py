"""The offline writer's language data: the words and phrases of each lecture language.

What a function word is (STOPWORDS), which fillers are the language's own (SOUNDS,
WORDLIKE), which words open a clause in unpunctuated speech, what marks course
logistics or a sponsor read (NOISE), which frames define a term (DEFINITIONS), and the
question templates (WHAT_IS, BLANK), for en, de, es, fr and pt; and how a text splits
into folded words. The rules that use them are in sentence_split (sentences, fillers),
terms (key phrases, definitions) and questions.
"""
from __future__ import annotations

import re

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
tell give inside outside across toward towards beyond behind beneath among along onto via
per throughout whole
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
# Linking words a term may hold between content words ("speed of light",
# "precio de equilibrio").
LINKS = frozenset("of de del der des du da do di".split())
# Words that open a new clause in unpunctuated speech.
CLAUSE_OPENERS = frozenset({"so", "okay", "alright", "now", "also", "entonces",
                            "bueno", "alors", "donc", "então"})
# Unpunctuated speech (automatic captions) is cut into sentences at scored boundaries
# (sentence_split): a word that cannot end a sentence (an article, preposition,
# conjunction, auxiliary or subject pronoun) is never left at the end of one, a word that
# cannot open one never starts one, and a discourse marker or a clause-opening word
# after a caption break or a pause marks where the next sentence starts.
NEVER_ENDS: dict[str, frozenset[str]] = {
    "en": frozenset("""a an the of to and or but nor is are was were be been being am in on
at by for from with into onto than as if because while when whereas although though so
can could will would should must may might shall has have had not no very
we they i he she their its his our your my whose which who whom where that that's
it's there's let's gonna wanna such every each these those both either neither
also just really quite more most less least""".split()),
    "de": frozenset("""der die das den dem des ein eine einen einem einer eines und oder
aber denn weil dass wenn als ob von zu zum zur mit bei nach aus auf für in im an am um
ist sind war waren wird werden hat haben kann können muss sehr ich du er sie wir ihr
sein seine ihre unser""".split()),
    "es": frozenset("""el la los las un una unos unas y o pero porque que de del al en con
por para es son fue era está están ha han muy su sus mi nuestro cuando si como""".split()),
    "fr": frozenset("""le la les un une des et ou mais car que qui de du au aux en dans
avec par pour est sont était a ont très son sa ses notre quand si comme""".split()),
    "pt": frozenset("""o a os as um uma uns umas e ou mas porque que de do da dos das no na
em com por para é são foi era está estão muito seu sua nosso quando se como""".split()),
}
NEVER_STARTS: dict[str, frozenset[str]] = {
    "en": frozenset("""of is are was were than which whose to 's s has have had does did
been being isn't aren't wasn't weren't doesn't didn't hasn't haven't or nor and""".split()),
    "de": frozenset("ist sind war waren von zu als".split()),
    "es": frozenset("es son de del que".split()),
    "fr": frozenset("est sont de du que".split()),
    "pt": frozenset("é são de do da que".split()),
}
# Discourse markers that open a sentence in speech (a strong sign), and words that often
# open one (a weak sign: only with a caption break, a pause or a long run).
SPOKEN_OPENERS: dict[str, frozenset[str]] = {
    "en": frozenset("""so now okay ok alright well next first second third finally
remember today however therefore basically here let's""".split()),
    "de": frozenset("also jetzt okay gut nun dann zuerst erstens zweitens drittens".split()),
    "es": frozenset("entonces bueno ahora primero segundo tercero finalmente".split()),
    "fr": frozenset("alors donc bon maintenant ensuite premièrement enfin".split()),
    "pt": frozenset("então bem agora primeiro segundo terceiro finalmente".split()),
}
# A subject pronoun after a word that may end a sentence usually starts a new clause.
SUBJECT_PRONOUNS: dict[str, frozenset[str]] = {
    "en": frozenset("i we you they he she".split()),
    "de": frozenset("ich wir sie er man".split()),
    "es": frozenset("yo nosotros ellos ella".split()),
    "fr": frozenset("je nous vous ils elle on".split()),
    "pt": frozenset("eu nós eles ela você".split()),
}
CLAUSE_STARTS: dict[str, frozenset[str]] = {
    "en": frozenset("""the this that these those it we you i they he she there each every
in when if what why how many most some one a an his her our their its my your""".split()),
    "de": frozenset("der die das diese dieser es wir ihr sie er man wenn in im".split()),
    "es": frozenset("el la los las este esta estos estas eso esto en cuando si".split()),
    "fr": frozenset("le la les ce cette ces il elle on nous vous quand si en".split()),
    "pt": frozenset("o a os as este esta estes isso isto em quando se".split()),
}
# A spoken question without its question mark: a question word and then a verb that asks.
SPOKEN_QUESTION = re.compile(
    r"^(?:why|what|how|when|where|which|who)(?:'s|’s)?\s+(?:(?:do|does|did|is|are|was|were|"
    r"can|could|would|should|will|happens|happened|makes|made)\b)", re.I)
# A sentence that opens by pointing back ("That formula lets us ...", "It is ...") needs
# the one before it: read alone, as a note's item, it is cut from its context.
POINTS_BACK = re.compile(
    r"^(?:that|this|these|those|such|dies|diese|dieser|dieses|eso|esto|esta|este|cela|cette|"
    r"ces|isso|isto|essa|esse)\b(?!\s+(?:is|are|was|were)\s+(?:called|known|named)\b)",
    re.I)
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
# A sentence announcing what a later lecture will do ("Next time we'll use this to
# balance equations", "Im nächsten Video geht es um die Zellatmung"). In English a later
# lecture (LATER_LECTURE) and the speaker's future (SPEAKERS_FUTURE) together: "next time
# you see a matrix, ..." is advice. German, Spanish, French and Portuguese say the future
# in the present, so their later lecture alone (LATER_LECTURE_SAID) counts, unless the
# sentence is a condition (CONDITION: "Wenn wir das nächste Mal eine Matrix sehen").
LATER_LECTURE = re.compile(
    r"\b(?:next time(?! steps?\b)|next (?:video|lecture|episode|session)|(?:in|for|during) "
    r"(?:the|our) next (?:class|chapter|part|one)|(?:a|the) (?:future|later|coming|"
    r"following) (?:video|lecture|class|session|episode))\b", re.I)
SPEAKERS_FUTURE = re.compile(
    r"\b(?:(?:we|i)(?:'ll|’ll| will| shall)|(?:we|i)(?:'re|’re| are|'m|’m| am)(?: \w+)? "
    r"(?:going to|gonna)|let's|let’s)\b", re.I)
LATER_LECTURE_SAID = re.compile(
    r"\b(?:(?:im|in der|in dem|beim|zum|in einem) nächsten (?:video|vorlesung|teil|folge|"
    r"sitzung|stunde|kapitel)|nächstes mal|(?:en|para) (?:el|la|un|una) (?:próxim[oa]|"
    r"siguiente) (?:v[ií]deo|clase|lecci[oó]n|sesi[oó]n|cap[ií]tulo|parte)|la próxima vez|"
    r"(?:dans|pour) (?:la|le) prochaine? (?:vidéo|cours|séance|partie)|la prochaine fois|"
    r"(?:no|na) próxim[oa] (?:vídeo|aula|parte)|na próxima vez)\b", re.I)
CONDITION = re.compile(r"\b(?:wenn|falls|cuando|si|quand|se)\b", re.I)
QUESTION_OPENERS = re.compile(
    r"^(?:why|what|how|when|which|who|where|is|are|does|do|can|warum|wieso|weshalb|woher|wie|"
    r"was|welche|wer|wo|por qué|qué|cómo|cuál|cuándo|dónde|quién|pourquoi|qu'est-ce|comment|"
    r"quel|quelle|porque|por que|o que|como|qual)\b", re.I)
RHETORICAL = re.compile(r"^(?:right|okay|ok|yeah|got it|make sense|any questions|no|see|"
                        r"thumbs up|great)\b", re.I)
CONCLUSION = re.compile(r"^(?:so|and so|that means|this means|in other words|therefore|"
                        r"remember|also|deshalb|daher|also|por eso|así que|donc|portanto)\b",
                        re.I)
# Definition patterns per language: (pattern, group holding the term). The term must
# then pass the checks of terms.py.
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
DEFINITIONS: dict[str, list[re.Pattern[str]]] = {
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
        r"^(?:el |la |los |las |un |una )?" + _TERM + r" (?:es|son|significa) "
        r"(?:un|una|el|la|lo|cuando|donde|simplemente)\b",
    )],
    "fr": [re.compile(p, re.I) for p in (
        r"\b(?:on appelle (?:ça|cela|ceci)?|qu'on appelle|s'appelle|(?:est|sont) appelée?s?|"
        r"(?:est|sont) connue?s? sous le nom de|on définit) (?:le |la |les |l')?" + _TERM,
        r"^(?:le |la |les |l'|un |une )?" + _TERM + r" (?:est|sont|signifie) "
        r"(?:un|une|le|la|ce)\b",
    )],
    "pt": [re.compile(p, re.I) for p in (
        r"\b(?:(?:é|são|foi) chamad[oa]s?(?: de)?|chamamos (?:isso )?de|se chama|"
        r"(?:é|são) conhecid[oa]s? como|define-se) (?:o |a |os |as )?" + _TERM,
        r"^(?:o |a |os |as |um |uma )?" + _TERM + r" (?:é|são|significa) "
        r"(?:um|uma|o|a|quando|onde)\b",
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
# A word: a letter or digit first, then letters, digits and apostrophes ("don't", "l'eau").
_WORD_RE = re.compile(r"[^\W_][\w'’]*", re.UNICODE)


def fold(text: str) -> list[str]:
    """The words of a text, casefolded, with typographic apostrophes made plain."""
    return [w.casefold().replace("’", "'") for w in _WORD_RE.findall(text)]


def word_count(text: str) -> int:
    return len(fold(text))


def stopwords(language: str) -> frozenset[str]:
    """The language's function words, with English always (lectures mix in English)."""
    base = language.split("-")[0].lower()
    return STOPWORDS.get(base, frozenset()) | STOPWORDS["en"]


def sounds_of(language: str) -> frozenset[str]:
    """The hesitation sounds of the language (a neutral few for any other)."""
    return SOUNDS.get(language.split("-")[0].lower(), NEUTRAL_SOUNDS)


def is_sound(token: str, sounds: frozenset[str]) -> bool:
    """Whether a caption token is a hesitation sound of the language ("Ummm," is "um")."""
    core = token.strip(",.;:!?…").casefold()
    return bool(core) and re.sub(r"(.)\1+", r"\1", core) in sounds
