"""Caption file parsers: YouTube's json3, WebVTT and SRT (uploads), into transcript
segments ({"text", "start", "duration"}, and "word_starts" where the file times each
word) of plain text: no tags, no entities.

YouTube's automatic captions time every word: json3 segs carry `tOffsetMs` from their
event's start, and its WebVTT writes `<00:00:06.569><c> word</c>` inside a cue. Those
times are kept (transcript_model.Segment.word_starts): the pauses between words are
where a speaker's sentences end (chalicelib.notes.offline.sentence_split).

Uploads are untrusted and up to 2 MiB, so every step is linear in the file's size
(issue 20): no search that retries from every position, no regex that can backtrack
over a whole line more than a constant number of times."""
from __future__ import annotations

import html
import itertools
import json
import operator
import re
from collections.abc import Iterable
from typing import Any

from chalicelib.youtube.transcript_model import checked_word_starts


def parse_json3(content: bytes | str) -> list[dict[str, Any]]:
    """Segments of a YouTube json3 caption file, with word times where segs carry them."""
    document = json.loads(content)
    if not isinstance(document, dict):
        raise ValueError("json3 document is not an object")
    segments = []
    for event in document.get("events") or []:
        # Events without segs set up windows; "\n"-only ones break lines.
        segs = [seg for seg in event.get("segs") or [] if isinstance(seg, dict)]
        text = _plain_text("".join(str(seg.get("utf8") or "") for seg in segs))
        if text:
            start = (event.get("tStartMs") or 0) / 1000
            duration = (event.get("dDurationMs") or 0) / 1000
            timed = _json3_pieces(segs, start)
            words = checked_word_starts(text, start, duration, _word_starts(timed)) \
                if timed else None
            segments.append(_segment(text, start, duration, words))
    return sorted(segments, key=lambda s: s["start"])


def _json3_pieces(segs: list[dict[str, Any]], start: float) -> list[tuple[float, str]]:
    """(when it is said, its text) of each seg of an event whose segs are timed (ASR
    tracks: the first seg at the event's start, the others `tOffsetMs` after it); []
    for an event of one untimed line (human tracks) or with an offset that is no number."""
    if not any("tOffsetMs" in seg for seg in segs):
        return []
    pieces = []
    for seg in segs:
        offset = seg.get("tOffsetMs") or 0
        if not isinstance(offset, int | float) or isinstance(offset, bool):
            return []
        pieces.append((start + offset / 1000, str(seg.get("utf8") or "")))
    return pieces


def _word_starts(pieces: Iterable[tuple[float, str]]) -> list[float]:
    """When each word of timed pieces of markup starts: a piece's first word starts at
    the piece's time, unless it continues the previous piece's word (no space between
    them). The caller checks them against the text (transcript_model.checked_word_starts):
    a tag or an entity cut in two, never in YouTube's files, gives another count."""
    starts: list[float] = []
    inside_word = False  # the previous piece ended in the middle of a word
    for time, markup in pieces:
        bare = _strip_tags(markup) if "<" in markup else markup
        count = len(_plain_text(bare).split()) if bare and not bare.isspace() else 0
        if count:
            joined = inside_word and not bare[:1].isspace()
            starts += [round(time, 3)] * (count - joined)
            inside_word = not bare[-1:].isspace()
        elif bare:
            inside_word = inside_word and not bare.isspace()
    return starts


# A timing line, found in the whole text (re.M): "[^\S\n]" is "\s" within a line.
# Possessive "++"/"*+": whitespace is never given back (nothing after it can match
# whitespace), so a line of 2 MB of spaces is scanned once, not once per space.
_TIMING_LINE_RE = re.compile(
    r"^[^\S\n]*+(?:(\d+):)?(\d{1,2}):(\d{2}[.,]\d{1,3})[^\S\n]++-->[^\S\n]++"
    r"(?:(\d+):)?(\d{1,2}):(\d{2}[.,]\d{1,3})[^\n]*", re.M)
