"""`make run`: the local stack in one process.

Starts the AWS emulator on 127.0.0.1:4566, provisions every resource from
infra/template.yaml, writes .local/outputs.json, and serves the API with
`chalice local --stage local` on 127.0.0.1:8000 until Ctrl-C or SIGTERM.

The server runs in this process (as `chalice local` does) so that chalice's
local authorizer can be made tolerant of malformed tokens (infra/chalice_local).
Settings from the environment (DESIGN section 3) win over the stage config.
"""
from __future__ import annotations

import argparse
import os
import signal
import threading
import time
from pathlib import Path
from types import FrameType

from infra.chalice_local import harden_local_authorizer
from infra.emulator import Emulator
from infra.provision import app_environment, provision, write_outputs

PROJECT_DIR = Path(__file__).resolve().parent.parent
STATE_DIR = PROJECT_DIR / ".local"
LOCAL_DEFAULTS = {
    "SIGNUP_CREDITS": "3",
    "ALLOWED_ORIGINS": "http://localhost:3000,http://127.0.0.1:3000",
}


def serve(host: str, api_port: int, aws_port: int) -> None:
    started = time.monotonic()
    emulator = Emulator(port=aws_port).start()
    os.environ.update({"AWS_ENDPOINT_URL": emulator.url, "AWS_DEFAULT_REGION": "us-east-1",
                       "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
                       "STAGE": "local"})
    outputs = provision("local", endpoint_url=emulator.url)
    STATE_DIR.mkdir(exist_ok=True)
    write_outputs(outputs, STATE_DIR / "outputs.json")
    for key, value in LOCAL_DEFAULTS.items():
        os.environ.setdefault(key, value)
    os.environ.update(app_environment(outputs))

    from chalice.cli import create_local_server
    from chalice.cli.factory import CLIFactory

    harden_local_authorizer()
    # The stage config is applied on top of os.environ; keep the user's overrides.
    overrides = {key: os.environ[key] for key in os.environ}
    server = create_local_server(CLIFactory(str(PROJECT_DIR), environ=os.environ), host,
                                 api_port, "local")
    os.environ.update(overrides)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    print(f"Study Buddy local stack ready in {time.monotonic() - started:.1f}s: "
          f"API http://{host}:{api_port}  AWS emulator {emulator.url}  "
          f"outputs {STATE_DIR / 'outputs.json'}  (Ctrl-C stops)", flush=True)
    stop.wait()
    server.shutdown()
    emulator.stop()
    print("Study Buddy local stack stopped", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--aws-port", type=int, default=4566)
    args = parser.parse_args(argv)
    serve(args.host, args.port, args.aws_port)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
