"""`make run`: the whole local stack in one process (docs/DESIGN.md section 10).

- the AWS emulator (moto server) on 127.0.0.1:4566, its state restored from and
  saved to .local/ (every few seconds and on stop), so data survives a restart;
- every resource provisioned from infra/template.yaml (idempotently);
- `chalice local --stage local` on 127.0.0.1:8000;
- workers that long-poll the video queue and the dead-letter queue and call the
  same handler functions Lambda would, with SQS-shaped events (infra/local/worker.py);
- the scheduler, calling the cleanup handler as EventBridge would;
- .local/outputs.json with the resource names, written only once everything above is
  up (a second `make run` that fails leaves the running stack's file alone), one
  ready line, and a clean stop on Ctrl-C or SIGTERM;
- the payments sandbox's secret (.local/sandbox-secret), so that without Stripe keys a
  purchase runs offline (chalicelib/payments/sandbox.py);
- with --web (`make run` passes it once web/dist is built), the web client's static
  server (web/serve.py) on WEB_PORT, stopped with the rest.

Settings (flags win; docs in README.md "Ports and settings"): LOCAL_API_PORT (8000),
LOCAL_AWS_PORT (4566), WEB_PORT (3000), LOCAL_STATE_DIR (.local), LOCAL_HOST
(127.0.0.1), LOG_LEVEL (INFO; DEBUG lists every resource provisioned). A taken port
(the web client's too, with --web) is one line and exit 1, before anything starts.
The web client's own origins (http://localhost:WEB_PORT, http://127.0.0.1:WEB_PORT) are
always allowed (ALLOWED_ORIGINS gains them), whatever WEB_PORT is.

The API server runs in this process, as `chalice local` does, so that chalice's
local authorizer can be made tolerant of malformed tokens (infra/local/chalice_local.py).
Environment settings (docs/DESIGN.md section 3) win over the stage config.
"""
from __future__ import annotations

import argparse
import datetime
import importlib.util
import json
import logging
import os
import secrets
import signal
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

from infra.local import emulator_state
from infra.local.chalice_local import harden_chalice_local
from infra.local.emulator import Emulator
from infra.local.provision import provision, write_outputs
from infra.local.worker import LambdaContext, poll_once
from infra.template import app_environment

PROJECT_DIR = Path(__file__).resolve().parents[2]
LOCAL_DEFAULTS = {
    "SIGNUP_CREDITS": "3",
}
DEFAULT_WEB_PORT = 3000
WEB_DIST = PROJECT_DIR / "web" / "dist"
SAVE_INTERVAL_SECONDS = 5.0
POLL_WAIT_SECONDS = 1

log = logging.getLogger("study-buddy.local")


def scheduled_event(rule: str) -> dict:
    """What EventBridge sends a scheduled Lambda."""
    return {"version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event",
            "source": "aws.events", "account": "000000000000",
            "time": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": "us-east-1",
            "resources": [f"arn:aws:events:us-east-1:000000000000:rule/{rule}"],
            "detail": {}}


def web_origins(host: str, web_port: int) -> list[str]:
    """The origins a browser gives the web client served on this port: both loopback
    names, and the listening address itself when it is another one."""
    origins = [f"http://localhost:{web_port}", f"http://127.0.0.1:{web_port}"]
    if host not in ("127.0.0.1", "localhost", "0.0.0.0", "::", ""):
        origins.append(f"http://{f'[{host}]' if ':' in host else host}:{web_port}")
    return origins


def allowed_origins(configured: str | None, host: str, web_port: int) -> str:
    """ALLOWED_ORIGINS for the local stage: what was configured, plus the web client's
    own origins (docs/DESIGN.md section 11: always allowed, whatever WEB_PORT is)."""
    origins = [o.strip().rstrip("/") for o in (configured or "").split(",") if o.strip()]
    for origin in web_origins(host, web_port):
        if origin not in origins:
            origins.append(origin)
    return ",".join(origins)


