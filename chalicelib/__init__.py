"""Business logic of YouTube Study Buddy, importable without Chalice routes."""
from __future__ import annotations

import importlib
import threading
from types import ModuleType
from typing import Any


class _Deferred:
    """A chalicelib module that is imported the first time it is used.

    Not importlib.util.LazyLoader: on Python 3.11 its modules can be seen half
    initialised by a second thread, and `chalice local` serves requests on threads.
    """

    __slots__ = ("_name", "_module", "_lock")

    def __init__(self, name: str) -> None:
        self._name = name
        self._module: ModuleType | None = None
        self._lock = threading.Lock()

    def _load(self) -> ModuleType:
        if self._module is None:
            with self._lock:
                if self._module is None:
                    self._module = importlib.import_module(self._name)
        return self._module

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self._load(), attribute)

    def __repr__(self) -> str:
        return f"<deferred module {self._name}>"


def lazy(name: str) -> Any:
    """The chalicelib module `name` (e.g. "videos.submissions"), loaded on first use.

    Importing app.py is what every cold start of every function pays: the API
    need not load the pipeline, the processor need not load billing.
    """
    return _Deferred(f"{__name__}.{name}")
