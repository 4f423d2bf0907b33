"""The local stack with no way to YouTube, as a new user meets it (docs/DESIGN.md
section 6): a lecture that is not seeded fails at once, saying what works without a
network; uploaded captions still make a note. HTTP only."""
from __future__ import annotations

import time
import uuid

import pytest
import requests

from testkit.live_stack import Stack

POLL_LIMIT_SECONDS = 150  # how long the test waits at most; not what it asserts


def wait_settled(stack: Stack, headers: dict, video_id: str) -> dict:
    deadline = time.monotonic() + POLL_LIMIT_SECONDS
    while True:
        video = requests.get(f"{stack.api}/videos/{video_id}", headers=headers,
                             timeout=10).json()
        if video["status"] in ("completed", "failed") or time.monotonic() > deadline:
            return video
        time.sleep(0.2)


@pytest.mark.slow
def test_offline_a_link_fails_with_the_real_cause_and_uploads_still_work(tmp_path):
    # The default retry schedule (not the tests' zero): offline must not wait for it.
    stack = Stack(tmp_path / "state", env={"JOB_RETRY_BASE_SECONDS": "60"}).start()
    try:
        registered = requests.post(f"{stack.api}/auth/register", timeout=10, json={
            "email": f"offline-{uuid.uuid4().hex[:8]}@example.com",
            "password": "Off!ine-Passw0rd"})
        assert registered.status_code == 201, registered.text
        headers = {"Authorization": f"Bearer {registered.json()['id_token']}"}

        submitted = requests.post(f"{stack.api}/videos", headers=headers, timeout=10,
                                  json={"url": "https://youtu.be/notSeeded02"})
        assert submitted.status_code == 202, submitted.text
        video = wait_settled(stack, headers, submitted.json()["video_id"])
        assert video["status"] == "failed", video
        assert video["error"]["code"] == "youtube_unreachable"
        assert "only the seeded lectures or uploaded captions" in video["error"]["message"]
        assert "refused the connection" in video["error"]["message"]
        credits = requests.get(f"{stack.api}/credits", headers=headers, timeout=10).json()
        assert credits["credits"] == 3  # refunded

        uploaded = requests.post(f"{stack.api}/videos", headers=headers, timeout=10, json={
            "url": "https://youtu.be/notSeeded03",
            "transcript": "1\n00:00:00,000 --> 00:00:04,000\nEntropy never decreases.\n\n"
                          "2\n00:00:04,000 --> 00:00:08,000\nHeat flows from hot to cold.\n"})
        assert uploaded.status_code == 202, uploaded.text
        done = wait_settled(stack, headers, uploaded.json()["video_id"])
        assert done["status"] == "completed", done
        note = requests.get(f"{stack.api}/notes/{done['note_id']}?include_content=true",
                            headers=headers, timeout=10).json()
        assert "\ntranscript: uploaded\n" in note["content"]
    finally:
        stack.stop()
