"""What a newcomer sees of `make run` and `make test` before the stack is up: the static
server on a taken port, and the Makefile's pip steps (docs/DESIGN.md section 10)."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NOISE = "WARNING: Location 'file:///opt/pypi/simple/pkg{}/' is ignored: it is neither a file nor a directory."


def test_serve_py_on_a_taken_port_says_so_in_one_line(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "index.html").write_text("<!doctype html><title>index</title>")
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = holder.getsockname()[1]
        done = subprocess.run([sys.executable, str(ROOT / "web" / "serve.py"), "--port", str(taken),
                               "--dist", str(dist)], capture_output=True, text=True, timeout=30)
    assert done.returncode == 1
    lines = (done.stdout + done.stderr).strip().splitlines()
    assert len(lines) == 1, lines
    assert f"port {taken} on 127.0.0.1 is taken" in lines[0] and "--port" in lines[0]
    assert "Traceback" not in done.stderr


def fake_venv(tmp_path: Path) -> Path:
    """A venv whose python passes the Makefile's version check and, as pip, prints what
    pip prints on a machine whose pip settings name absent indexes."""
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    python = venv / "bin" / "python"
    python.write_text(f"""#!/bin/sh
[ "$1" = "-c" ] && exit 0
echo "$@" >> {tmp_path / 'calls'}
i=0; while [ $i -lt 120 ]; do echo "{NOISE.format('$i')}" >&2; i=$((i+1)); done
echo "WARNING: something pip really wants said" >&2
exit ${{FAKE_PIP_STATUS:-0}}
""")
    python.chmod(0o755)
    return venv


def make_venv(venv: Path, **env: str) -> subprocess.CompletedProcess:
    environ = {key: value for key, value in os.environ.items() if not key.startswith(("MAKE", "MFLAGS"))}
    return subprocess.run(["make", "--no-print-directory", f"VENV={venv}", "PYTHON=/bin/true",
                           f"{venv}/.installed-3.13"], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, env={**environ, **env})


def test_the_makefile_drops_pips_index_location_warnings_only(tmp_path: Path) -> None:
    venv = fake_venv(tmp_path)
    done = make_venv(venv)
    assert done.returncode == 0, done.stdout + done.stderr
    output = done.stdout + done.stderr
    assert "is ignored: it is neither a file nor a directory" not in output
    assert output.count("WARNING: something pip really wants said") == 2  # both installs
    assert len(output.splitlines()) < 10, output
    calls = (tmp_path / "calls").read_text().splitlines()
    assert calls == ["-m pip install --quiet --upgrade pip",
                     "-m pip install --quiet -r requirements-dev.txt"]
    assert (venv / ".installed-3.13").exists()


def test_a_failing_pip_still_fails_the_install(tmp_path: Path) -> None:
    venv = fake_venv(tmp_path)
    done = make_venv(venv, FAKE_PIP_STATUS="3")
    assert done.returncode != 0
    assert "WARNING: something pip really wants said" in done.stdout + done.stderr
    assert "Error 3" in done.stderr
    assert not (venv / ".installed-3.13").exists()
