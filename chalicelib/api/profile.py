"""GET and PUT /user: the profile and its preferences (chalicelib.accounts.users keeps
the record). The review preferences are bounded here (docs/DESIGN.md section 12):
`desired_retention` 0.70-0.97, the daily limits whole numbers from 0, `timezone` an
IANA name this machine's zone data knows."""
from __future__ import annotations

import re
from typing import Any

from chalicelib.accounts import users
from chalicelib.core.errors import BadRequestError
from chalicelib.http import validation
from chalicelib.reviews import scheduling

_ZONE = re.compile(r"^[A-Za-z][A-Za-z0-9_+\-]*(?:/[A-Za-z0-9_+\-]+){0,2}$")


def get(user_id: str) -> dict[str, Any]:
    return users.get_profile(user_id)


def update(user_id: str, body: Any) -> dict[str, Any]:
    body = validation.object_body(body, optional=("name", "preferences"))
    if not body:
        raise BadRequestError("Nothing to update: send 'name' and/or 'preferences'")
    name = validation.string(body["name"], "name", max_length=users.MAX_NAME_LENGTH,
                             min_length=0) if "name" in body else None
    changes = preferences(body["preferences"]) if "preferences" in body else {}
    return users.update_profile(user_id, name=name, preferences=changes)


def preferences(raw: Any) -> dict[str, Any]:
    """The preferences a request changes; None clears one back to its default."""
    prefs = validation.object_body(raw, optional=users.DEFAULT_PREFERENCES.keys(),
                                   where="'preferences'")
    checked: dict[str, Any] = {}
    for key, value in prefs.items():
        field = f"preferences.{key}"
        if key == "language":
            checked[key] = validation.language(value, field)
        elif key == "note_style":
            checked[key] = validation.choice(value, field, users.NOTE_STYLES)
        elif key == "include_questions":
            checked[key] = validation.boolean(value, field)
        elif key == "default_subject":
            checked[key] = None if value in (None, "") else validation.string(
                value, field, max_length=users.MAX_SUBJECT_LENGTH)
        elif value is None:  # a review preference back to its default
            checked[key] = None
        elif key == "desired_retention":
            checked[key] = _retention(value, field)
        elif key == "new_cards_per_day":
            checked[key] = _whole(value, field, scheduling.MAX_NEW_CARDS_PER_DAY)
        elif key == "reviews_per_day":
            checked[key] = _whole(value, field, scheduling.MAX_REVIEWS_PER_DAY)
        elif key == "timezone":
            checked[key] = _timezone(value, field)
    return checked


def _retention(value: Any, field: str) -> float:
    low, high = scheduling.MIN_RETENTION, scheduling.MAX_RETENTION
    if isinstance(value, bool) or not isinstance(value, (int, float)) or \
            not low <= value <= high:
        raise BadRequestError(f"'{field}' must be a number from {low:.2f} to {high:.2f} "
                              "(the share of cards you want to still know when they are due)")
    return round(float(value), 4)


def _whole(value: Any, field: str, maximum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= maximum:
        raise BadRequestError(f"'{field}' must be a whole number from 0 to {maximum}")
    return value


def _timezone(value: Any, field: str) -> str:
    name = validation.string(value, field, max_length=64, pattern=_ZONE,
                             hint="use an IANA time zone such as Europe/Berlin or UTC")
    if not scheduling.is_timezone(name):
        raise BadRequestError(f"'{field}' is not a time zone this service knows: use an "
                              "IANA name such as Europe/Berlin, America/New_York or UTC")
    return name
