"""The README cannot drift from the code: its walk-through runs as written against a
live stack (docs/DESIGN.md section 10: "Every command in the README runs as written").

The commands are read from README.md itself (the bash block of "Trying the API
locally"), and run by bash with `-e`, so any line that fails fails the test. The stack
is `make run`'s process on free ports (testkit/live_stack.py); the README's own `API`
and `LOCAL_STATE_DIR` settings point the block at it, and its `make` lines run through
the Makefile with this test's interpreter (PY=..., so no venv is built).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from infra.cloud import smoke
from testkit.live_stack import PROJECT_DIR, Stack

README = PROJECT_DIR / "README.md"


def section(title: str) -> str:
    text = README.read_text()
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end if end != -1 else None]


def walkthrough() -> str:
    blocks = re.findall(r"```bash\n(.*?)```", section("Trying the API locally"), re.S)
    assert len(blocks) == 1, "the walk-through is one bash block"
    return blocks[0]


def run_block(block: str, stack: Stack) -> subprocess.CompletedProcess:
    env = {**os.environ, "API": stack.api, "LOCAL_STATE_DIR": str(stack.state_dir),
           # The make lines: the Makefile's recipe, with this interpreter.
           "MAKEFLAGS": f"PY={sys.executable}"}
    for name in list(env):
        if name.startswith(("AWS_", "STRIPE_", "ANTHROPIC_")):
            env.pop(name)
    return subprocess.run(["bash", "-e", "-c", block], cwd=PROJECT_DIR, env=env,
                          capture_output=True, text=True, timeout=300)


def test_the_readme_names_its_settings_and_commands():
    text = README.read_text()
    for setting in ("LOCAL_API_PORT", "LOCAL_AWS_PORT", "LOCAL_STATE_DIR", "LOG_LEVEL",
                    "STRIPE_SECRET_KEY", "ANTHROPIC_API_KEY", "SIGNUP_CREDITS"):
        assert f"`{setting}`" in text, setting
    makefile = (PROJECT_DIR / "Makefile").read_text()
    for target in set(re.findall(r"`make ([a-z]\w*)", text)):
        assert re.search(rf"^{target}:", makefile, re.M), f"make {target} is not a target"
    assert "../shared" not in text
    for link in re.findall(r"\]\(([^)#]+)\)", text):
        if not link.startswith("http"):
            assert (PROJECT_DIR / link).exists(), link
    assert shutil.which("bash") and shutil.which("curl")


@pytest.mark.slow
def test_the_walkthrough_runs_as_written_twice(tmp_path):
    block = walkthrough()
    assert "make seed" in block and "make credits" in block and "/credits/checkout" in block
    stack = Stack(tmp_path / "state").start()
    try:
        first = run_block(block, stack)
        assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
        out = first.stdout
        assert "Sample lecture: https://www.youtube.com/watch?v=sbPhysics01" in out
        assert "# Entropy and the Second Law" in out  # the note, and its downloaded file
        assert "paid: HTTP 200" in out
        assert "ada@example.com: +5 credits (adjustment)" in out
        assert "vault: HTTP 200" in out  # the export, built at once for a small library
        # The sample course: its index note, and the private video skipped.
        assert "## Concept index" in out and "(skipped)" in out
        # 3 free, 1 spent on the lecture, 10 bought in the sandbox, 5 granted, 2 spent
        # on the course's other two lectures (its first is the lecture: linked).
        assert out.rstrip().splitlines()[-1] == "15"
        assert "Traceback" not in first.stderr

        again = run_block(block, stack)  # as a newcomer would, the next day
        assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
        assert "already" in again.stdout.lower()  # the register line's 409
        login = requests.post(f"{stack.api}/auth/login", timeout=10, json={
            "email": "ada@example.com", "password": "Str0ng!Passw0rd"}).json()
        headers = {"Authorization": f"Bearer {login['id_token']}"}
        videos = requests.get(f"{stack.api}/videos", headers=headers, timeout=10).json()
        # Each run buys 10 and grants 5; each accepted video cost 1 (a resubmission
        # may be refused with 409 and cost nothing).
        assert again.stdout.rstrip().splitlines()[-1] == str(3 + 2 * 15 - videos["count"])
        assert {video["status"] for video in videos["videos"]} == {"completed"}
        history = requests.get(f"{stack.api}/credits/history?limit=100", headers=headers,
                               timeout=10).json()["transactions"]
        types = [row["type"] for row in history]
        assert set(types) == {"signup_bonus", "usage", "purchase", "adjustment"}
        assert types.count("purchase") == 2 and types.count("adjustment") == 2
        assert sum(row["amount"] for row in history) == 3 + 2 * 15 - videos["count"]
        # The deployed smoke test's checks hold locally too (health, 404, 401).
        assert smoke.problems(stack.api, "local") == []
    finally:
        stack.stop()
    log = "".join(stack.lines)
    assert "CognitoUserPoolAuthorizer" not in log and "not supported in local mode" not in log
    assert log.count("tokens are verified by the app itself") == 1
    assert "not provisioned locally" not in log


@pytest.mark.slow
def test_a_second_make_run_says_the_port_is_taken_and_leaves_outputs_alone(tmp_path):
    stack = Stack(tmp_path / "state").start()
    try:
        outputs = stack.state_dir / "outputs.json"
        before = outputs.read_text()
        second = subprocess.run(
            [sys.executable, "-m", "infra.local.stack", "--port", str(stack.api_port),
             "--aws-port", str(stack.aws_port), "--state-dir", str(stack.state_dir)],
            cwd=PROJECT_DIR, capture_output=True, text=True, timeout=60)
        assert second.returncode == 1
        lines = (second.stdout + second.stderr).strip().splitlines()
        assert len(lines) == 1, lines
        assert f"port {stack.api_port}" in lines[0] and "is taken" in lines[0]
        assert "LOCAL_API_PORT" in lines[0]
        assert outputs.read_text() == before
        assert json.loads(before)["ApiUrl"] == stack.api
        assert requests.get(f"{stack.api}/health", timeout=10).status_code == 200
    finally:
        assert stack.stop() == 0
    assert not (stack.state_dir / "outputs.json").exists()  # a stopped stack has none


def test_the_readme_block_is_the_one_the_test_runs():
    # The test reads the block it runs from the README: nothing to keep in step by hand.
    block = walkthrough()
    assert block.startswith("make seed")
    assert Path(README).read_text().count(block) == 1
