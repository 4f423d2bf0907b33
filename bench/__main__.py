"""`make bench`: one run, one report (Markdown on stdout, also bench/latest.md)."""
from __future__ import annotations

import os
import platform
import sys
from pathlib import Path

import pytest

from infra.emulator import Emulator
from infra.provision import app_environment, provision


def main() -> int:
    env = pytest.MonkeyPatch()
    emulator = Emulator(port=0).start()
    for key, value in {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
                       "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL": emulator.url,
                       "STAGE": "local", "SIGNUP_CREDITS": "100"}.items():
        env.setenv(key, value)
    outputs = provision("local", endpoint_url=emulator.url)
    for key, value in app_environment(outputs).items():
        env.setenv(key, value)
    stack = {**outputs, "endpoint": emulator.url}

    from bench import processing

    lines = ["# Benchmark report", "",
             f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
             f"{platform.python_version()}. One run; figures are wall-clock seconds.", ""]
    lines += processing.report(processing.run(stack, env))
    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    Path(__file__).with_name("latest.md").write_text(text)
    env.undo()
    emulator.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
