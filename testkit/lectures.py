"""Synthetic lectures for tests and benchmarks (written for this project)."""
from __future__ import annotations

import base64
import math
import random
import re
import uuid
from typing import Any

from testkit.fake_youtube import FakeVideo, Track

SENTENCES = [
    "Today we study entropy, which counts the microscopic arrangements of a system.",
    "The second law says the entropy of an isolated system never decreases.",
    "Heat flows spontaneously from a hot body to a cold one, never the reverse.",
    "A heat engine turns part of the heat it takes in into useful work.",
    "The Carnot cycle sets the highest efficiency any heat engine can reach.",
    "Temperature measures the average kinetic energy of the molecules.",
    "In a reversible process the total entropy of the universe stays constant.",
    "Boltzmann wrote entropy as a constant times the logarithm of the number of states.",
    "Free energy tells us how much work a system can do at constant temperature.",
    "Refrigerators move heat from cold to hot by spending work.",
    "The first law is energy conservation: heat in equals work out plus internal energy.",
    "An adiabatic process exchanges no heat with its surroundings.",
    "Isothermal expansion of an ideal gas keeps its temperature fixed.",
    "Phase transitions such as melting absorb latent heat at constant temperature.",
    "Statistical mechanics explains thermodynamics from the behaviour of many particles.",
    "The third law says entropy approaches a minimum as temperature approaches absolute zero.",
]


def new_video_id() -> str:
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode()[:11]


def segments(minutes: float, punctuated: bool = True,
             seconds_per_segment: float = 4.0) -> list[tuple[float, float, str]]:
    out, start, index = [], 0.0, 0
    while start < minutes * 60:
        sentence = SENTENCES[index % len(SENTENCES)]
        if not punctuated:
            sentence = sentence.lower().replace(".", "").replace(",", "").replace(":", "")
        out.append((round(start, 2), seconds_per_segment - 0.2, sentence))
        start += seconds_per_segment
        index += 1
    return out


# --- automatic captions as YouTube's speech recognition writes them -------------------
#
# Word timing modelled on real YouTube automatic captions with word times (two WebVTT
# recordings with their human captions, 2,583 words, 118 sentence ends: the test data
# of allenai/OLMoASR, scripts/data/processing/local/test_mach_segment.py): a word lasts
# about 55 ms a letter (the time between word starts: median 0.24-0.36 s). Speakers
# pause at about half their sentence ends (the pause beyond the word itself: median
# 0.16 s, a quarter over 0.4 s, a tenth over 1.2 s), at about half their commas
# (shorter), and hesitate mid-sentence after about one word in thirty (2% of such
# words are followed by over 0.5 s): pauses are evidence, never an oracle.
SECONDS_PER_LETTER = 0.055
END_PAUSE = (0.5, 0.45, 0.9)     # (how often, median seconds, spread: log-normal sigma)
COMMA_PAUSE = (0.45, 0.25, 0.6)
HESITATION = (0.03, 0.5, 0.6)
LONGEST_PAUSE = 3.0
ASR_LINE_CHARACTERS = 40  # YouTube's automatic caption lines: about 32 to 42 characters


def spoken(token: str) -> str:
    """A caption token as speech recognition writes it: lower case, no punctuation."""
    return re.sub(r"[^\w']", "", token.casefold().replace("’", "'")).strip("'")


def asr_words(text: str, start: float = 0.0, seed: str = "") -> list[tuple[str, float]]:
    """The words of a punctuated text as automatic captions time them: (word, when its
    said), with pauses drawn as real speakers make them (see above)."""
    rng = random.Random(seed or text[:64])
    out: list[tuple[str, float]] = []
    at = start
    for token in text.split():
        word = spoken(token)
        if not word:
            continue
        out.append((word, round(at, 3)))
        at += max(0.1, SECONDS_PER_LETTER * (len(word) + 1) * rng.lognormvariate(0, 0.3))
        kind = END_PAUSE if re.search(r"[.?!…][\"'”)]*$", token) else \
            COMMA_PAUSE if token.endswith((",", ";", ":")) else HESITATION
        often, median, spread = kind
        if rng.random() < often:
            at += min(LONGEST_PAUSE, rng.lognormvariate(math.log(median), spread))
    return out


