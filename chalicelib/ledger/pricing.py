"""What a video costs: 1 credit per started hour, one reserved at submit."""
from __future__ import annotations

import math

SECONDS_PER_CREDIT = 3600
RESERVED_CREDITS = 1


def credits_for(duration_seconds: int) -> int:
    """1 credit per started hour (a 20-minute video costs 1, a 61-minute video 2)."""
    return max(1, math.ceil(max(duration_seconds, 1) / SECONDS_PER_CREDIT))
