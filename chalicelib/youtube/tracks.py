"""The caption-track policy: which of a video's caption tracks becomes the transcript.
One policy for both transcript paths (docs/DESIGN.md section 6): `choose` ranks
neutral Candidates; choose_track (yt-dlp's info dict) and choose_listed_track
(youtube-transcript-api's TranscriptList) only translate their inputs into them.

The order:
  1. for each preferred language, in order: a human track, then an automatic one.
     A regional variant matches its base language both ways (`en` takes `en-US`,
     `pt-BR` takes `pt`, `es-419` takes `es`); the exact code wins among equals;
  2. a human track in the spoken language (the automatic captions' language);
  3. the automatic captions in the spoken language;
  4. a human track in any language.
Machine translations (yt-dlp's `tlang` URLs, youtube-transcript-api's translate())
are never chosen: YouTube offers one for nearly every language, and the original
is more faithful; the note generator writes in the user's language whatever the
transcript's (docs/DESIGN.md section 6).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from urllib.parse import parse_qs, urlsplit

SUBTITLE_EXTS = ("json3", "vtt")  # in order of preference

T = TypeVar("T")


@dataclass(frozen=True)
class Candidate(Generic[T]):
    language: str        # as YouTube gives it: "en", "en-US", "pt-BR", "zh-Hans"
    is_generated: bool
    translated: bool     # a YouTube machine translation
    item: T              # what the path fetches (a Track, a library Transcript)


def choose(candidates: Iterable[Candidate[T]], languages: Sequence[str]) -> Candidate[T] | None:
    """The candidate to use (order in the module docstring), or None."""
    originals = [c for c in candidates if not c.translated]
    manual = [c for c in originals if not c.is_generated]
    automatic = [c for c in originals if c.is_generated]
    for wanted in languages:
        for pool in (manual, automatic):
            found = _matching(pool, wanted)
            if found is not None:
                return found
    spoken = automatic[0].language if automatic else None
    if spoken is not None:
        found = _matching(manual, spoken)
        if found is not None:
            return found
        return automatic[0]
    return manual[0] if manual else None


def _matching(pool: Sequence[Candidate[T]], wanted: str) -> Candidate[T] | None:
    wanted = wanted.lower()
    exact = next((c for c in pool if c.language.lower() == wanted), None)
    return exact or next((c for c in pool if base(c.language) == base(wanted)), None)


def base(language: str) -> str:
    """"pt-BR" -> "pt", "es-419" -> "es", "zh-Hans" -> "zh"."""
    return language.lower().split("-")[0]


# --- yt-dlp ------------------------------------------------------------------------

@dataclass(frozen=True)
class Track:
    language: str       # the track's language code, from its URL
    is_generated: bool
    ext: str
    url: str
    translated: bool


def choose_track(info: Mapping[str, Any], languages: Sequence[str]) -> Track | None:
    """The yt-dlp caption track to use, or None."""
    pool = [*_tracks(info.get("subtitles"), generated=False),
            *_tracks(info.get("automatic_captions"), generated=True)]
    chosen = choose([Candidate(t.language, t.is_generated, t.translated, t) for t in pool],
                    languages)
    return chosen.item if chosen else None


def _tracks(container: Any, *, generated: bool) -> list[Track]:
    found = []
    for key, formats in (container or {}).items():
        if key == "live_chat" or not isinstance(formats, list):
            continue
        by_ext = {f.get("ext"): f for f in formats if isinstance(f, dict) and f.get("url")}
        ext = next((e for e in SUBTITLE_EXTS if e in by_ext), None)
        if ext is None:
            continue
        url = by_ext[ext]["url"]
        query = parse_qs(urlsplit(url).query)
        language = (query.get("lang") or [""])[0] or key.removesuffix("-orig")
        found.append(Track(language=language, is_generated=generated, ext=ext, url=url,
                           translated="tlang" in query))
    return found


# --- youtube-transcript-api --------------------------------------------------------

def choose_listed_track(listing: Any, languages: Sequence[str]) -> Any:
    """The library Transcript to fetch (never a translate()d one)."""
    from youtube_transcript_api import NoTranscriptFound

    chosen = choose([Candidate(t.language_code, bool(t.is_generated), False, t)
                     for t in listing], languages)
    if chosen is None:
        raise NoTranscriptFound(listing.video_id, list(languages), listing)
    return chosen.item