def asr_lines(words: list[tuple[str, float]]) -> list[list[tuple[str, float]]]:
    """The words in caption lines of up to ASR_LINE_CHARACTERS, as YouTube shows them:
    cut by length, never at sentences."""
    lines: list[list[tuple[str, float]]] = [[]]
    for word, at in words:
        if lines[-1] and len(" ".join(w for w, _ in lines[-1] + [(word, at)])) > \
                ASR_LINE_CHARACTERS:
            lines.append([])
        lines[-1].append((word, at))
    return [line for line in lines if line]


def asr_json3(words: list[tuple[str, float]]) -> dict:
    """YouTube's json3 for automatic captions: a window-setup event, one event per line
    with a seg per word (`tOffsetMs` from the event's start, the first without), shown
    until the line after it is done (two rolling lines), and a "\n" append event 10 ms
    before each next line."""
    lines = asr_lines(words)
    ends = [line[-1][1] + 0.4 for line in lines]
    events: list[dict] = [{"tStartMs": 0, "dDurationMs": int((ends[-1] + 2) * 1000) if ends
                           else 0, "id": 1, "wpWinPosId": 1, "wsWinStyleId": 1}]
    for number, line in enumerate(lines):
        begin = int(line[0][1] * 1000)
        shown_until = ends[min(number + 1, len(lines) - 1)] + 0.1
        segs: list[dict] = [{"utf8": line[0][0], "acAsrConf": 0}]
        segs += [{"utf8": f" {word}", "tOffsetMs": int(at * 1000) - begin, "acAsrConf": 0}
                 for word, at in line[1:]]
        events.append({"tStartMs": begin, "dDurationMs": int(shown_until * 1000) - begin,
                       "wWinId": 1, "segs": segs})
        if number + 1 < len(lines):
            following = int(lines[number + 1][0][1] * 1000) - 10
            events.append({"tStartMs": following,
                           "dDurationMs": max(10, int(shown_until * 1000) - following),
                           "wWinId": 1, "aAppend": 1, "segs": [{"utf8": "\n"}]})
    return {"wireMagic": "pb3", "pens": [{}],
            "wsWinStyles": [{}, {"mhModeHint": 2, "juJustifCode": 0, "sdScrollDir": 3}],
            "wpWinPositions": [{}, {"apPoint": 6, "ahHorPos": 20, "avVerPos": 100,
                                    "rcRows": 2}],
            "events": events}


def asr_track(text: str, language: str = "en", seed: str = "") -> Track:
    """An automatic-caption track of a punctuated text: word-timed json3 for yt-dlp,
    and the same lines, untimed, as the srv1 youtube-transcript-api reads."""
    words = asr_words(text, seed=seed)
    lines = asr_lines(words)
    segments = [(line[0][1], round(max(0.1, (following[0][1] if following else
                                             line[-1][1] + 0.5) - line[0][1]), 3),
                 " ".join(word for word, _ in line))
                for line, following in zip(lines, lines[1:] + [[]], strict=True)]
    return Track(language, f"{language} (auto-generated)", segments, generated=True,
                 json3=asr_json3(words))


def lecture(minutes: float = 20, *, video_id: str | None = None, generated: bool = False,
            language: str = "en", chapters: bool = False, seconds_per_segment: float = 4.0,
            asr: bool = False, **fields: Any) -> FakeVideo:
    """A thermodynamics lecture of SENTENCES. `generated`: automatic captions cut one
    sentence a cue, unpunctuated; `asr`: automatic captions as YouTube's speech
    recognition writes them (asr_track: lines cut by length, each word timed in json3)."""
    description = ("Chapters:\n0:00 Introduction\n2:00 The second law\n"
                   "5:30 Heat engines\n") if chapters else "A lecture on thermodynamics."
    video_id = video_id or new_video_id()
    said = segments(minutes, seconds_per_segment=seconds_per_segment)
    track = asr_track(" ".join(text for _, _, text in said), language, seed=video_id) if asr \
        else Track(language, "English" if language == "en" else language,
                   segments(minutes, punctuated=not generated,
                            seconds_per_segment=seconds_per_segment),
                   generated=generated)
    return FakeVideo(
        video_id=video_id, title="Thermodynamics 101: Entropy",
        author="Prof. Example", length_seconds=int(minutes * 60), description=description,
        tracks=[track], **fields)
