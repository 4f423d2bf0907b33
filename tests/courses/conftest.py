"""What the course tests share: one fake YouTube that youtube-transcript-api and the real
yt-dlp (its video and playlist extractors) both talk to, the worker run on the real
queue, and courses made through the API."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from chalicelib.youtube import transcript_api
from testkit import fake_ytdlp
from testkit.fake_youtube import FakeYouTube
from testkit.lectures import lecture
from tests.conftest import call
from tests.processing.test_pipeline import drain, work


@dataclass
class YouTube:
    api: FakeYouTube               # what youtube-transcript-api sees
    ytdlp: fake_ytdlp.FakeYouTube  # what yt-dlp sees: the same videos, and playlists

    def playlist(self, list_id: str, count: int, *, minutes: float = 2,
                 unavailable: dict[int, str] | None = None) -> list[str]:
        """A playlist of `count` new lectures (position -> "[Private video]" or
        "[Deleted video]" in `unavailable`); returns the video ids in order."""
        entries: list[tuple[str, str, int | None]] = []
        for position in range(1, count + 1):
            if unavailable and position in unavailable:
                entries.append((f"gone{position:07d}", unavailable[position], None))
                continue
            video = self.api.add(lecture(minutes))
            video.title = f"Lecture {position}"
            entries.append((video.video_id, video.title, video.length_seconds))
        self.ytdlp.playlists[list_id] = fake_ytdlp.FakePlaylist(list_id, entries=entries)
        return [entry[0] for entry in entries]


@pytest.fixture
def youtube(monkeypatch, stack) -> YouTube:
    api = FakeYouTube()
    monkeypatch.setattr(transcript_api, "session_factory", api.session)
    mirror = fake_ytdlp.mirror(api)
    from chalicelib.youtube import ytdlp
    monkeypatch.setattr(ytdlp, "YDL_FACTORY", fake_ytdlp.fake_ydl_factory(mirror))
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.setenv("JOB_RETRY_BASE_SECONDS", "0")
    monkeypatch.setenv("COURSE_FETCHES_PER_MINUTE", "100000")
    for url in (stack["VideoQueueUrl"], stack["DeadLetterQueueUrl"]):
        drain(url)
    return YouTube(api, mirror)


def course_of(client, user, course_id) -> dict[str, Any]:
    response = call(client, "GET", f"/courses/{course_id}", token=user["id_token"])
    assert response.status_code == 200, response.body
    return response.json_body


def listed_course(client, stack, user, list_id: str) -> dict[str, Any]:
    """POST /courses with the playlist's link, then the worker lists it."""
    response = call(client, "POST", "/courses", token=user["id_token"],
                    body={"url": f"https://www.youtube.com/playlist?list={list_id}"})
    assert response.status_code == 202, response.body
    assert response.json_body["status"] == "listing"
    work(stack)
    return course_of(client, user, response.json_body["course_id"])


def grant(client, user: dict, amount: int) -> None:
    """Credits as `make credits` grants them: one adjustment through the ledger."""
    import uuid

    call(client, "GET", "/credits", token=user["id_token"])  # the account exists
    from chalicelib.ledger import ids, movements
    movements.apply(movements.Movement(ids.adjustment(user["user_id"], uuid.uuid4().hex),
                                       user["user_id"], amount, "adjustment",
                                       {"reason": "test"}))


def start(client, user, course_id):
    return call(client, "POST", f"/courses/{course_id}/start", token=user["id_token"])


def completed_course(client, stack, user, youtube, list_id: str, lectures: int = 2
                     ) -> dict[str, Any]:
    """A playlist of `lectures` lectures made into a course, run to its end."""
    grant(client, user, 10)
    youtube.playlist(list_id, lectures)
    course = listed_course(client, stack, user, list_id)
    start(client, user, course["course_id"])
    work(stack)
    done = course_of(client, user, course["course_id"])
    assert done["status"] == "completed", done
    return done


__all__ = ["YouTube", "completed_course", "course_of", "grant", "listed_course", "start",
           "work"]
