"""The app class: Chalice with the request kept per thread.

Chalice keeps the request being handled in one attribute of the app. Lambda
runs one request at a time, but `chalice local` serves requests on threads, so
concurrent requests would read each other's headers and bodies: the request is
kept per thread here.
"""
from __future__ import annotations

import threading
from typing import Any

from chalice import Chalice


class ThreadSafeChalice(Chalice):
    _per_thread = threading.local()

    @property
    def current_request(self) -> Any:
        return getattr(self._per_thread, "request", None)

    @current_request.setter
    def current_request(self, value: Any) -> None:
        self._per_thread.request = value

    @property
    def lambda_context(self) -> Any:
        return getattr(self._per_thread, "context", None)

    @lambda_context.setter
    def lambda_context(self, value: Any) -> None:
        self._per_thread.context = value
