"""Courses benchmark (docs/DESIGN.md section 14, issue 24).

(a) A 150-lecture playlist end to end on the local stack's pieces: POST /courses's
    request code, the worker (the app's own SQS handler, polled as Lambda would) listing
    the playlist with the real yt-dlp against the fake YouTube, the start, and every
    lecture through the real youtube-transcript-api and the offline writer, until the
    course is completed. Measured: wall time, lecture fetches started per calendar
    minute (what the pace bounds), and the requests the fake YouTube saw: the peak per
    calendar minute and in any sliding 60 s. The pace is COURSE_FETCHES_PER_MINUTE;
    the default (6) would make this run 25 minutes, so it runs at BENCH_COURSE_PACE
    (default 60) and checks that no minute exceeded it.
(b) The course page (GET /courses/{id}) at 200 lectures: items read (GetItem found,
    Query ScannedCount) and our own code's time (the request layer down, DynamoDB
    calls excluded), median of REPEAT, for a course ready to start and one running with
    its lectures in flight; and the course item's size (DynamoDB's limit: 400 KB).
"""
from __future__ import annotations

import json
import os
import statistics
import time
import uuid
from collections import Counter
from typing import Any

from chalicelib.api import courses as course_requests
from chalicelib.core import aws, db
from chalicelib.courses import course_store, runner
from chalicelib.ledger import ids, movements
from infra.local.worker import drain as drain_queue
from infra.local.worker import poll_once
from testkit import fake_ytdlp
from testkit.fake_youtube import FakeYouTube
from testkit.lectures import lecture

LECTURES = 150
PAGE_LECTURES = 200
REPEAT = 7
DEADLINE_SECONDS = 1800


class TimedList(list):
    """A fake's request log that also remembers when each request came."""

    def __init__(self) -> None:
        super().__init__()
        self.times: list[float] = []

    def append(self, item: Any) -> None:
        self.times.append(time.time())
        super().append(item)


def _user() -> str:
    user_id = f"bench-courses-{uuid.uuid4().hex}"
    movements.open_account({"user_id": user_id, "email": f"{user_id}@bench.local",
                            "name": "Bench", "preferences": {"language": "en"}})
    movements.apply(movements.Movement(ids.adjustment(user_id, "bench"), user_id, 1000,
                                       "adjustment", {"reason": "bench"}))
    return user_id


def _run_until(stack: dict, done: Any) -> None:
    from app import process_video

    deadline = time.monotonic() + DEADLINE_SECONDS
    while not done():
        if time.monotonic() > deadline:
            raise RuntimeError("the course did not finish in time")
        poll_once(aws.client("sqs"), stack["VideoQueueUrl"], process_video, wait_seconds=1)


