"""`make seed` adds a sample course (docs/DESIGN.md section 14): a playlist the local
stage lists from the seeded lectures, so a course runs offline end to end."""
from __future__ import annotations

from infra.local import seed
from tests.conftest import call, ledger_total
from tests.courses.conftest import course_of, grant, listed_course, start, work


def test_the_sample_course_runs_offline(client, stack, user, youtube):
    outputs = {**stack, "AwsEndpointUrl": stack["endpoint"]}
    seed.seed(outputs)
    seed.seed(outputs)  # again: nothing new
    login = call(client, "POST", "/auth/login",
                 body={"email": seed.DEMO_EMAIL, "password": seed.DEMO_PASSWORD})
    demo = login.json_body["id_token"]
    courses = call(client, "GET", "/courses", token=demo).json_body["courses"]
    assert [(c["title"], c["status"], c["lecture_count"]) for c in courses] == \
        [(seed.SAMPLE_PLAYLIST_TITLE, "ready", 4)]

    # Anyone on the local stage: the playlist link lists from the seeded lectures.
    grant(client, user, 5)
    course = listed_course(client, stack, user, seed.SAMPLE_PLAYLIST)
    assert [(lec["youtube_video_id"], lec["status"]) for lec in course["lectures"]] == [
        ("sbPhysics01", "pending"), ("sbBiology01", "pending"), ("sbPrivate01", "skipped"),
        ("sbHistory01", "pending")]
    assert course["lectures"][2]["message"] == "This video is private"
    assert course["credits_estimate"] == 3
    assert start(client, user, course["course_id"]).status_code == 202
    work(stack)
    done = course_of(client, user, course["course_id"])
    assert done["status"] == "completed", done
    assert done["completed_count"] == 3 and done["index_note_id"]
    assert ledger_total(client, user) == (5, 5)  # 3 free + 5 granted - 3 lectures
    # Offline: neither yt-dlp nor the transcript API asked YouTube anything.
    assert youtube.ytdlp.requests == [] and youtube.api.requests == []
