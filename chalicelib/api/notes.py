"""GET /notes, /notes/{id}, /notes/{id}/download, /notes/export and /categories: the
requests (chalicelib.notes.note_store keeps the notes, chalicelib.notes.export_jobs
builds exports)."""
from __future__ import annotations

from typing import Any

from chalicelib.api import paging
from chalicelib.core.errors import BadRequestError
from chalicelib.http import validation
from chalicelib.notes import export, export_jobs, note_store
from chalicelib.notes.records import Note


def list_notes(user_id: str, params: dict[str, str] | None) -> dict[str, Any]:
    def fetch(page: paging.PageRequest) -> tuple[list[Note], str | None]:
        category = page.filters.get("category")
        if category:
            category = validation.string(category, "category",
                                         max_length=note_store.MAX_CATEGORY_LENGTH)
        return note_store.list_page(user_id, limit=page.limit, last_key=page.last_key,
                                    category=category)

    return paging.listed("notes", params, fetch=fetch, public=note_store.public_note,
                         filters=("category",))


def get_note(user_id: str, note_id: str, params: dict[str, str] | None) -> dict[str, Any]:
    params = validation.query_params(dict(params or {}), ("include_content",))
    return note_store.get_note(user_id, note_id, include_content=validation.bool_param(
        params.get("include_content"), "include_content"))


def download(user_id: str, note_id: str) -> dict[str, Any]:
    return note_store.download(user_id, note_id)


def categories(user_id: str, params: dict[str, str] | None) -> dict[str, Any]:
    validation.query_params(dict(params or {}), ())
    return note_store.categories(user_id)


def export_library(user_id: str, params: dict[str, str] | None) -> tuple[dict[str, Any], bool]:
    """GET /notes/export?format=obsidian (the default) or anki: (body, queued)."""
    params = validation.query_params(dict(params or {}), ("format",))
    chosen = str(params.get("format", "obsidian")).strip().lower()
    if chosen not in export.FORMATS:
        raise BadRequestError(f"'format' must be one of: {', '.join(export.FORMATS)}")
    return export_jobs.request(user_id, chosen)


def export_status(user_id: str, export_id: str) -> dict[str, Any]:
    return export_jobs.status(user_id, export_id)
