"""JSON replies end with a newline, so a shell prompt does not stick to `curl`'s output.

Chalice serialises a dict or list body itself (compact JSON, no newline); the app's
middleware hands the body here first. Text bodies (HTML pages, empty 204s) pass as they are.
"""
from __future__ import annotations

import json
from typing import Any


def with_newline(response: Any) -> Any:
    """The same response, its dict or list body serialised as Chalice would, plus "\\n"."""
    body = response.body
    if isinstance(body, (dict, list)):
        from chalice.app import handle_extra_types

        response.body = json.dumps(body, separators=(",", ":"),
                                   default=handle_extra_types) + "\n"
        response.headers.setdefault("Content-Type", "application/json")
    return response