_BLANK_LINE_RE = re.compile(r"^[^\S\n]*+$", re.M)
# The line that opens a WebVTT NOTE, STYLE or REGION block: the word alone, or followed
# by a space or a tab and text without "-->". The block runs to the next blank line.
_VTT_BLOCK = r"(?:NOTE|STYLE|REGION)(?:[ \t](?:(?!-->)[^\n])*+)?$"
_VTT_BLOCK_RE = re.compile(_VTT_BLOCK, re.M)
# Strict mode: the next line to check; found after its "\n". Blank lines and blocks of
# one line are skipped in C; a longer block is checked as one (_check_line).
_VTT_TO_CHECK_RE = re.compile(
    r"\n(?![^\S\n]*+$|" + _VTT_BLOCK + r"(?!\n[^\S\n]*+\S))", re.M)
_NOT_BLANK_RE = re.compile(r"\S")
# A tag starts with a letter, a digit (a WebVTT timestamp) or "/": "x < y" is text.
# "[^<>\n]" stops at the next "<" and at the line's end, so each "<" is scanned only
# up to the next bracket: linear, where "<[^>]*>" rescanned the line from every "<".
_TAG_RE = re.compile(r"<[A-Za-z0-9/][^<>\n]*>")
# html.unescape converts "&#" + digits with int(): past 4,300 digits Python raises
# ValueError. A reference with more than 8 digits (leading zeros aside) is past
# U+10FFFF, which html.unescape turns into U+FFFD anyway.
_LONG_NUMBER_REF_RE = re.compile(r"&#(?:[xX][0-9A-Fa-f]{9,}|[0-9]{9,});?")
# References to a line feed: decoded, they would split the cue's joined lines.
_LINE_FEED_REF_RE = re.compile(r"&#(?:0*10(?![0-9])|[xX]0*[aA](?![0-9A-Fa-f]));?|&NewLine;")
# Whitespace that squashing changes: runs, and single characters other than " ".
_UNSQUASHED_RE = re.compile(r"[^\S\n]{2,}|[^\S \n]")
# A WebVTT timestamp tag inside a cue ("<00:00:06.569>"): when the text after it is said.
_TIMESTAMP_TAG_RE = re.compile(r"<((?:\d{1,5}:)?\d{2}:\d{2}\.\d{3})>")
_BRACKETS = str.maketrans("", "", "<>")
_LOOK_ALIKE_BRACKETS = str.maketrans("<>", "‹›")
# Uploaded files are checked strictly: a timing line must be whole (settings after it
# are allowed), minutes and seconds below 60.
_STRICT_TIMING_RE = re.compile(
    r"^\s*+((?:\d+:)?[0-5]?\d:[0-5]\d[.,]\d{1,3})\s++-->\s++((?:\d+:)?[0-5]?\d:[0-5]\d[.,]\d{1,3})"
    r"(?:\s++\S.*)?\s*$")


class CaptionFileError(ValueError):
    """An uploaded caption file that cannot be read; `line` is 1-based."""

    def __init__(self, line: int, problem: str) -> None:
        super().__init__(f"line {line}: {problem}" if line else problem)
        self.line = line
        self.problem = problem


def parse_vtt(content: str, strict: bool = False) -> list[dict[str, Any]]:
    """Segments of a WebVTT file, without the lines YouTube's auto-captions repeat.

    Auto-caption cues roll: each shows the previous line again above the new one,
    and a 10 ms cue in between shows the finished line alone. A cue's lines that
    repeat the end of the previous cue's are dropped, then empty cues.
    `strict` (uploads) raises CaptionFileError naming the first bad line.
    """
    text = _normalized(content)
    if not text.startswith("WEBVTT"):
        if strict:
            raise CaptionFileError(1, 'a WebVTT file starts with "WEBVTT"')
        raise ValueError("not a WebVTT file")
    return _parse_cues(text, strict=strict, srt=False)


def parse_srt(content: str, strict: bool = False) -> list[dict[str, Any]]:
    """Segments of a SubRip (SRT) file: numbered cues, "00:00:01,000 --> ..." timings."""
    return _parse_cues(_normalized(content), strict=strict, srt=True)


def parse_caption_file(content: str) -> list[dict[str, Any]]:
    """An uploaded WebVTT or SRT file, checked strictly (docs/DESIGN.md section 4)."""
    if content.lstrip("\ufeff").startswith("WEBVTT"):
        return parse_vtt(content, strict=True)
    return parse_srt(content, strict=True)


def _normalized(content: str) -> str:
    """The file's text with "\n" line ends, without a byte order mark."""
    return content.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


