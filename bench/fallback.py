"""Transcript fallback benchmark: a video whose first path (youtube-transcript-api)
gets an empty caption body, as YouTube sends a caller without a PO token, so the
job goes on to yt-dlp. Time from submit (POST /videos' work) to completed, through
the real SQS handler, both real libraries on the fakes (testkit/fake_youtube.py and
its yt-dlp mirror), and the extractive generator. Compared with the same lecture
served by the first path."""
from __future__ import annotations

import time
from typing import Any

from chalicelib.api import videos as video_requests
from chalicelib.core import aws
from chalicelib.ledger import movements
from chalicelib.videos import video_store
from infra.local.worker import poll_once
from testkit import fake_ytdlp
from testkit.fake_youtube import FakeYouTube
from testkit.lectures import lecture

RUNS = 5  # after one uncounted warm-up run per path (library imports)


def _submit_to_completed(stack: dict, user_id: str, youtube_id: str) -> float:
    from app import process_video

    started = time.perf_counter()
    video_id = video_requests.submit(user_id, {"url": youtube_id})["video_id"]
    while not poll_once(aws.client("sqs"), stack["VideoQueueUrl"], process_video):
        pass
    seconds = time.perf_counter() - started
    status = video_store.load(video_id, user_id)["status"]
    assert status == "completed", status
    return seconds


def run(stack: dict, env: Any) -> list[dict]:
    from chalicelib.youtube import transcript_api, ytdlp

    youtube = FakeYouTube()
    env.setattr(transcript_api, "session_factory", youtube.session)
    env.setattr(ytdlp, "YDL_FACTORY", fake_ytdlp.fake_ydl_factory(fake_ytdlp.mirror(youtube)))
    env.delenv("ANTHROPIC_API_KEY", raising=False)
    rows = []
    for label, empty in (("first path (youtube-transcript-api)", False),
                         ("empty body -> yt-dlp fallback", True)):
        times = []
        for run_number in range(RUNS + 1):
            user_id = f"bench-fallback-{run_number}-{time.time_ns()}"
            movements.open_account({"user_id": user_id, "email": f"{user_id}@bench.local",
                                    "name": "Bench", "preferences": {"language": "en"}})
            video = lecture(10, seconds_per_segment=3.0)
            if empty:
                video.tracks[0].body = b""
            youtube.add(video)
            seconds = _submit_to_completed(stack, user_id, video.video_id)
            if run_number:
                times.append(seconds)
        rows.append({"path": label, "median": sorted(times)[len(times) // 2],
                     "max": max(times)})
    return rows


def report(rows: list[dict]) -> list[str]:
    lines = ["", "## Transcript fallback (10-minute lecture, extractive notes)", "",
             f"Submit to completed, median and max of {RUNS} runs after a warm-up run.", "",
             "| transcript path | median seconds | max seconds |", "|---|---|---|"]
    lines += [f"| {row['path']} | {row['median']:.2f} | {row['max']:.2f} |" for row in rows]
    return lines
