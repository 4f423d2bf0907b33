"""Caption file parsers: YouTube's json3, WebVTT and SRT (uploads), into transcript
segments ({"text", "start", "duration"})."""
from __future__ import annotations

import html
import json
import re


def parse_json3(content: bytes | str) -> list[dict]:
    """Segments of a YouTube json3 caption file."""
    document = json.loads(content)
    if not isinstance(document, dict):
        raise ValueError("json3 document is not an object")
    segments = []
    for event in document.get("events") or []:
        # Events without segs set up windows; "\n"-only ones break lines.
        text = _squash("".join(str(seg.get("utf8") or "") for seg in event.get("segs") or []
                               if isinstance(seg, dict)))
        if text:
            segments.append(_segment(text, (event.get("tStartMs") or 0) / 1000,
                                     (event.get("dDurationMs") or 0) / 1000))
    return sorted(segments, key=lambda s: s["start"])


_TIMING_RE = re.compile(
    r"^\s*((?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3})\s+-->\s+((?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3})")
_TAG_RE = re.compile(r"<[^>]*>")
# Uploaded files are checked strictly: a timing line must be whole (settings after it
# are allowed), minutes and seconds below 60.
_STRICT_TIMING_RE = re.compile(
    r"^\s*((?:\d+:)?[0-5]?\d:[0-5]\d[.,]\d{1,3})\s+-->\s+((?:\d+:)?[0-5]?\d:[0-5]\d[.,]\d{1,3})"
    r"(?:\s+\S.*)?\s*$")
_VTT_BLOCKS = ("NOTE", "STYLE", "REGION")


class CaptionFileError(ValueError):
    """An uploaded caption file that cannot be read; `line` is 1-based."""

    def __init__(self, line: int, problem: str) -> None:
        super().__init__(f"line {line}: {problem}" if line else problem)
        self.line = line
        self.problem = problem


def parse_vtt(content: str, strict: bool = False) -> list[dict]:
    """Segments of a WebVTT file, without the lines YouTube's auto-captions repeat.

    Auto-caption cues roll: each shows the previous line again above the new one,
    and a 10 ms cue in between shows the finished line alone. A cue's lines that
    repeat the end of the previous cue's are dropped, then empty cues.
    `strict` (uploads) raises CaptionFileError naming the first bad line.
    """
    lines = _lines(content)
    if not lines[0].startswith("WEBVTT"):
        if strict:
            raise CaptionFileError(1, 'a WebVTT file starts with "WEBVTT"')
        raise ValueError("not a WebVTT file")
    return _parse_cues(lines, start_at=1, strict=strict, srt=False)


def parse_srt(content: str, strict: bool = False) -> list[dict]:
    """Segments of a SubRip (SRT) file: numbered cues, "00:00:01,000 --> ..." timings."""
    return _parse_cues(_lines(content), start_at=0, strict=strict, srt=True)


def parse_caption_file(content: str) -> list[dict]:
    """An uploaded WebVTT or SRT file, checked strictly (docs/DESIGN.md section 4)."""
    if content.lstrip("\ufeff").startswith("WEBVTT"):
        return parse_vtt(content, strict=True)
    return parse_srt(content, strict=True)


def _lines(content: str) -> list[str]:
    return content.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _parse_cues(lines: list[str], *, start_at: int, strict: bool, srt: bool) -> list[dict]:
    segments = []
    shown: list[str] = []  # the previous cue's lines
    index = start_at
    if not srt:
        # The header block (WEBVTT, Kind:, Language:) ends at the first empty line.
        while index < len(lines) and lines[index].strip() and "-->" not in lines[index]:
            index += 1
    while index < len(lines):
        line = lines[index]
        timing = _TIMING_RE.match(line)
        if strict:
            _check_line(lines, index, srt)
        index += 1
        if not timing:
            continue
        start, end = _seconds(timing.group(1)), _seconds(timing.group(2))
        if strict and end < start:
            raise CaptionFileError(index, "the cue ends before it starts")
        body = []
        # A cue ends at the first empty line (YouTube's " " lines belong to it), or at
        # a timing line that follows without one: that line starts the next cue.
        while index < len(lines) and lines[index] != "" and not _TIMING_RE.match(lines[index]):
            body.append(lines[index])
            index += 1
        cue = [text for text in (_squash(html.unescape(_TAG_RE.sub("", line)))
                                 for line in body) if text]
        repeated = next((n for n in range(min(len(cue), len(shown)), 0, -1)
                         if cue[:n] == shown[-n:]), 0)
        new, shown = cue[repeated:], cue
        if new:
            segments.append(_segment(" ".join(new), start, max(0.0, end - start)))
    if strict and not segments:
        raise CaptionFileError(0, "the file has no cues with text")
    return sorted(segments, key=lambda s: s["start"])


def _check_line(lines: list[str], index: int, srt: bool) -> None:
    """Strict mode: the line at `index` begins a block (after an empty line, or the
    file's start); it must be a timing, a cue id followed by a timing, or (WebVTT)
    a NOTE, STYLE or REGION block."""
    line = lines[index]
    number = index + 1
    if "-->" in line:
        if not _STRICT_TIMING_RE.match(line):
            raise CaptionFileError(number, f"unreadable cue timing {line.strip()[:80]!r}; "
                                           "expected e.g. 00:00:01.000 --> 00:00:04.000")
        return
    if not line.strip():
        return
    if not srt and line.split(" ")[0] in _VTT_BLOCKS:
        return
    following = lines[index + 1] if index + 1 < len(lines) else ""
    if "-->" in following:
        if srt and not line.strip().isdigit():
            raise CaptionFileError(number, f"expected a cue number, found {line.strip()[:80]!r}")
        return  # a cue identifier; the next line is checked next
    raise CaptionFileError(number, f"expected a cue timing, found {line.strip()[:80]!r}")


def _seconds(timestamp: str) -> float:
    seconds = 0.0
    for part in timestamp.replace(",", ".").split(":"):
        seconds = seconds * 60 + float(part)
    return seconds


def _squash(text: str) -> str:
    return " ".join(text.split())


def _segment(text: str, start: float, duration: float) -> dict:
    return {"text": text, "start": round(start, 3), "duration": round(duration, 3)}