# The parser works on the whole text, not a list of lines: regexes find the timing
# lines and str.find the ends of cues, in C, so that the Python loop runs once per
# cue, not once per line (a file of a million empty or one-letter lines costs little
# more than a file of long ones).
#
# A cue is a timing line and the lines after it, up to the first empty line or the
# next timing line (YouTube's " " lines belong to the cue). In strict mode every
# other line that is not blank is checked (_check_line).

def _parse_cues(text: str, *, strict: bool, srt: bool) -> list[dict[str, Any]]:
    position = 0 if srt else _header_end(text)
    timings = list(_TIMING_LINE_RE.finditer(text, position))
    cue_starts = [timing.start() for timing in timings[1:]] + [len(text)] if timings else []
    lines = _LineNumbers(text)
    unreadable = _first_unreadable(timings) if strict else None
    segments = []
    shown: list[str] = []  # the previous cue's lines
    for timing, next_cue in zip(timings, cue_starts, strict=True):
        start, end = _cue_times(timing)
        if strict:
            if timing.start() - position > 1:  # more than one empty line before it
                _check_lines(text, position, timing.start(), lines, srt)
            if timing is unreadable:
                _check_timing(timing.group(), timing.start(), lines)
            if end < start:
                raise CaptionFileError(lines.number(timing.start()),
                                       "the cue ends before it starts")
        body, position = _cue_body(text, timing.end(), next_cue)
        cue = _plain_lines(body)
        new, shown = cue[_repeated_lines(shown, cue):], cue
        if new:
            text_shown = " ".join(new)
            duration = max(0.0, end - start)
            words = None if srt else _cue_word_starts(body, text_shown, start, duration)
            segments.append(_segment(text_shown, start, duration, words))
    if strict:
        _check_lines(text, position, len(text), lines, srt)
        if not segments:
            raise CaptionFileError(0, "the file has no cues with text")
    return sorted(segments, key=operator.itemgetter("start"))


def _cue_word_starts(body: str, shown: str, start: float, duration: float) -> list[float] | None:
    """The word times of a WebVTT cue's new lines (`shown`, the last lines of `body`):
    its text up to the first timestamp tag is said at the cue's start, the text after
    each tag at the tag's time. None for a cue without timestamp tags."""
    if "<" not in body or not _TIMESTAMP_TAG_RE.search(body):
        return None
    parts = _TIMESTAMP_TAG_RE.split(body)  # text, stamp, text, stamp, ..., text
    times = [start] + [_clock_seconds(stamp) for stamp in parts[1::2]]
    starts = _word_starts(zip(times, parts[::2], strict=True))
    count = len(shown.split())
    if len(starts) != len(_plain_text(body).split()) or count > len(starts):
        return None
    return checked_word_starts(shown, start, duration, starts[len(starts) - count:])


def _clock_seconds(stamp: str) -> float:
    """"hh:mm:ss.ttt" or "mm:ss.ttt" in seconds."""
    seconds = 0.0
    for part in stamp.split(":"):
        seconds = seconds * 60 + float(part)
    return seconds


def _header_end(text: str) -> int:
    """Where the WebVTT header block (WEBVTT, Kind:, Language:) ends: at the start of
    the first blank line after the WEBVTT line, or of the first line with "-->"."""
    second_line = text.find("\n") + 1
    if not second_line:
        return len(text)
    blank = _BLANK_LINE_RE.search(text, second_line)
    arrow = text.find("-->", second_line)
    return min(blank.start() if blank else len(text),
               text.rfind("\n", 0, arrow) + 1 if arrow >= 0 else len(text))


def _cue_body(text: str, timing_end: int, next_cue: int) -> tuple[str, int]:
    """The lines after a timing line (which ends at timing_end) up to the first empty
    line or the next cue (its timing line starts at next_cue), and where the line
    after them starts."""
    if timing_end >= len(text):
        return "", len(text)
    blank = text.find("\n\n", timing_end, next_cue + 1)
    if blank >= 0:  # the empty line starts at blank + 1
        return text[timing_end + 1:blank], blank + 1
    if next_cue < len(text):
        return text[timing_end + 1:next_cue - 1], next_cue
    return text[timing_end + 1:].removesuffix("\n"), len(text)


class _LineNumbers:
    """1-based line numbers of positions in text, asked in increasing order: each
    counts the newlines since the last one asked, so all of them cost one pass."""

    def __init__(self, text: str) -> None:
        self._text, self._position, self._number = text, 0, 1

    def number(self, position: int) -> int:
        self._number += self._text.count("\n", self._position, position)
        self._position = position
        return self._number


