"""Charging for videos: the reserve at submit, the rest once the duration is
known (the refund of a failed or cancelled video is in chalicelib.ledger.refunds).

Each is one movement (chalicelib.ledger.movements) applied together with the
caller's write to the videos table, so the two happen together or not at all.
"""
from __future__ import annotations

from typing import Sequence

from chalicelib.ledger import ids, movements, pricing


def reserve(user_id: str, video_id: str, youtube_video_id: str, *,
            extra: Sequence[dict] = ()) -> movements.Applied:
    """Reserve the first credit of a submitted video (raises InsufficientCredits)."""
    return movements.apply(movements.Movement(
        ids.reserve(video_id), user_id, -pricing.RESERVED_CREDITS, "usage",
        {"video_id": video_id, "youtube_video_id": youtube_video_id, "reason": "reserve"}),
        extra=extra)


def charge_duration(user_id: str, video_id: str, youtube_video_id: str, *,
                    duration_seconds: int, already_charged: int,
                    extra: Sequence[dict] = ()) -> int | None:
    """Charge the rest of the price for this duration; the new total charged, or
    None when nothing more is due."""
    cost = pricing.credits_for(duration_seconds)
    if cost <= already_charged:
        return None
    movements.apply(movements.Movement(
        ids.usage(video_id), user_id, -(cost - already_charged), "usage",
        {"video_id": video_id, "youtube_video_id": youtube_video_id,
         "duration_seconds": duration_seconds, "reason": "duration"}), extra=extra)
    return cost
