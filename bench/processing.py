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

from chalicelib.api import videos as video_requests
from chalicelib.core import aws
from chalicelib.ledger import movements
from chalicelib.notes import claude
from chalicelib.processing import cost_bound
from infra.local.worker import poll_once
from testkit.fake_anthropic import FakeAnthropic
from testkit.fake_youtube import FakeVideo, FakeYouTube, Track
from testkit.lectures import SENTENCES, lecture, new_video_id

WORDS = " ".join(SENTENCES)

DURATIONS = (("10 min", 10), ("60 min", 60), ("3 h", 180))


def _user(user_id: str) -> None:
    movements.open_account({"user_id": user_id, "email": f"{user_id}@bench.local",
                          "name": "Bench", "preferences": {"language": "en"}})


def _run_job(stack: dict, user_id: str, video_id: str) -> float:
    from app import process_video

    video_requests.submit(user_id, {"url": video_id})
    started = time.perf_counter()
    while not poll_once(aws.client("sqs"), stack["VideoQueueUrl"], process_video):
        pass
    return time.perf_counter() - started


def _unrepeated(video: FakeVideo) -> FakeVideo:
    """The test lecture cycles sixteen sentences; the embedder reads a repeated text once,
    so each line is made its own (", point n.") and the job pays for every sentence, as on
    a real lecture."""
    for track in video.tracks:
        track.segments = [(start, duration, f"{text.rstrip('.')}, point {number}.")
                          for number, (start, duration, text) in enumerate(track.segments, 1)]
    return video


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
            video = youtube.add(_unrepeated(lecture(minutes, seconds_per_segment=3.0)))
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


# --- the adversarial row: model input tokens per billed credit ------------------------

def _one_line_video(seconds: int, characters: int) -> FakeVideo:
    text = (WORDS * (characters // len(WORDS) + 1))[:characters]
    return FakeVideo(video_id=new_video_id(), title="Adversarial", length_seconds=seconds,
                     tracks=[Track("en", "English", [(0.0, seconds - 1.0, text)])])


def _at_the_bound(seconds: int) -> FakeVideo:
    """A segment every 3 s, each as long as the bound allows: the most text that is
    still priced by duration."""
    per_segment = int(cost_bound.TOKENS_PER_SECOND * 3) - 1  # tokens, one for the segment
    text = (WORDS * 3)[:per_segment * 4]
    return FakeVideo(video_id=new_video_id(), title="Adversarial", length_seconds=seconds,
                     tracks=[Track("en", "English", [(float(t), 2.9, text)
                                                     for t in range(0, seconds, 3)])])


ADVERSARIAL = (
    ("honest lecture hour (60 min, a sentence every 3 s)",
     lambda: lecture(60, seconds_per_segment=3.0)),
    ("60 min of captions at the bound (priced by duration)", lambda: _at_the_bound(3600)),
    ("60 s video, one caption line of a billed hour's text", lambda: _one_line_video(60, 172_000)),
    ("60 s video, 600 KB in one line (priced by size)", lambda: _one_line_video(60, 600_000)),
    ("60 s video, 1.6 MB in one line (the issue's case)", lambda: _one_line_video(60, 1_600_000)),
)


def run_adversarial(stack: dict, env: Any) -> list[dict]:
    """Model input tokens (the API's own counts, cached prompt included) per credit
    billed, for the worst inputs we could construct against an honest lecture hour."""
    from chalicelib.videos import video_store
    from chalicelib.youtube import transcript_api

    youtube = FakeYouTube()
    transcript_api.session_factory = youtube.session
    rows = []
    with FakeAnthropic() as fake:
        env.setenv("ANTHROPIC_API_KEY", "sk-ant-bench")
        env.setenv("ANTHROPIC_BASE_URL", fake.url)
        for label, make in ADVERSARIAL:
            user_id = f"bench-adversary-{time.time_ns()}"
            _user(user_id)
            video = youtube.add(make())
            submitted = video_requests.submit(user_id, {"url": video.video_id})
            from app import process_video

            while not poll_once(aws.client("sqs"), stack["VideoQueueUrl"], process_video):
                pass
            record = video_store.load(submitted["video_id"], user_id) or {}
            usage = record.get("usage") or {}
            credits = int(record.get("credits_charged") or 0) if record.get("status") == \
                "completed" else 0
            sent = int(usage.get("input_tokens") or 0)
            rows.append({"input": label, "status": record.get("status"),
                         "error": (record.get("error") or {}).get("code"),
                         "calls": len(fake.requests), "input_tokens": sent,
                         "largest_call": max((len(r["messages"][0]["content"]) // 4
                                              for r in fake.requests), default=0),
                         "credits": credits,
                         "per_credit": sent / credits if credits else 0.0})
            fake.requests.clear()
    env.delenv("ANTHROPIC_API_KEY", raising=False)
    transcript_api.session_factory = None
    return rows


def report_adversarial(rows: list[dict]) -> list[str]:
    honest = rows[0]["per_credit"] or 1.0
    bound = int(cost_bound.TOKENS_PER_SECOND * 3600)
    lines = ["", "## Cost bound (model input tokens per billed credit)", "",
             f"Bound: at most {bound:,} transcript tokens per billed credit "
             f"(chalicelib/processing/cost_bound.py, {cost_bound.TOKENS_PER_SECOND:g} a "
             "second of billed time), plus the prompt each chunk repeats; beyond 6 hours' "
             "worth the video is refused.", "",
             "| input | outcome | model calls | largest call (tokens) | input tokens "
             "| credits billed | tokens per credit | vs honest hour |",
             "|---|---|---|---|---|---|---|---|"]
    for row in rows:
        outcome = row["status"] + (f" ({row['error']})" if row["error"] else "")
        ratio = f"{row['per_credit'] / honest:.2f}x" if row["credits"] else "-"
        lines.append(f"| {row['input']} | {outcome} | {row['calls']} | "
                     f"{row['largest_call']:,} | {row['input_tokens']:,} | {row['credits']} | "
                     f"{row['per_credit']:,.0f} | {ratio} |")
    return lines