def _check_lines(text: str, first: int, stop: int, lines: _LineNumbers, srt: bool) -> None:
    """Strict mode: check the lines from the one starting at first up to position stop."""
    while (start := _next_line_to_check(text, first, stop, srt)) is not None:
        first = _check_line(text, start, lines, srt) + 1


def _next_line_to_check(text: str, first: int, stop: int, srt: bool) -> int | None:
    """Where the next line strict mode must look at starts: blank lines are skipped by
    a regex search, not one by one."""
    if srt:
        found = _NOT_BLANK_RE.search(text, first, stop)
        return None if found is None else text.rfind("\n", 0, found.start()) + 1
    found = _VTT_TO_CHECK_RE.search(text, first - 1, stop)  # first > 0: after WEBVTT
    return None if found is None else found.end()


def _check_line(text: str, start: int, lines: _LineNumbers, srt: bool) -> int:
    """Strict mode: the line starting at `start` (not blank) begins a block, after an
    empty line or the file's start; it must be a timing, a cue id followed by a
    timing, or (WebVTT) a NOTE, STYLE or REGION block. Returns where it ends."""
    end = _line_end(text, start)
    line = text[start:end]
    if not srt and _VTT_BLOCK_RE.match(text, start, end):
        # A comment, a style sheet or a region: its lines up to the next blank one are
        # not cues (a style sheet's "::cue {" is not a cue id), and are skipped at once.
        blank = _BLANK_LINE_RE.search(text, end + 1)
        return blank.start() - 1 if blank else len(text)
    if "-->" in line:
        _check_timing(line, start, lines)
    elif "-->" not in text[end + 1:_line_end(text, end + 1)]:
        raise CaptionFileError(lines.number(start),
                               f"expected a cue timing, found {line.strip()[:80]!r}")
    elif srt and not line.strip().isdigit():  # a cue identifier, its timing next
        raise CaptionFileError(lines.number(start),
                               f"expected a cue number, found {line.strip()[:80]!r}")
    return end


def _first_unreadable(timings: list[re.Match[str]]) -> re.Match[str] | None:
    """The first timing line that strict mode refuses, found in one C-level pass."""
    lines = map(re.Match.group, timings)
    refused = map(operator.not_, map(_STRICT_TIMING_RE.match, lines))
    return next(itertools.compress(timings, refused), None)


def _check_timing(line: str, start: int, lines: _LineNumbers) -> None:
    """Strict mode: a timing line must be whole (settings after it are allowed),
    minutes and seconds below 60."""
    if not _STRICT_TIMING_RE.match(line):
        raise CaptionFileError(lines.number(start),
                               f"unreadable cue timing {line.strip()[:80]!r}; "
                               "expected e.g. 00:00:01.000 --> 00:00:04.000")


def _line_end(text: str, start: int) -> int:
    end = text.find("\n", start)
    return len(text) if end < 0 else end


def _cue_times(timing: re.Match[str]) -> tuple[float, float]:
    """A timing line's start and end in seconds, by the float operations of adding up
    "h:m:s" part by part (absent hours are 0), so the roundings are the same."""
    start_hours, start_minutes, start_seconds, end_hours, end_minutes, end_seconds = \
        timing.groups()
    start = (float(start_hours or 0) * 60 + float(start_minutes)) * 60 + \
        float(start_seconds.replace(",", "."))
    end = (float(end_hours or 0) * 60 + float(end_minutes)) * 60 + \
        float(end_seconds.replace(",", "."))
    return start, end


# Real cues have one to three lines. Trying every length costs at most _FEW_LINES²
# / 2 line comparisons in C, less than setting up the linear search below that.
_FEW_LINES = 16


def _repeated_lines(previous: list[str], cue: list[str]) -> int:
    """The longest n with cue[:n] == previous[-n:]: how many of the cue's leading
    lines repeat the end of the previous cue (YouTube's rolling auto-captions)."""
    shortest = min(len(previous), len(cue))
    if shortest <= 1:  # the most common case, and the tiny cues of a crafted file
        return int(shortest == 1 and cue[0] == previous[-1])
    if shortest > _FEW_LINES:
        return _longest_overlap(previous[-shortest:], cue[:shortest])
    for repeated in range(shortest, 0, -1):
        if cue[:repeated] == previous[-repeated:]:
            return repeated
    return 0


