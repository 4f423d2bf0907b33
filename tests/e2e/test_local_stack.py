"""The local stack end to end, as an operator and a frontend use it: `make run`'s
process started for real, then HTTP only (docs/DESIGN.md section 10)."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests

from testkit.live_stack import PROJECT_DIR, Stack, free_port, port_open


@pytest.mark.slow
def test_register_submit_watch_read_download_restart_and_stop(tmp_path):
    stack = Stack(tmp_path / "state").start()
    try:
        assert f"API {stack.api}" in stack.ready_line
        outputs = json.loads((stack.state_dir / "outputs.json").read_text())
        assert {"NotesBucketName", "VideoQueueUrl", "UserPoolId", "UserPoolClientId",
                "UsersTableName"} <= set(outputs)
        seeded = subprocess.run([sys.executable, "-m", "infra.local.seed", "--state-dir",
                                 str(stack.state_dir)], cwd=PROJECT_DIR, capture_output=True,
                                text=True, timeout=60)
        assert seeded.returncode == 0, seeded.stderr
        assert "sbPhysics01" in seeded.stdout

        email, password = f"e2e-{uuid.uuid4().hex[:8]}@example.com", "E2e!Passw0rd"
        registered = requests.post(f"{stack.api}/auth/register", timeout=10,
                                   json={"email": email, "password": password})
        assert registered.status_code == 201, registered.text
        headers = {"Authorization": f"Bearer {registered.json()['id_token']}"}
        submitted = requests.post(f"{stack.api}/videos", headers=headers, timeout=10,
                                  json={"url": "https://www.youtube.com/watch?v=sbPhysics01"})
        assert submitted.status_code == 202, submitted.text
        video_id = submitted.json()["video_id"]

        seen = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            video = requests.get(f"{stack.api}/videos/{video_id}", headers=headers,
                                 timeout=10).json()
            seen.append(video["progress"])
            if video["status"] in ("completed", "failed"):
                break
            time.sleep(0.05)
        assert video["status"] == "completed", video
        assert seen == sorted(seen) and seen[-1] == 100

        note = requests.get(f"{stack.api}/notes/{video['note_id']}?include_content=true",
                            headers=headers, timeout=10).json()
        assert note["title"] == "Entropy and the Second Law"
        assert "generator: extractive" in note["content"]
        download = requests.get(f"{stack.api}/notes/{video['note_id']}/download",
                                headers=headers, timeout=10).json()
        assert download["filename"] == "Entropy and the Second Law.md"
        assert requests.get(download["url"], timeout=10).text == note["content"]
        assert stack.stop() == 0
        assert not port_open(stack.api_port) and not port_open(stack.aws_port)

        stack.start()  # a restart finds everything
        assert "(state restored)" in stack.ready_line
        login = requests.post(f"{stack.api}/auth/login", timeout=10,
                              json={"email": email, "password": password})
        assert login.status_code == 200, login.text
        headers = {"Authorization": f"Bearer {login.json()['id_token']}"}
        videos = requests.get(f"{stack.api}/videos", headers=headers, timeout=10).json()
        assert [(v["video_id"], v["status"]) for v in videos["videos"]] == \
            [(video_id, "completed")]
        again = requests.get(f"{stack.api}/notes/{video['note_id']}?include_content=true",
                             headers=headers, timeout=10).json()
        assert again["content"] == note["content"]
        download = requests.get(f"{stack.api}/notes/{video['note_id']}/download",
                                headers=headers, timeout=10).json()
        assert requests.get(download["url"], timeout=10).text == note["content"]
        credits = requests.get(f"{stack.api}/credits", headers=headers, timeout=10).json()
        assert credits["credits"] == 2
    finally:
        if stack.process and stack.process.poll() is None:
            assert stack.stop() == 0
    assert not port_open(stack.api_port) and not port_open(stack.aws_port)
    with pytest.raises(ProcessLookupError):
        os.killpg(stack.process.pid, 0)  # nothing of the stack's process group is left


def preflight(api: str, origin: str) -> requests.Response:
    return requests.options(f"{api}/auth/login", timeout=10, headers={
        "Origin": origin, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})


def built_client(tmp_path) -> Path:
    """A stand-in for web/dist (this test is about the port, not the client)."""
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "index.html").write_text("<!doctype html><title>Study Buddy</title>")
    return dist


@pytest.mark.slow
def test_the_web_client_on_a_moved_port_is_served_and_its_origin_allowed(tmp_path):
    """docs/DESIGN.md section 11: locally the web client's own origin is always allowed,
    whatever WEB_PORT is, with ALLOWED_ORIGINS unset or set to something else."""
    web_port = free_port()
    stack = Stack(tmp_path / "state", env={"ALLOWED_ORIGINS": ""},
                  args=("--web-port", str(web_port), "--web",
                        "--web-dist", str(built_client(tmp_path))))
    stack.start()
    try:
        web = f"http://127.0.0.1:{web_port}"
        assert f"web client {web}" in stack.ready_line
        config = requests.get(f"{web}/config.json", timeout=10)
        assert config.json() == {"apiUrl": stack.api}
        assert "<title>Study Buddy</title>" in requests.get(f"{web}/library", timeout=10).text
        for origin in (web, f"http://localhost:{web_port}"):
            answer = preflight(stack.api, origin)
            assert answer.headers.get("Access-Control-Allow-Origin") == origin, answer.headers
            health = requests.get(f"{stack.api}/health", headers={"Origin": origin}, timeout=10)
            assert health.headers.get("Access-Control-Allow-Origin") == origin
        # Only the client's own port: the old fixed default is not let in.
        other = f"http://127.0.0.1:{free_port()}"
        assert "Access-Control-Allow-Origin" not in preflight(stack.api, other).headers

        # ALLOWED_ORIGINS set by hand (a deployed frontend, say): the web client still gets in.
        stack.extra_env["ALLOWED_ORIGINS"] = "https://app.example.org"
        stack.restart()
        for origin in ("https://app.example.org", web, f"http://localhost:{web_port}"):
            answer = preflight(stack.api, origin)
            assert answer.headers.get("Access-Control-Allow-Origin") == origin, origin
        assert stack.stop() == 0
        assert not port_open(web_port)
    finally:
        if stack.process and stack.process.poll() is None:
            stack.stop()


def run_until_exit(command: list[str], env: dict, timeout: float = 60) -> tuple[int, list[str], float]:
    """Run a command that should stop by itself; killed (and failed) if it does not."""
    started = time.monotonic()
    process = subprocess.Popen(command, cwd=PROJECT_DIR, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        out, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        os.killpg(process.pid, signal.SIGTERM)
        out, _ = process.communicate(timeout=30)
        raise AssertionError(f"{command} did not stop by itself:\n{out}") from exc
    return process.returncode, out.strip().splitlines(), time.monotonic() - started


@pytest.mark.slow
def test_a_taken_web_port_stops_make_run_with_one_line(tmp_path):
    """Before anything starts, like the API's port: no traceback, no "ready" stack
    without its web client, no outputs.json (docs/DESIGN.md sections 10 and 11)."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("AWS_", "MAKE", "MFLAGS"))}
    env.update({"LOCAL_API_PORT": str(free_port()), "LOCAL_AWS_PORT": str(free_port()),
                "LOCAL_STATE_DIR": str(tmp_path / "state")})
    with socket.socket() as holder:  # someone else's server on the web port
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = holder.getsockname()[1]
        env["WEB_PORT"] = str(taken)

        code, lines, seconds = run_until_exit(
            [sys.executable, "-m", "infra.local.stack", "--web-port", str(taken), "--web",
             "--web-dist", str(built_client(tmp_path))], env)
        assert code == 1 and len(lines) == 1, lines
        assert f"port {taken} on 127.0.0.1 is taken" in lines[0]
        assert "WEB_PORT=<port> make run" in lines[0]
        assert seconds < 20
        assert not (tmp_path / "state" / "outputs.json").exists()

        # `make run` itself, with the client as it is built (no rebuild here: the
        # stamps' prerequisites are emptied), and this interpreter (no venv is built).
        if not (PROJECT_DIR / "web" / "dist" / "index.html").is_file():
            pytest.skip("the web client is not built (make web): make run would not serve it")
        code, lines, _ = run_until_exit(
            ["make", "--no-print-directory", "run", f"PY={sys.executable}", "WEB_SOURCES=",
             "WEB_DEPS=", "WEB_BUILT=web/dist/index.html"], env)
        ours = [line for line in lines if not line.startswith("make: ***")]
        assert code != 0 and len(ours) == 1, lines
        assert f"port {taken} on 127.0.0.1 is taken" in ours[0] and "WEB_PORT" in ours[0]
        assert not (tmp_path / "state" / "outputs.json").exists()
