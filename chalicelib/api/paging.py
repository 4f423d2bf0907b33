"""Every list endpoint's one shape: `?limit=1..100 (20)&last_key=...` and its filters
in, `{<items>: [...], count, last_key}` out (docs/DESIGN.md section 4, Pagination).

The cursor itself is signed and bound to its user and query by chalicelib.core.cursors
(through chalicelib.core.db.query_page); this module only reads and shapes.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from chalicelib.http import validation

Record = TypeVar("Record")


@dataclass(frozen=True)
class PageRequest:
    """One page of a list: its size, where it starts, and the filters given."""

    limit: int
    last_key: str | None
    filters: dict[str, str] = field(default_factory=dict)


def page_request(params: Mapping[str, str] | None, filters: Iterable[str] = ()) -> PageRequest:
    """A list's query string, refusing unknown parameters and a bad `limit`."""
    names = tuple(filters)
    checked = validation.query_params(dict(params or {}), ("limit", "last_key", *names))
    return PageRequest(limit=validation.page_size(checked),
                       last_key=checked.get("last_key") or None,
                       filters={name: checked[name] for name in names if checked.get(name)})


def listed(name: str, params: Mapping[str, str] | None, *,
           fetch: Callable[[PageRequest], tuple[Sequence[Record], str | None]],
           public: Callable[[Record], dict[str, Any]],
           filters: Iterable[str] = ()) -> dict[str, Any]:
    """Parse the page, fetch it, and shape `{name: [public records], count, last_key}`."""
    records, cursor = fetch(page_request(params, filters))
    items = [public(record) for record in records]
    return {name: items, "count": len(items), "last_key": cursor}