def load_web_server() -> Any:
    """web/serve.py, the web client's static server (a script, not a package)."""
    spec = importlib.util.spec_from_file_location("study_buddy_web_serve",
                                                  PROJECT_DIR / "web" / "serve.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class LocalStack:
    def __init__(self, *, host: str, api_port: int, aws_port: int, state_dir: Path,
                 workers: int, cleanup_interval: float, web_port: int = DEFAULT_WEB_PORT,
                 web_dist: Path | None = None) -> None:
        self.host, self.api_port, self.aws_port = host, api_port, aws_port
        self.state_dir, self.workers, self.cleanup_interval = state_dir, workers, cleanup_interval
        # web_dist: serve the built client from there on web_port (None: not served, but
        # its origins are allowed all the same, for a client served some other way).
        self.web_port, self.web_dist = web_port, web_dist
        self.stop_event = threading.Event()
        self.threads: list[threading.Thread] = []
        self.emulator: Emulator | None = None
        self.server: Any = None
        self.web_server: Any = None
        self.wrote_outputs = False

    @property
    def state_file(self) -> Path:
        return self.state_dir / "emulator-state.pickle"

    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.api_port}"

    @property
    def web_url(self) -> str | None:
        return f"http://{self.host}:{self.web_port}" if self.web_dist is not None else None

    def check_ports(self) -> None:
        """Every port free, before anything starts (and before any file is written)."""
        ports = [(self.api_port, "LOCAL_API_PORT"), (self.aws_port, "LOCAL_AWS_PORT")]
        if self.web_dist is not None:
            ports.append((self.web_port, "WEB_PORT"))
        for port, setting in ports:
            if port and not port_free(self.host, port):
                raise PortTaken(
                    f"make run: port {port} on {self.host} is taken (another `make run`?): "
                    f"stop it, or choose another port with {setting}=<port> make run")

    def start(self) -> dict:
        self.check_ports()
        restored = emulator_state.load(self.state_file)
        self.emulator = Emulator(port=self.aws_port).start()
        os.environ.update({"AWS_ENDPOINT_URL": self.emulator.url,
                           "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1",
                           "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
                           "STAGE": "local"})
        outputs = provision("local", endpoint_url=self.emulator.url)
        log.info("provisioned the resources of infra/template.yaml (LOG_LEVEL=DEBUG lists them)")
        for key, value in LOCAL_DEFAULTS.items():
            os.environ.setdefault(key, value)
        os.environ["ALLOWED_ORIGINS"] = allowed_origins(
            os.environ.get("ALLOWED_ORIGINS"), self.host, self.web_port)
        os.environ.update(app_environment(outputs))
        os.environ["LOCAL_API_URL"] = self.api_url
        os.environ.setdefault("PAYMENTS_SANDBOX_SECRET", self.sandbox_secret())
        self._start_api()
        self._start_web()
        import app

        sqs = __import__("chalicelib.core.aws", fromlist=["client"]).client("sqs")
        for number in range(self.workers):
            self._spawn(f"worker-{number + 1}", self._poll_loop(
                sqs, outputs["VideoQueueUrl"], app.process_video, f"process_video-{number + 1}"))
        self._spawn("dead-letters", self._poll_loop(
            sqs, outputs["DeadLetterQueueUrl"], app.dead_letter, "dead_letter"))
        self._spawn("scheduler", self._every(self.cleanup_interval, lambda: app.cleanup(
            scheduled_event("cleanup"), LambdaContext("cleanup", str(uuid.uuid4())))))
        self._spawn("state-saver", self._every(SAVE_INTERVAL_SECONDS, self.save))
        # Last: `make seed` and `make credits` find the stack through this file.
        write_outputs({**outputs, "AwsEndpointUrl": self.emulator.url, "ApiUrl": self.api_url},
                      self.state_dir / "outputs.json")
        self.wrote_outputs = True
        return {"restored": restored, **outputs}

    def sandbox_secret(self) -> str:
        """The payments sandbox's signing secret: made once, kept with the state."""
        path = self.state_dir / "sandbox-secret"
        if not path.exists():
            self.state_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_hex(24) + "\n")
            path.chmod(0o600)
        return path.read_text().strip()

    def _start_api(self) -> None:
        from chalice.cli import create_local_server
        from chalice.cli.factory import CLIFactory

        harden_chalice_local()
        # The stage config is applied on top of os.environ: keep what we set.
        ours = dict(os.environ)
        self.server = create_local_server(CLIFactory(str(PROJECT_DIR), environ=os.environ),
                                          self.host, self.api_port, "local")
        os.environ.update(ours)
        log.info("tokens are verified by the app itself in every stage "
                 "(chalicelib/accounts/tokens.py), not by chalice local's authorizer")
        # The inner server: LocalDevServer.serve_forever prints a second "Serving on".
        self._spawn("api", self.server.server.serve_forever)

    def _start_web(self) -> None:
        """The web client's static server, its /config.json naming this stack's API."""
        if self.web_dist is None:
            return
        serve = load_web_server()
        settings = serve.Settings(self.web_dist, self.api_url, self.state_dir / "outputs.json")
        self.web_server = serve.make_server(self.host, self.web_port, settings)
        self._spawn("web", self.web_server.serve_forever)

    def _spawn(self, name: str, target: Callable[[], None]) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self.threads.append(thread)

    def _poll_loop(self, sqs: Any, queue_url: str, handler: Any, name: str) -> Callable[[], None]:
        def loop() -> None:
            while not self.stop_event.is_set():
                try:
                    poll_once(sqs, queue_url, handler, wait_seconds=POLL_WAIT_SECONDS, name=name)
                except Exception:  # the emulator stopping, or a network blip
                    if not self.stop_event.wait(1.0):
                        log.exception("%s: polling failed; retrying", name)
        return loop

    def _every(self, seconds: float, action: Callable[[], Any]) -> Callable[[], None]:
        def loop() -> None:
            while not self.stop_event.wait(seconds):
                try:
                    action()
                except Exception:  # keep the schedule going
                    log.exception("scheduled %s failed", getattr(action, "__name__", "task"))
        return loop

    def save(self) -> None:
        emulator_state.save(self.state_file)

    def stop(self) -> None:
        self.stop_event.set()
        if self.web_server is not None:
            self.web_server.shutdown()
            self.web_server.server_close()
        if self.server is not None:
            self.server.shutdown()
            self.server.server.server_close()
        for thread in self.threads:
            thread.join(timeout=POLL_WAIT_SECONDS + 5)
        self.save()
        if self.emulator is not None:
            self.emulator.stop()
            self.forget_outputs()

    def forget_outputs(self) -> None:
        """Remove outputs.json if this stack wrote it: it names a stack that is running."""
        path = self.state_dir / "outputs.json"
        if not self.wrote_outputs:
            return
        try:
            if json.loads(path.read_text()).get("ApiUrl") == self.api_url:
                path.unlink()
        except (OSError, ValueError):
            pass


