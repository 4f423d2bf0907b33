"""One object per container, rebuilt only when what it was built from changes.

SDK clients (boto3, anthropic, stripe) are costly to build and safe to share
between threads, and `chalice local` serves requests on threads: each is built
once per key (service and endpoint, API key and base URL...) under a lock.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")


class KeyedCache(Generic[T]):
    """Built objects by key; `get(key, build)` builds at most once per key."""

    def __init__(self, *, keep_one: bool = False) -> None:
        # keep_one: only the latest key's object is kept (a rotated API key drops
        # the old client instead of keeping both).
        self._items: dict[Hashable, T] = {}
        self._lock = threading.Lock()
        self._keep_one = keep_one

    def get(self, key: Hashable, build: Callable[[], T]) -> T:
        found = self._items.get(key)
        if found is not None:
            return found
        with self._lock:
            if key not in self._items:
                if self._keep_one:
                    self._items.clear()
                self._items[key] = build()
            return self._items[key]

    def __len__(self) -> int:
        return len(self._items)
