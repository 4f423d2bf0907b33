"""The local stack end to end, as an operator and a frontend use it: `make run`'s
process started for real, then HTTP only (docs/DESIGN.md section 10)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid

import pytest
import requests

from testkit.live_stack import PROJECT_DIR, Stack, port_open


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