def _longest_overlap(tail: list[str], head: list[str]) -> int:
    """The longest suffix of tail that is a prefix of head (lists of equal length).

    Knuth-Morris-Pratt, head the pattern and tail the text: the match state after
    tail's last line is the answer. Linear, where trying every length was quadratic.
    Lines become small ints first, so that each is hashed once, not compared often."""
    if tail == head:
        return len(head)
    ids = dict(zip(head, itertools.count()))  # a number for each distinct line
    text = list(map(ids.get, tail))  # None: a line head does not have
    if None in text:  # an overlap starts after the last such line
        text = text[len(text) - text[::-1].index(None):]
        if not text:
            return 0
    pattern = list(map(ids.__getitem__, head[:len(text)]))
    fallback = _kmp_fallback(pattern)
    matched = 0
    for item in text:
        while matched and pattern[matched] != item:
            matched = fallback[matched - 1]
        if pattern[matched] == item:
            matched += 1
    return matched


def _kmp_fallback(pattern: list[int]) -> list[int]:
    """fallback[i]: the length of the longest proper prefix of pattern[:i + 1] that
    is also its suffix (the KMP failure function)."""
    fallback = [0]
    length = 0
    for item in itertools.islice(pattern, 1, None):
        while length and item != pattern[length]:
            length = fallback[length - 1]
        if item == pattern[length]:
            length += 1
        fallback.append(length)
    return fallback


def _plain_lines(text: str) -> list[str]:
    """A cue's lines ("\n" between them) as plain text, the empty ones left out: tags
    removed, entities decoded, whitespace squashed. The lines are cleaned together,
    in C-level passes: per-line Python would cost more than the text on files of
    many tiny lines."""
    if "\n" not in text and "&" not in text and "<" not in text \
            and not _UNSQUASHED_RE.search(text):  # one clean line: tiny cues come cheap
        text = text.strip()
        return [text] if text else []
    if "<" in text:
        text = _strip_tags(text)
    if "&" in text:
        # Decoded after the tags are gone: what was escaped ("&lt;fast&gt;") is the
        # caption's own words, kept, with look-alike brackets so no tag comes out.
        text = _unescape(text)
        if "<" in text and _TAG_RE.search(text):  # one C-level pass, not one per tag
            text = text.translate(_LOOK_ALIKE_BRACKETS)
    if _UNSQUASHED_RE.search(text):
        text = _UNSQUASHED_RE.sub(" ", text)
    return list(filter(None, map(str.strip, text.split("\n"))))


def _plain_text(markup: str) -> str:
    """Caption text (json3) as one plain line."""
    return " ".join(_plain_lines(markup))


def _unescape(text: str) -> str:
    """html.unescape, safe on any input and keeping the joined lines apart."""
    if "&#" in text:
        text = _LONG_NUMBER_REF_RE.sub(_short_number_ref, text)
        text = _LINE_FEED_REF_RE.sub(" ", text)
    elif "&NewLine;" in text:
        text = text.replace("&NewLine;", " ")
    return html.unescape(text)


def _short_number_ref(match: re.Match[str]) -> str:
    """A numeric character reference without leading zeros; U+FFFD if past U+10FFFF."""
    reference = match.group().rstrip(";")
    prefix = "&#x" if reference[2:3] in "xX" else "&#"
    digits = reference[len(prefix):].lstrip("0") or "0"
    return f"{prefix}{digits};" if len(digits) <= 8 else "\ufffd"


def _strip_tags(text: str) -> str:
    """text without tags, and without any tag-like "<x...>" (after decoding, an
    escaped "&lt;b&gt;" is one). Removing a tag can join the text around it into a
    new one ("<<b>i>"); never in real captions, so then the brackets go, the words
    stay: one more pass, where removing tags until none is left is quadratic."""
    if ">" not in text:
        return text
    text = _TAG_RE.sub("", text)
    return text.translate(_BRACKETS) if _TAG_RE.search(text) else text


def _segment(text: str, start: float, duration: float,
             word_starts: list[float] | None = None) -> dict[str, Any]:
    segment: dict[str, Any] = {"text": text, "start": round(start, 3),
                               "duration": round(duration, 3)}
    if word_starts is not None:
        segment["word_starts"] = word_starts
    return segment
