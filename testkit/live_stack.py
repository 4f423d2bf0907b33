"""The local stack as a real process, for tests that use it over HTTP only."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
READY_TIMEOUT = 90
# A port picked free can be taken before it is bound (by a stack another pytest worker
# starts at the same moment): the web client's server, started before the stack that
# allows its origin, is started again on a fresh port, at most PORT_TRIES times in all.
PORT_TRIES = 3


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def start_web(outputs: Path) -> tuple[subprocess.Popen, int]:
    """web/serve.py on a free port, before the stack that allows its origin starts. Its
    port is checked to be served by serve.py itself: a port picked free and taken
    before serve.py binds it answers from another server (serve.py exits), and the
    browser would load that server's 404s. Then it is tried on another port."""
    for _ in range(PORT_TRIES):
        port = free_port()
        web = subprocess.Popen(
            [sys.executable, str(PROJECT_DIR / "web" / "serve.py"), "--port", str(port),
             "--outputs", str(outputs)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 15
        while web.poll() is None and time.monotonic() < deadline:
            if _serves_web(port):
                return web, port
            time.sleep(0.05)
        web.terminate()
        web.wait(timeout=10)
    raise AssertionError("serve.py did not start")


def _serves_web(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as reply:
            return str(reply.headers.get("Server", "")).startswith("StudyBuddyWeb")
    except (OSError, ValueError):
        return False


# Nothing a test starts may reach the internet: YouTube is "reached" through a
# proxy on a closed local port, so an uncached video fails here, fast.
SAFE_ENV = {"YOUTUBE_PROXY_URL": "http://127.0.0.1:9", "JOB_RETRY_BASE_SECONDS": "0"}


class Stack:
    def __init__(self, state_dir: Path, env: dict | None = None,
                 args: tuple[str, ...] = ()) -> None:
        self.args = args
        self.state_dir = state_dir
        self.api_port, self.aws_port = free_port(), free_port()
        self.api = f"http://127.0.0.1:{self.api_port}"
        self.process: subprocess.Popen | None = None
        self.ready_line = ""
        self.extra_env = {**SAFE_ENV, **(env or {})}
        self.lines: list[str] = []
        self._reader: threading.Thread | None = None

    def start(self) -> Stack:
        env = {key: value for key, value in os.environ.items()
               if not key.startswith(("AWS_", "USERS_", "VIDEOS_", "NOTES_", "TRANSACTIONS_",
                                      "VIDEO_QUEUE", "USER_POOL", "STAGE", "ANTHROPIC_",
                                      "STRIPE_", "YOUTUBE_", "WEBSHARE_"))}
        env.update(self.extra_env)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "infra.local.stack", "--port", str(self.api_port),
             "--aws-port", str(self.aws_port), "--state-dir", str(self.state_dir),
             *self.args],
            cwd=PROJECT_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, start_new_session=True)
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            assert self.process.stdout is not None
            line = self.process.stdout.readline()
            if not line and self.process.poll() is not None:
                raise AssertionError(f"the stack exited with {self.process.returncode}")
            self.lines.append(line)
            if "local stack ready" in line:
                self.ready_line = line
                # Keep reading: the pipe must not fill up, and tests read the logs.
                self._reader = threading.Thread(target=self._collect, daemon=True)
                self._reader.start()
                return self
        raise AssertionError("the stack did not say it was ready")

    def restart(self, kill: bool = False) -> Stack:
        """Stop (or crash) and start again on the same ports and state."""
        self.stop(kill=kill)
        self.lines = []
        return self.start()

    def _collect(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    def stop(self, kill: bool = False) -> int:
        """SIGTERM (a clean stop that saves state), or SIGKILL (a crash)."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        code = self.process.wait(timeout=60)
        if self._reader is not None:
            self._reader.join(timeout=10)
        if self.process.stdout is not None:
            self.process.stdout.close()
        return code
