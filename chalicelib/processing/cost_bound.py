"""The cost bound (docs/DESIGN.md section 6): a video's model tokens stay within a
fixed multiple of what an honest lecture of its billed length needs.

The price is one credit per started hour of video, but what the model reads is
the caption text, which the uploader controls. So the text is measured (in
conservatively estimated tokens) against what its billed hours may carry:
TOKENS_PER_SECOND of every billed second, about twice a brisk English lecture
(~20 characters, ~5 tokens a second; a fast speaker ~6, Japanese or Chinese
speech ~5-8). Within that, the video costs what its duration costs. Beyond it,
the video is priced by the size of its captions (the seconds that text would
take at the bound), and the student is told why; beyond what the longest video
we accept may carry, it is refused. So one billed credit never buys more than
TOKENS_PER_SECOND * 3600 transcript tokens (bench: the adversarial row).

Long caption lines are split (split_long_segments) so the chunking of
chalicelib.notes.claude can bound every call, however the text is laid out.
"""
from __future__ import annotations

import dataclasses
import math

from chalicelib.core import config
from chalicelib.ledger import pricing
from chalicelib.notes.markdown import clock
from chalicelib.youtube.transcript_model import (
    MAX_VIDEO_SECONDS,
    Segment,
    Transcript,
    TranscriptUnavailable,
)

TOKENS_PER_SECOND = 12.0
MAX_SEGMENT_CHARS = 500
CAPTIONS_TOO_LARGE = "captions_too_large"


@dataclasses.dataclass(frozen=True)
class Billing:
    """What a transcript is billed as."""

    duration_seconds: int
    billed_seconds: int  # what pricing.credits_for is given
    estimated_tokens: int
    by_size: bool

    @property
    def credits(self) -> int:
        return pricing.credits_for(self.billed_seconds)

    @property
    def message(self) -> str:
        """Why the price is what it is, in words for the student."""
        if not self.by_size:
            return ""
        return (f"This video's captions are far longer than speech of its length "
                f"({clock(self.duration_seconds)}), so it is priced by the size of its "
                f"captions: as {clock(self.billed_seconds)} of lecture, "
                f"{self.credits} credit{'s' if self.credits != 1 else ''}.")


def tokens_per_second() -> float:
    """CAPTION_TOKENS_PER_SECOND overrides the bound (the operator's knob)."""
    return float(config.env("CAPTION_TOKENS_PER_SECOND", str(TOKENS_PER_SECOND))
                 or TOKENS_PER_SECOND)


def estimate_tokens(text: str) -> int:
    """Conservative for every script: about four ASCII characters a token, and one
    token for any other character (CJK text is close to one a character)."""
    ascii_chars = sum(1 for ch in text if ch < "\x80")
    return math.ceil(ascii_chars / 4) + (len(text) - ascii_chars)


def bill(transcript: Transcript) -> Billing:
    """The billing of a transcript; TranscriptUnavailable(captions_too_large) when its
    text is more than the longest accepted video may carry."""
    duration = max(int(transcript.duration_seconds), 1)
    tokens = sum(estimate_tokens(segment.text) + 1 for segment in transcript.segments)
    rate = tokens_per_second()
    covered = pricing.credits_for(duration) * pricing.SECONDS_PER_CREDIT
    if tokens <= rate * covered:
        return Billing(duration, duration, tokens, by_size=False)
    billed = math.ceil(tokens / rate)
    if billed > MAX_VIDEO_SECONDS:
        raise TranscriptUnavailable(
            CAPTIONS_TOO_LARGE,
            f"This video's captions are far longer than speech of its length "
            f"({clock(duration)}): they hold as much text as {clock(billed)} of lecture, "
            f"more than the {MAX_VIDEO_SECONDS // 3600} hours we accept. Nothing was "
            f"charged.")
    return Billing(duration, billed, tokens, by_size=True)


def split_long_segments(transcript: Transcript, limit: int = MAX_SEGMENT_CHARS) -> Transcript:
    """The transcript with no segment longer than `limit` characters: a long one is
    cut at spaces into pieces that share its time span in proportion. Nothing is
    dropped."""
    if all(len(segment.text) <= limit for segment in transcript.segments):
        return transcript
    segments: list[Segment] = []
    for segment in transcript.segments:
        if len(segment.text) <= limit:
            segments.append(segment)
            continue
        pieces = _pieces(segment.text, limit)
        total = sum(len(piece) for piece in pieces) or 1
        start = segment.start
        for piece in pieces:
            share = segment.duration * len(piece) / total
            segments.append(Segment(piece, round(start, 3), round(share, 3)))
            start += share
    return dataclasses.replace(transcript, segments=segments)


def _pieces(text: str, limit: int) -> list[str]:
    pieces = []
    while len(text) > limit:
        cut = text.rfind(" ", limit // 2, limit)
        cut = cut if cut > 0 else limit
        pieces.append(text[:cut].strip())
        text = text[cut:]
    if text.strip():
        pieces.append(text.strip())
    return [piece for piece in pieces if piece]