def _peaks(times: list[float]) -> tuple[int, int]:
    """(peak per calendar minute, peak in any sliding 60 s)."""
    if not times:
        return 0, 0
    per_minute = Counter(int(moment // 60) for moment in times)
    ordered, sliding, first = sorted(times), 0, 0
    for last, moment in enumerate(ordered):
        while moment - ordered[first] >= 60:
            first += 1
        sliding = max(sliding, last - first + 1)
    return max(per_minute.values()), sliding


def run_course(stack: dict, env: Any) -> dict[str, Any]:
    from chalicelib.youtube import transcript_api, ytdlp

    pace = int(os.environ.get("BENCH_COURSE_PACE", "60"))
    env.setenv("COURSE_FETCHES_PER_MINUTE", str(pace))
    env.setenv("JOB_RETRY_BASE_SECONDS", "0")
    env.delenv("ANTHROPIC_API_KEY", raising=False)
    api = FakeYouTube()
    api.requests = TimedList()
    seen = fake_ytdlp.mirror(api)
    seen.requests = TimedList()
    transcript_api.session_factory = api.session
    ytdlp.YDL_FACTORY = fake_ytdlp.fake_ydl_factory(seen)
    list_id = f"PLbench{uuid.uuid4().hex[:16]}"
    entries: list[tuple[str, str, int | None]] = []
    for position in range(1, LECTURES + 1):
        video = api.add(lecture(10))
        video.title = f"Lecture {position}"
        entries.append((video.video_id, video.title, video.length_seconds))
    seen.playlists[list_id] = fake_ytdlp.FakePlaylist(list_id, entries=entries)
    user_id = _user()
    drain_queue(aws.client("sqs"), stack["VideoQueueUrl"])
    try:
        started = time.perf_counter()
        course_id = course_requests.create(
            user_id, {"url": f"https://www.youtube.com/playlist?list={list_id}"})["course_id"]

        def status() -> str:
            found = course_store.load(course_id, user_id)
            return found["status"] if found else "gone"

        _run_until(stack, lambda: status() != "listing")
        listed = time.perf_counter() - started
        listing_requests = len(seen.requests)
        runner.start(user_id, course_id)
        _run_until(stack, lambda: status() in ("completed", "failed"))
        wall = time.perf_counter() - started
    finally:
        transcript_api.session_factory = None
        ytdlp.YDL_FACTORY = None
    course = runner.current(user_id, course_id)
    lecture_starts = Counter(int(moment // 60) for moment in _first_request_per_video(api))
    request_minute, request_sliding = _peaks(sorted(api.requests.times + seen.requests.times))
    return {"lectures": LECTURES, "pace": pace, "wall_s": wall, "listed_s": listed,
            "listing_requests": listing_requests, "status": course["status"],
            "completed": course["completed_count"], "charged": course["credits_charged"],
            "requests": len(api.requests) + len(seen.requests),
            "peak_starts_per_minute": max(lecture_starts.values()) if lecture_starts else 0,
            "peak_requests_per_minute": request_minute,
            "peak_requests_sliding_60s": request_sliding,
            "default_minutes": LECTURES / 6}


def _first_request_per_video(api: FakeYouTube) -> list[float]:
    """When YouTube was first asked about each lecture (its fetch's start)."""
    first: dict[str, float] = {}
    log: TimedList = api.requests
    for moment, request in zip(log.times, log, strict=True):
        for video_id in api.videos:
            if video_id in request and video_id not in first:
                first[video_id] = moment
    return list(first.values())


def run_page(stack: dict, env: Any) -> list[dict[str, Any]]:
    from bench.reviews import DynamoTimer

    env.setenv("COURSE_FETCHES_PER_MINUTE", "100000")
    user_id = _user()
    links = [f"https://youtu.be/bc{number:09d}" for number in range(PAGE_LECTURES)]
    course_id = course_requests.create(user_id, {"title": "Bench course",
                                                 "videos": links})["course_id"]
    rows = []
    for state in ("ready", "running"):
        if state == "running":
            runner.start(user_id, course_id)
        times, items = [], []
        for _ in range(REPEAT):
            with DynamoTimer() as timer:
                begun = time.perf_counter()
                page = course_requests.get_course(user_id, course_id)
                total = time.perf_counter() - begun
            times.append(total - timer.seconds)
            items.append(timer.items)
        item = db.get(course_store.table(), {"course_id": course_id}, consistent=True) or {}
        rows.append({"state": state, "lectures": len(page["lectures"]),
                     "in_flight": sum(1 for lec in page["lectures"]
                                      if lec["status"] in runner.IN_FLIGHT),
                     "ours_ms": statistics.median(times) * 1000,
                     "items": statistics.median(items),
                     "item_kb": len(json.dumps(item, default=str)) / 1024,
                     "body_kb": len(json.dumps(page)) / 1024})
    runner.delete(user_id, course_id, keep_notes=False)
    drain_queue(aws.client("sqs"), stack["VideoQueueUrl"])
    return rows


def run(stack: dict, env: Any) -> dict[str, Any]:
    return {"course": run_course(stack, env), "page": run_page(stack, env)}


def report(results: dict[str, Any]) -> list[str]:
    course = results["course"]
    lines = ["", "## Courses (issue 24)", "",
             f"A {course['lectures']}-lecture playlist (10-minute lectures, offline writer), "
             f"end to end: listed by the worker with yt-dlp against the fake YouTube in "
             f"{course['listed_s']:.1f} s ({course['listing_requests']} requests), then "
             f"{course['status']} ({course['completed']} notes, {course['charged']} credits) "
             f"in {course['wall_s']:.0f} s wall time at a pace of {course['pace']} lecture "
             f"fetches a minute (at the default 6, the pace alone makes it about "
             f"{course['default_minutes']:.0f} minutes).", "",
             "| pace (fetches/min) | lecture fetches started, peak per minute | requests to "
             "YouTube | peak per calendar minute | peak in any 60 s |", "|---|---|---|---|---|",
             f"| {course['pace']} | {course['peak_starts_per_minute']} | {course['requests']} "
             f"| {course['peak_requests_per_minute']} | {course['peak_requests_sliding_60s']} |",
             "", f"The course page (GET /courses/{{id}}) at {PAGE_LECTURES} lectures: our own "
             f"code's time (DynamoDB calls excluded), median of {REPEAT}, and the items read:",
             "", "| course | lectures in flight | our time (ms) | items read | course item (KB) "
             "| response (KB) |", "|---|---|---|---|---|---|"]
    for row in results["page"]:
        lines.append(f"| {row['state']} | {row['in_flight']} | {row['ours_ms']:.1f} | "
                     f"{row['items']:.0f} | {row['item_kb']:.0f} | {row['body_kb']:.0f} |")
    return lines


REPORT_MARK = "courses-report: "


def isolated_report() -> list[str]:
    """This part in a process of its own, on an emulator of its own: the emulator runs
    inside the benchmark's process and keeps every item the earlier parts wrote (moto's
    DynamoDB grew by about 4 MB a lecture here), so after them the full `make bench`
    outgrew this machine's 23 GB."""
    import subprocess
    import sys
    from pathlib import Path

    done = subprocess.run([sys.executable, "-m", "bench.courses"], capture_output=True,
                          text=True, check=True, cwd=Path(__file__).parent.parent)
    marked = [line for line in done.stdout.splitlines() if line.startswith(REPORT_MARK)]
    lines: list[str] = json.loads(marked[-1][len(REPORT_MARK):])
    return lines


def main() -> int:
    """`python -m bench.courses`: this part alone (the whole report: `make bench`)."""
    import sys

    import pytest

    from infra.local.emulator import Emulator
    from infra.local.provision import provision
    from infra.template import app_environment

    env = pytest.MonkeyPatch()
    emulator = Emulator(port=0).start()
    for key, value in {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
                       "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL": emulator.url,
                       "STAGE": "local"}.items():
        env.setenv(key, value)
    outputs = provision("local", endpoint_url=emulator.url)
    for key, value in app_environment(outputs).items():
        env.setenv(key, value)
    try:
        lines = report(run({**outputs, "endpoint": emulator.url}, env))
        sys.stdout.write("\n".join(lines) + "\n" + REPORT_MARK + json.dumps(lines) + "\n")
    finally:
        env.undo()
        emulator.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
