"""Serve the built web client (web/dist) on 127.0.0.1:3000, standard library only.

- /config.json tells the client where the API is: --api-url, else the ApiUrl of the
  local stack's outputs file (read on every request, so a restarted stack on another
  port is picked up), else http://127.0.0.1:8000;
- any other path that is not a file gets index.html (the client routes /notes/ID,
  /credits?checkout=success and the rest itself);
- hashed assets are cached for a year, index.html and config.json never;
- a Content-Security-Policy that allows scripts and styles from this origin only,
  requests to the API origin, and frames from YouTube's privacy-enhanced player;
- a port that is taken is one line and exit 1, not a traceback.

`make run` serves the client through the local stack (infra/local/stack.py --web), which
uses make_server below; run alone:

    python web/serve.py [--port 3000] [--api-url URL | --outputs .local/outputs.json]
"""
from __future__ import annotations

import argparse
import errno
import json
import mimetypes
import sys
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

WEB_DIR = Path(__file__).resolve().parent
DEFAULT_DIST = WEB_DIR / "dist"
DEFAULT_OUTPUTS = WEB_DIR.parent / ".local" / "outputs.json"
DEFAULT_API_URL = "http://127.0.0.1:8000"
PLAYER_ORIGIN = "https://www.youtube-nocookie.com"

mimetypes.add_type("text/javascript", ".js")
mimetypes.add_type("text/css", ".css")


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class Settings:
    def __init__(self, dist: Path, api_url: str | None, outputs: Path) -> None:
        self.dist, self.fixed_api_url, self.outputs = dist.resolve(), api_url, outputs

    def api_url(self) -> str:
        if self.fixed_api_url:
            return self.fixed_api_url.rstrip("/")
        try:
            url = json.loads(self.outputs.read_text()).get("ApiUrl")
        except (OSError, ValueError):
            url = None
        return (url or DEFAULT_API_URL).rstrip("/")


class Handler(SimpleHTTPRequestHandler):
    server_version = "StudyBuddyWeb"
    sys_version = ""

    def __init__(self, *args, settings: Settings, **kwargs) -> None:
        self.settings = settings
        super().__init__(*args, directory=str(settings.dist), **kwargs)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base signature
        if args and str(args[1] if len(args) > 1 else "").startswith(("4", "5")):
            super().log_message(format, *args)

    def end_headers(self) -> None:
        api = origin_of(self.settings.api_url())
        self.send_header("Content-Security-Policy", "; ".join([
            "default-src 'self'", "script-src 'self'", "style-src 'self'",
            f"connect-src 'self' {api}", "img-src 'self' data:", f"frame-src {PLAYER_ORIGIN}",
            "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'",
        ]))
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        path = urlsplit(self.path).path
        if path.startswith("/assets/"):
            self.send_header("Cache-Control", "public, max-age=31536000, immutable")
        else:
            self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._answer(head=False)

    def do_HEAD(self) -> None:  # noqa: N802
        self._answer(head=True)

    def _answer(self, head: bool) -> None:
        path = urlsplit(self.path).path
        if path == "/config.json":
            body = json.dumps({"apiUrl": self.settings.api_url()}).encode()
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if not head:
                self.wfile.write(body)
            return
        target = (self.settings.dist / path.lstrip("/")).resolve()
        inside = target == self.settings.dist or self.settings.dist in target.parents
        if not inside or not target.is_file():
            if path.startswith("/assets/") or not inside:
                self.send_error(HTTPStatus.NOT_FOUND, "Not found")
                return
            self.path = "/index.html"  # a client-side route
        if head:
            super().do_HEAD()
        else:
            super().do_GET()


def make_server(host: str, port: int, settings: Settings) -> ThreadingHTTPServer:
    if not (settings.dist / "index.html").is_file():
        raise SystemExit(f"{settings.dist / 'index.html'} is missing: build the client first "
                         "(`make web`, or `npm ci && npm run build` in web/)")
    server = ThreadingHTTPServer((host, port), partial(Handler, settings=settings))
    server.daemon_threads = True
    return server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve the Study Buddy web client.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3000)
    parser.add_argument("--dist", type=Path, default=DEFAULT_DIST)
    parser.add_argument("--api-url", default=None, help="the API base URL (default: "
                        "ApiUrl of --outputs, else http://127.0.0.1:8000)")
    parser.add_argument("--outputs", type=Path, default=DEFAULT_OUTPUTS)
    args = parser.parse_args(argv)
    settings = Settings(args.dist, args.api_url, args.outputs)
    try:
        server = make_server(args.host, args.port, settings)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            print(f"web/serve.py: port {args.port} on {args.host} is taken: stop what holds it, "
                  "or choose another port with --port <port> (WEB_PORT=<port> make run)",
                  file=sys.stderr, flush=True)
        else:
            print(f"web/serve.py: cannot listen on {args.host}:{args.port}: "
                  f"{exc.strerror or exc}", file=sys.stderr, flush=True)
        return 1
    api = settings.fixed_api_url or f"the ApiUrl of {settings.outputs}, else {DEFAULT_API_URL}"
    print(f"Study Buddy web client on http://{args.host}:{server.server_port} (API: {api})",
          flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
