"""The caption-track policy: which of a video's caption tracks becomes the transcript.

Two entry points, one per transcript path, until the transcripts issue settles
one policy for both:

choose_track (yt-dlp's info dict), in order:
  1. a manual subtitle track in the preferred languages (in their order),
  2. an automatic caption track in those languages,
  3. a manual track in any language (the spoken language's first, if known),
  4. the automatic captions in the spoken language.
Machine translations (caption URLs with `tlang`) are never chosen: yt-dlp lists one
for nearly every language, and the original-language transcript is more faithful;
the note generator writes in the user's language whatever the transcript's.

choose_listed_track (youtube-transcript-api's TranscriptList): manual captions over
generated ones in the user's languages; else a translation; else any track.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence
from urllib.parse import parse_qs, urlsplit

SUBTITLE_EXTS = ("json3", "vtt")  # in order of preference


@dataclass(frozen=True)
class Track:
    language: str       # the track's language code, from its URL
    is_generated: bool
    ext: str
    url: str
    translated: bool


def choose_track(info: Mapping[str, Any], languages: Sequence[str]) -> Track | None:
    """The caption track to use (order in the module docstring), or None."""
    manual = [t for t in _tracks(info.get("subtitles"), generated=False) if not t.translated]
    automatic = [t for t in _tracks(info.get("automatic_captions"), generated=True)
                 if not t.translated]
    for pool in (manual, automatic):
        track = _in_languages(pool, languages)
        if track is not None:
            return track
    # Untranslated automatic captions are in the spoken language.
    spoken = automatic[0].language if automatic else None
    if manual:
        return next((t for t in manual if spoken and _base(t.language) == _base(spoken)),
                    manual[0])
    return automatic[0] if automatic else None


def _tracks(container: Any, *, generated: bool) -> list[Track]:
    tracks = []
    for key, formats in (container or {}).items():
        if key == "live_chat" or not isinstance(formats, list):
            continue
        by_ext = {f.get("ext"): f for f in formats if isinstance(f, dict) and f.get("url")}
        ext = next((e for e in SUBTITLE_EXTS if e in by_ext), None)
        if ext is None:
            continue
        url = by_ext[ext]["url"]
        query = parse_qs(urlsplit(url).query)
        language = (query.get("lang") or [None])[0] or key.removesuffix("-orig")
        tracks.append(Track(language=language, is_generated=generated, ext=ext, url=url,
                            translated="tlang" in query))
    return tracks


def _in_languages(pool: Iterable[Track], languages: Sequence[str]) -> Track | None:
    pool = list(pool)
    for wanted in languages:
        wanted = wanted.lower()
        exact = next((t for t in pool if t.language.lower() == wanted), None)
        # "en" also accepts "en-GB", and "en-US" accepts "en".
        similar = next((t for t in pool if _base(t.language) == _base(wanted)), None)
        if exact or similar:
            return exact or similar
    return None


def _base(language: str) -> str:
    return language.lower().split("-")[0]


def choose_listed_track(listing: Any, languages: Sequence[str]) -> Any:
    """Manual captions over generated ones in the user's languages; else a translation."""
    from youtube_transcript_api import NoTranscriptFound

    wanted = list(dict.fromkeys([*languages, *[code.split("-")[0] for code in languages]]))
    try:
        return listing.find_manually_created_transcript(wanted)
    except NoTranscriptFound:
        pass
    try:
        return listing.find_generated_transcript(wanted)
    except NoTranscriptFound:
        pass
    tracks = sorted(listing, key=lambda track: track.is_generated)  # manual first
    for track in tracks:
        if track.is_translatable:
            codes = {lang.language_code for lang in track.translation_languages}
            for code in wanted:
                if code in codes:
                    return track.translate(code)
    if tracks:
        # No usable language and no translation: a transcript in its own language
        # still makes notes (the model writes them in the user's language).
        return tracks[0]
    raise NoTranscriptFound(listing.video_id, wanted, listing)
