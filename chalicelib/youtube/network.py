"""Telling "no network" from every other failure of a request to YouTube, for both
transcript paths (docs/DESIGN.md section 6): a name that does not resolve, or a
connection refused by YouTube or by the proxy. Locally that means the machine is
offline and retrying is pointless; on AWS it is retried like any transient error.
"""
from __future__ import annotations

import socket
from collections.abc import Iterable

_DNS_TEXTS = ("name resolution", "name or service not known", "nodename nor servname",
              "getaddrinfo failed", "failed to resolve", "no address associated",
              "errno -2", "errno -3", "errno 11001")
_REFUSED_TEXTS = ("connection refused", "errno 111", "errno 61", "winerror 10061",
                  "actively refused")


def unreachable(exc: BaseException, proxy: str | None = None) -> str | None:
    """Why YouTube could not be reached, in words, or None if `exc` is not that."""
    for current in causes(exc):
        text = f"{type(current).__name__}: {current}".lower()
        if isinstance(current, socket.gaierror) or any(t in text for t in _DNS_TEXTS):
            if proxy:
                return "the proxy's name did not resolve" if _is_proxy(text) \
                    else "a name did not resolve (no DNS)"
            return "the name www.youtube.com did not resolve"
        if isinstance(current, ConnectionRefusedError) or any(t in text for t in _REFUSED_TEXTS):
            return f"the proxy {_host(proxy)} refused the connection" if proxy \
                else "www.youtube.com refused the connection"
    return None


def _is_proxy(text: str) -> bool:
    return "proxy" in text


def _host(url: str | None) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url or "")
    return f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname or url)


def causes(exc: BaseException) -> Iterable[BaseException]:
    """The exception and everything it wraps: __cause__, __context__, and the
    attributes requests, urllib3 and yt-dlp keep their causes in (DownloadError's
    exc_info, ExtractorError's cause, urllib3's reason). Both transcript paths walk
    failures with it."""
    seen: set[int] = set()
    todo: list[object] = [exc]
    while todo:
        current = todo.pop()
        if not isinstance(current, BaseException) or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        exc_info = getattr(current, "exc_info", None)
        todo += [current.__cause__, current.__context__, getattr(current, "cause", None),
                 getattr(current, "reason", None), *getattr(current, "args", ())[:2],
                 exc_info[1] if isinstance(exc_info, tuple) and len(exc_info) > 1 else None]
