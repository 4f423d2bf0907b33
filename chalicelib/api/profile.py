"""GET and PUT /user: the profile and its preferences (chalicelib.accounts.users keeps
the record)."""
from __future__ import annotations

from typing import Any

from chalicelib.accounts import users
from chalicelib.core.errors import BadRequestError
from chalicelib.http import validation


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
    return checked
