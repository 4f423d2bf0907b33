"""Caption file parsers: YouTube's json3 and WebVTT, into transcript segments
({"text", "start", "duration"})."""
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


def parse_vtt(content: str) -> list[dict]:
    """Segments of a WebVTT file, without the lines YouTube's auto-captions repeat.

    Auto-caption cues roll: each shows the previous line again above the new one,
    and a 10 ms cue in between shows the finished line alone. A cue's lines that
    repeat the end of the previous cue's are dropped, then empty cues.
    """
    lines = content.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if not lines[0].startswith("WEBVTT"):
        raise ValueError("not a WebVTT file")
    segments = []
    shown: list[str] = []  # the previous cue's lines
    index = 0
    while index < len(lines):
        timing = _TIMING_RE.match(lines[index])
        index += 1
        if not timing:
            continue
        body = []
        # A cue ends at the first empty line; YouTube's " " lines belong to it.
        while index < len(lines) and lines[index] != "":
            body.append(lines[index])
            index += 1
        cue = [text for text in (_squash(html.unescape(_TAG_RE.sub("", line)))
                                 for line in body) if text]
        repeated = next((n for n in range(min(len(cue), len(shown)), 0, -1)
                         if cue[:n] == shown[-n:]), 0)
        new, shown = cue[repeated:], cue
        if new:
            start, end = _seconds(timing.group(1)), _seconds(timing.group(2))
            segments.append(_segment(" ".join(new), start, max(0.0, end - start)))
    return sorted(segments, key=lambda s: s["start"])


def _seconds(timestamp: str) -> float:
    seconds = 0.0
    for part in timestamp.replace(",", ".").split(":"):
        seconds = seconds * 60 + float(part)
    return seconds


def _squash(text: str) -> str:
    return " ".join(text.split())


def _segment(text: str, start: float, duration: float) -> dict:
    return {"text": text, "start": round(start, 3), "duration": round(duration, 3)}