class PortTaken(Exception):
    """A port the stack needs is in use (the message is the one line to print)."""


def port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        # As the servers bind: a port left in TIME_WAIT by a stopped stack is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def log_level() -> int:
    name = (os.environ.get("LOG_LEVEL") or "INFO").upper()
    level = logging.getLevelName(name)
    return level if isinstance(level, int) else logging.INFO


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the Study Buddy local stack.")
    parser.add_argument("--host", default=os.environ.get("LOCAL_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("LOCAL_API_PORT", 8000)))
    parser.add_argument("--aws-port", type=int,
                        default=int(os.environ.get("LOCAL_AWS_PORT", 4566)))
    parser.add_argument("--web-port", type=int,
                        default=int(os.environ.get("WEB_PORT") or DEFAULT_WEB_PORT),
                        help="the web client's port: its origins are allowed (CORS)")
    parser.add_argument("--web", action="store_true",
                        help="serve the built web client (web/dist) on --web-port")
    parser.add_argument("--web-dist", type=Path, default=WEB_DIST, help=argparse.SUPPRESS)
    parser.add_argument("--state-dir", type=Path,
                        default=Path(os.environ.get("LOCAL_STATE_DIR", PROJECT_DIR / ".local")))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--cleanup-interval", type=float, default=600.0,
                        help="seconds between runs of the scheduled cleanup")
    args = parser.parse_args(argv)
    logging.basicConfig(level=log_level(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("werkzeug", "botocore", "urllib3", "boto3"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, log_level()))

    started = time.monotonic()
    web_dist = args.web_dist if args.web else None
    if web_dist is not None and not (web_dist / "index.html").is_file():
        print(f"web client not served: {web_dist / 'index.html'} is missing (make web)",
              file=sys.stderr, flush=True)
        web_dist = None
    stack = LocalStack(host=args.host, api_port=args.port, aws_port=args.aws_port,
                       state_dir=args.state_dir, workers=args.workers,
                       cleanup_interval=args.cleanup_interval, web_port=args.web_port,
                       web_dist=web_dist)
    stopping = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        info = stack.start()
    except PortTaken as exc:
        print(exc, file=sys.stderr, flush=True)
        return 1
    except OSError as exc:  # e.g. the port was taken between the check and the bind
        print(f"make run: could not start: {exc}", file=sys.stderr, flush=True)
        stack.stop()
        return 1
    print(f"Study Buddy local stack ready in {time.monotonic() - started:.1f}s"
          f"{' (state restored)' if info['restored'] else ''}: "
          f"{f'web client {stack.web_url}  ' if stack.web_url else ''}"
          f"API {stack.api_url}  AWS emulator {stack.emulator.url if stack.emulator else ''}  "
          f"outputs {args.state_dir / 'outputs.json'}  (Ctrl-C stops)", flush=True)
    while not stopping.wait(0.5):
        pass
    stack.stop()
    print("Study Buddy local stack stopped; state saved in", args.state_dir, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
