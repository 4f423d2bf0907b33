"""Chapters of a video (docs/DESIGN.md section 7): the creator's, else YouTube's
automatic chapters when its player bar shows them. "Key moments" are never chapters.

Where they are in the watch page's ytInitialData (the same tree as the /next answer;
recorded pages: TeamNewPipe/NewPipeExtractor's YouTube mocks, 2025 and 2026):

  creator chapters     the panel "engagement-panel-macro-markers-description-chapters"
                       and the player bar's markersMap entry "DESCRIPTION_CHAPTERS"
                       (older pages: playerBar.chapteredPlayerBarRenderer); else the
                       description's timestamps, which YouTube makes them from
  automatic chapters   the markersMap entry "AUTO_CHAPTERS" (visibleOnLoad names it),
                       with a panel "engagement-panel-macro-markers-auto-chapters"
                       titled "Chapters" ("These chapters are auto-generated")
  Key moments          a panel with that same identifier, titled "Key moments", and a
                       KEY_MOMENTS markers entity; never on the markersMap, never on
                       the player bar (a lecture's first one may be at 8:45)

So the auto-chapters panel is never read: its identifier does not say which of the
two it holds. The player bar does.
"""
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


# --- YouTube's chapter markers (the watch page's ytInitialData) --------------------

_INITIAL_DATA_MARKERS = ("var ytInitialData = ", 'window["ytInitialData"] = ')
CREATOR_PANEL = "engagement-panel-macro-markers-description-chapters"
CREATOR_MARKERS = "DESCRIPTION_CHAPTERS"
AUTOMATIC_MARKERS = "AUTO_CHAPTERS"
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


def best(data: dict[str, Any] | None, description: str) -> list[Chapter]:
    """The creator's chapter markers, else the description's timestamps, else
    YouTube's automatic chapters on the player bar. Never Key moments."""
    return from_markers(data) or from_description(description) or automatic(data)


def from_markers(data: dict[str, Any] | None) -> list[Chapter]:
    """The creator's chapters as YouTube shows them: the description-chapters panel,
    else the player bar's DESCRIPTION_CHAPTERS markers, else the legacy chaptered bar."""
    if not isinstance(data, dict):
        return []
    for found in (_panel(data, CREATOR_PANEL), _markers_map(data, CREATOR_MARKERS),
                  _legacy_bar(data)):
        found = clean(found)
        if found:
            return found
    return []


def automatic(data: dict[str, Any] | None) -> list[Chapter]:
    """YouTube's automatic chapters, only as its player bar shows them (the
    AUTO_CHAPTERS markers): the panel they share an identifier with may be Key moments."""
    if not isinstance(data, dict):
        return []
    return clean(_markers_map(data, AUTOMATIC_MARKERS))


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
    bar = decorated.get("playerBar") or {}
    return bar if isinstance(bar, dict) else {}


def _chapter_renderers(chapters: object) -> list[Chapter]:
    found = []
    for entry in chapters if isinstance(chapters, list) else []:
        renderer = (entry or {}).get("chapterRenderer") or {}
        millis = renderer.get("timeRangeStartMillis")
        if isinstance(millis, (int, float)):
            found.append(Chapter(_text(renderer.get("title")), millis / 1000))
    return found


def _markers_map(data: dict[str, Any], key: str) -> list[Chapter]:
    bar = _player_bar(data).get("multiMarkersPlayerBarRenderer") or {}
    for entry in bar.get("markersMap") or []:
        if (entry or {}).get("key") == key:
            return _chapter_renderers((entry.get("value") or {}).get("chapters"))
    return []


def _legacy_bar(data: dict[str, Any]) -> list[Chapter]:
    bar = _player_bar(data).get("chapteredPlayerBarRenderer") or {}
    return _chapter_renderers(bar.get("chapters"))
