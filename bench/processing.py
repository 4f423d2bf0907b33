"""Processing benchmark: everything but the model call, and what the model is sent.

Runs the real SQS handler against the emulator, youtube-transcript-api on the
fake YouTube transport and the anthropic SDK against the fake Messages API, for
synthetic 10-minute, 60-minute and 3-hour lectures, with both generators.
Overhead = the job's wall time minus the time the model server spent answering
(the fake answers at once, so nearly all of it is ours). Tokens sent are the
API's own input counts (cached prompt included) against the transcript's.
"""
from __future__ import annotations

import time
from typing import Any

from chalicelib.core import aws
from chalicelib.ledger import movements
from chalicelib.notes import claude
from chalicelib.videos import video_api
from infra.local.worker import poll_once
from testkit.fake_anthropic import FakeAnthropic
from testkit.fake_youtube import FakeYouTube
from testkit.lectures import lecture

DURATIONS = (("10 min", 10), ("60 min", 60), ("3 h", 180))


def _user(user_id: str) -> None:
    movements.open_account({"user_id": user_id, "email": f"{user_id}@bench.local",
                          "name": "Bench", "preferences": {"language": "en"}})


def _run_job(stack: dict, user_id: str, video_id: str) -> float:
    from app import process_video

    video_api.submit(user_id, {"url": video_id})
    started = time.perf_counter()
    while not poll_once(aws.client("sqs"), stack["VideoQueueUrl"], process_video):
        pass
    return time.perf_counter() - started


def run(stack: dict, env: Any) -> list[dict]:
    from chalicelib.youtube import transcript_api, ytdlp
    from testkit import fake_ytdlp

    youtube = FakeYouTube()
    # The seams live in transcript_api and ytdlp: nothing may reach the internet.
    transcript_api.session_factory = youtube.session
    ytdlp.YDL_FACTORY = fake_ytdlp.fake_ydl_factory(fake_ytdlp.mirror(youtube))
    rows = []
    for generator in ("extractive", "claude"):
        fake = FakeAnthropic().__enter__() if generator == "claude" else None
        if fake is not None:
            env.setenv("ANTHROPIC_API_KEY", "sk-ant-bench")
            env.setenv("ANTHROPIC_BASE_URL", fake.url)
        else:
            env.delenv("ANTHROPIC_API_KEY", raising=False)
        for label, minutes in (("1 min, cold (first job: SDK imports)", 1), *DURATIONS):
            user_id = f"bench-{generator}-{minutes}-{time.time_ns()}"
            _user(user_id)
            video = youtube.add(lecture(minutes, seconds_per_segment=3.0))
            seconds = _run_job(stack, user_id, video.video_id)
            transcript_text = " ".join(s[2] for s in video.tracks[0].segments)
            transcript_tokens = claude.estimate_tokens(transcript_text)
            row = {"generator": generator, "lecture": label, "seconds": seconds,
                   "per_hour": seconds / (minutes / 60), "transcript_tokens": transcript_tokens}
            if fake is not None:
                sent = sum(len(r["messages"][0]["content"]) // 4 + len(r["system"][0]["text"])
                           // 4 for r in fake.requests)
                row.update(calls=len(fake.requests), sent_tokens=sent,
                           sent_ratio=sent / transcript_tokens)
                fake.requests.clear()
            rows.append(row)
        if fake is not None:
            fake.__exit__(None, None, None)
    transcript_api.session_factory = None
    ytdlp.YDL_FACTORY = None
    return rows


def report(rows: list[dict]) -> list[str]:
    lines = ["## Processing (everything but the model call)", "",
             "| generator | lecture | job seconds | seconds per lecture hour | model calls "
             "| input tokens sent / transcript tokens |", "|---|---|---|---|---|---|"]
    for row in rows:
        ratio = f"{row['sent_tokens']:,} / {row['transcript_tokens']:,} = " \
                f"{row['sent_ratio']:.2f}" if "sent_ratio" in row else "no model"
        lines.append(f"| {row['generator']} | {row['lecture']} | {row['seconds']:.2f} | "
                     f"{row['per_hour']:.2f} | {row.get('calls', 0)} | {ratio} |")
    return lines
