"""Chapters of a video, from the timestamps in its description."""
from __future__ import annotations

import re

from chalicelib.youtube.transcript_model import Chapter

_CHAPTER_RE = re.compile(r"^\s*[\[(]?((?:\d{1,2}:)?\d{1,2}:\d{2})[\])]?\s*[-–—:|]?\s*(.+?)\s*$")


def parse_clock(text: str) -> int:
    seconds = 0
    for part in text.split(":"):
        seconds = seconds * 60 + int(part)
    return seconds


def from_description(description: str) -> list[Chapter]:
    """Chapters the way YouTube makes them: description lines with timestamps,
    the first at 0:00, at least three, in increasing order."""
    found: list[Chapter] = []
    for line in description.splitlines():
        match = _CHAPTER_RE.match(line)
        if match:
            start = parse_clock(match.group(1))
            if found and start <= found[-1].start:
                continue
            found.append(Chapter(match.group(2)[:200], float(start)))
    if len(found) >= 3 and found[0].start == 0:
        return found
    return []
