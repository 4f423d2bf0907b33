"""The local AWS emulator: moto's server, in a thread of this process.

Built from moto's own pieces (the domain-dispatching WSGI app under werkzeug's
threaded server, as moto.moto_server.threaded_moto_server does) plus one fix:
moto's DynamoDB backend is not thread-safe, while real DynamoDB makes each
conditional write and transaction atomic. The credit ledger depends on that
("never below 0"), so DynamoDB requests are served one at a time. Other services
stay concurrent: an SQS long poll must not stall everything else.

CLI: python -m infra.local.emulator --port 4566   (runs until SIGINT/SIGTERM)
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Callable, Iterable
from types import FrameType
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class SerializeDynamoDB:
    """WSGI middleware: one DynamoDB request at a time, everything else untouched."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app
        self.lock = threading.Lock()

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        if not environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB_"):
            return self.app(environ, start_response)
        with self.lock:
            # Drain the body inside the lock: a lazy response iterable would
            # otherwise run backend code after the lock is released.
            result = self.app(environ, start_response)
            try:
                body = b"".join(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
        return [body]


def _quiet_handler() -> type:
    from moto.moto_server.werkzeug_app import MotoRequestHandler

    class QuietRequestHandler(MotoRequestHandler):
        """No access log line per request (boto3 retries and polls are chatty)."""

        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            pass

    return QuietRequestHandler


class Emulator:
    """moto server on 127.0.0.1 in a daemon thread.

    port=0 picks a free port; `.url` is known once `start()` returns.
    """

    def __init__(self, port: int = 0, host: str = "127.0.0.1", *, verbose: bool = False) -> None:
        self.host = host
        self.port = port
        self.verbose = verbose
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("Emulator.url is known once start() has returned")
        return f"http://{self.host}:{self.port}"

    def start(self) -> Emulator:
        """Bind the port and serve in the background; returns self."""
        if self._server is not None:
            return self
        # Imported here: moto is a dev dependency and slow to import.
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )

        app = SerializeDynamoDB(DomainDispatcherApplication(create_backend_app))
        handler = MotoRequestHandler if self.verbose else _quiet_handler()
        # Binding happens here, in the caller's thread: a port clash raises now.
        server = make_server(self.host, self.port, app, threaded=True, request_handler=handler)
        self._server = server
        self.port = server.server_port
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.1},  # how long stop() may wait
            name=f"emulator:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port (in-memory state is kept by moto)."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the local AWS emulator (moto).")
    parser.add_argument("--port", type=int, default=4566)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    emulator = Emulator(args.port, args.host, verbose=args.verbose).start()
    print(f"emulator ready on {emulator.url}", flush=True)
    try:
        while not stop.wait(1):
            pass
    finally:
        emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
