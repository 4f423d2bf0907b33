"""Chapters of a video: YouTube's chapter markers (the watch page's ytInitialData),
else the timestamps in its description (docs/DESIGN.md section 6)."""
from __future__ import annotations

import re
from typing import Any

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
        return clean(found)
    return []


# --- YouTube's own chapter markers (the watch page's ytInitialData) ---------------

_INITIAL_DATA_MARKERS = ("var ytInitialData = ", 'window["ytInitialData"] = ')
CREATOR_PANEL = "engagement-panel-macro-markers-description-chapters"
KEY_MOMENTS_PANEL = "engagement-panel-macro-markers-auto-chapters"
_PLACEHOLDER_RE = re.compile(r"<Untitled Chapter \d+>")
MAX_CHAPTERS = 500


def initial_data(page: str) -> dict[str, Any] | None:
    """The watch page's ytInitialData object, or None. The object is JSON followed by
    `;</script>` (YouTube escapes "<" inside strings), so a JSON decoder stops at it."""
    import json

    for marker in _INITIAL_DATA_MARKERS:
        at = page.find(marker)
        if at >= 0:
            try:
                data, _ = json.JSONDecoder().raw_decode(page, at + len(marker))
            except ValueError:
                return None
            return data if isinstance(data, dict) else None
    return None


def from_markers(data: dict[str, Any] | None, *, key_moments: bool = False) -> list[Chapter]:
    """The creator's chapters as YouTube shows them: the description-chapters panel,
    else the player bar's markers map, else the legacy chaptered player bar. With
    `key_moments`, YouTube's automatic "Key moments" panel when nothing else exists."""
    if not isinstance(data, dict):
        return []
    for found in (_panel(data, CREATOR_PANEL), _markers_map(data), _legacy_bar(data),
                  _panel(data, KEY_MOMENTS_PANEL) if key_moments else []):
        found = clean(found)
        if found:
            return found
    return []


def clean(chapters: list[Chapter]) -> list[Chapter]:
    """Titles trimmed, placeholders and empty titles dropped (yt-dlp names an untitled
    chapter "<Untitled Chapter N>"), starts strictly increasing."""
    kept: list[Chapter] = []
    for chapter in chapters[:MAX_CHAPTERS]:
        title = " ".join(str(chapter.title or "").split())[:200]
        if not title or _PLACEHOLDER_RE.fullmatch(title):
            continue
        if kept and chapter.start <= kept[-1].start:
            continue
        kept.append(Chapter(title, float(chapter.start)))
    return kept


def _text(value: object) -> str:
    if not isinstance(value, dict):
        return ""
    if "simpleText" in value:
        return str(value["simpleText"])
    return "".join(str(run.get("text") or "") for run in value.get("runs") or []
                   if isinstance(run, dict))


def _panel(data: dict[str, Any], identifier: str) -> list[Chapter]:
    for panel in data.get("engagementPanels") or []:
        renderer = (panel or {}).get("engagementPanelSectionListRenderer") or {}
        if renderer.get("panelIdentifier") != identifier:
            continue
        contents = ((renderer.get("content") or {}).get("macroMarkersListRenderer") or {}) \
            .get("contents") or []
        found = []
        for item in contents:
            marker = (item or {}).get("macroMarkersListItemRenderer")
            if not isinstance(marker, dict):
                continue  # e.g. an info row before the items
            start = (((marker.get("onTap") or {}).get("watchEndpoint") or {})
                     .get("startTimeSeconds"))
            if start is None:
                clock = _text(marker.get("timeDescription"))
                start = parse_clock(clock) if re.fullmatch(r"(?:\d+:)?\d{1,2}:\d{2}", clock) \
                    else None
            if start is not None:
                found.append(Chapter(_text(marker.get("title")), float(start)))
        return found
    return []


def _player_bar(data: dict[str, Any]) -> dict[str, Any]:
    overlay = ((data.get("playerOverlays") or {}).get("playerOverlayRenderer") or {})
    decorated = ((overlay.get("decoratedPlayerBarRenderer") or {})
                 .get("decoratedPlayerBarRenderer") or {})
    return decorated.get("playerBar") or {}


def _chapter_renderers(chapters: object) -> list[Chapter]:
    found = []
    for entry in chapters if isinstance(chapters, list) else []:
        renderer = (entry or {}).get("chapterRenderer") or {}
        millis = renderer.get("timeRangeStartMillis")
        if isinstance(millis, (int, float)):
            found.append(Chapter(_text(renderer.get("title")), millis / 1000))
    return found


def _markers_map(data: dict[str, Any]) -> list[Chapter]:
    bar = _player_bar(data).get("multiMarkersPlayerBarRenderer") or {}
    for entry in bar.get("markersMap") or []:
        if (entry or {}).get("key") == "DESCRIPTION_CHAPTERS":
            return _chapter_renderers((entry.get("value") or {}).get("chapters"))
    return []


def _legacy_bar(data: dict[str, Any]) -> list[Chapter]:
    bar = _player_bar(data).get("chapteredPlayerBarRenderer") or {}
    return _chapter_renderers(bar.get("chapters"))


def best(data: dict[str, Any] | None, description: str) -> list[Chapter]:
    """Creator markers, else description timestamps, else Key moments."""
    return (from_markers(data) or from_description(description)
            or clean(_panel(data, KEY_MOMENTS_PANEL) if isinstance(data, dict) else []))
