"""Charging for videos: the reserve at submit, the rest once the duration is
known (the refund of a failed or cancelled video is in chalicelib.ledger.refunds).

Each is one movement (chalicelib.ledger.movements) applied together with the
caller's write to the videos table, so the two happen together or not at all.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chalicelib.core import config, db
from chalicelib.ledger import ids, movements, pricing


def reserve(user_id: str, video_id: str, youtube_video_id: str, *,
            extra: Sequence[dict[str, Any]] = ()) -> movements.Applied:
    """Reserve the first credit of a submitted video (raises InsufficientCredits)."""
    return movements.apply(movements.Movement(
        ids.reserve(video_id), user_id, -pricing.RESERVED_CREDITS, "usage",
        {"video_id": video_id, "youtube_video_id": youtube_video_id, "reason": "reserve"}),
        extra=extra)


def charge_duration(user_id: str, video_id: str, youtube_video_id: str, *,
                    duration_seconds: int, already_charged: int,
                    extra: Sequence[dict[str, Any]] = (), by_size: bool = False) -> int | None:
    """Charge the rest of the price for this duration; the new total charged, or
    None when nothing more is due. `by_size`: the seconds are what the captions'
    size is billed as, not the video's length (chalicelib.processing.cost_bound)."""
    cost = pricing.credits_for(duration_seconds)
    if cost <= already_charged:
        return None
    movements.apply(movements.Movement(
        ids.usage(video_id), user_id, -(cost - already_charged), "usage",
        {"video_id": video_id, "youtube_video_id": youtube_video_id,
         "duration_seconds": duration_seconds,
         "reason": "caption_size" if by_size else "duration"}), extra=extra)
    return cost


def record_tokens(video_id: str, usage: dict[str, Any]) -> dict[str, Any]:
    """The transaction item that records a job's model tokens on the video's usage
    row (its reserve, which every video has), written with the note: what a
    credit bought is in the ledger beside what it cost."""
    tokens = {key: int(usage.get(key) or 0) for key in
              ("input_tokens", "output_tokens", "cache_read_input_tokens", "calls")}
    return {"Update": {
        "TableName": config.transactions_table(),
        "Key": db.to_item({"transaction_id": ids.reserve(video_id)}),
        "UpdateExpression": "SET #m.model_tokens = :tokens",
        "ConditionExpression": "attribute_exists(transaction_id)",
        "ExpressionAttributeNames": {"#m": "metadata"},
        "ExpressionAttributeValues": db.values(tokens=tokens),
    }}
