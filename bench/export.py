"""Export benchmark: where GET /notes/export stops fitting API Gateway's 29 s.

Times the real route (chalice's test client, the app's own code, boto3 against the
emulator) building the whole file in the request, as a library of at most
EXPORT_SYNC_MAX_NOTES notes still does, for libraries of 50, 200, 500 and 1,000
notes, Obsidian and Anki (EXPORT_SYNC_MAX_NOTES is raised for the run, so every size
is built in the request). Each note is a long one-hour lecture's (about 21 KB of
Markdown and 31 KB of stored draft; five categories, five [[links]] each).

Two figures per request: its wall time on this machine (the emulator runs in this
process, so an S3 GET costs what moto takes to answer it, a few ms here, and other
work on the machine shows in it), and the CPU time of the request's own thread
(time.thread_time: our code and botocore's, never moto's). On Lambda each S3 GET is
a network round trip instead, and the API function's 256 MB gets about 0.14 of a
vCPU (Lambda gives a full vCPU at 1,769 MB), so the estimate for the API's Lambda
is our CPU x 1769/256 plus S3_GET_MS per GET: what the threshold is set from
(chalicelib/notes/export_jobs.py DEFAULT_SYNC_MAX_NOTES).
"""
from __future__ import annotations

import gc
import json
import os
import time
import uuid
from typing import Any

from chalicelib.core import aws, config, db
from chalicelib.notes import markdown, note_store
from testkit.lectures import SENTENCES

SIZES = (50, 200, 500, 1000)
FORMATS = ("obsidian", "anki")
CATEGORIES = ("Physics", "Chemistry", "Computer Science", "History", "Mathematics")
API_GATEWAY_SECONDS = 29.0
API_MEMORY_MB = 256  # .chalice/config.json api_handler
FULL_VCPU_MB = 1769  # Lambda: one vCPU's worth of CPU time at this memory size
S3_GET_MS = 20.0  # a small object's GET inside one region: about 10-30 ms first byte


def _sentence(i: int) -> str:
    return SENTENCES[i % len(SENTENCES)]


def lecture_draft(number: int) -> dict:
    """A one-hour lecture's draft, as big as the writers' caps allow in practice."""
    item = lambda i, text: {"text": text, "timestamp": float(30 * i), "quote": text,  # noqa: E731
                            "verified": True}
    return {
        "summary": " ".join(_sentence(number + i) for i in range(6)),
        "core_concepts": [{"term": f"Concept {number}.{i}", "definition": _sentence(i),
                           "timestamp": float(60 * i), "quote": _sentence(i),
                           "verified": True} for i in range(8)],
        "key_points": [item(i, _sentence(number + i)) for i in range(12)],
        "sections": [{"title": f"Part {s + 1}: {_sentence(s)[:40]}", "timestamp": float(450 * s),
                      "bullets": [item(s * 8 + b, _sentence(s + b) + " " + _sentence(s + b + 3))
                                  for b in range(8)]} for s in range(8)],
        "review_questions": [{"question": f"What does part {i + 1} of lecture {number} show?",
                              "answer": _sentence(i) + " " + _sentence(i + 1),
                              "timestamp": float(300 * i), "quote": _sentence(i),
                              "verified": True} for i in range(8)],
        "verified": [100, 100],
    }


def fill(user_id: str, start: int, stop: int) -> None:
    """Notes start..stop-1 for the user: records in batches, Markdown and draft in S3,
    as note_store.save_note leaves them (its key layout; without its per-note
    transaction, which would make filling 1,000 notes the slow part)."""
    s3, dynamodb = aws.client("s3"), aws.client("dynamodb")
    now = db.now_iso()
    records = []
    for number in range(start, stop):
        note_id, title = uuid.uuid4().hex, f"Lecture {number}: {_sentence(number)[:50]}"
        category = CATEGORIES[number % len(CATEGORIES)]
        draft = lecture_draft(number)
        related = [f"Lecture {n}: {_sentence(n)[:50]}" for n in range(max(0, number - 5), number)]
        content = markdown.render(draft=draft, video_id="dQw4w9WgXcQ", title=title,
                                  channel="Prof. Example", duration_seconds=3600,
                                  category=category, tags=["lecture", "bench", "hour"],
                                  created=now, generator="extractive", related_titles=related)
        stored = {"youtube_video_id": "dQw4w9WgXcQ", "include_questions": True, "draft": draft}
        s3.put_object(Bucket=config.notes_bucket(), Key=note_store.object_key(user_id, note_id),
                      Body=content.encode(), ContentType="text/markdown; charset=utf-8")
        s3.put_object(Bucket=config.notes_bucket(), Key=note_store.draft_key(user_id, note_id),
                      Body=json.dumps(stored).encode(), ContentType="application/json")
        records.append({"note_id": note_id, "user_id": user_id, "video_id": uuid.uuid4().hex,
                        "title": title, "category": category, "tags": ["lecture"],
                        "related": [], "content_length": len(content.encode()),
                        "created_at": f"{now[:-1]}#{number:05d}", "updated_at": now})
    for first in range(0, len(records), 25):
        dynamodb.batch_write_item(RequestItems={config.notes_table(): [
            {"PutRequest": {"Item": db.to_item(record)}} for record in records[first:first + 25]]})


class GetCounter:
    """S3 GetObject calls made, from botocore's events."""

    def __init__(self) -> None:
        self.gets = 0
        aws.client("s3").meta.events.register("after-call.s3.GetObject", self._count)

    def _count(self, **_: Any) -> None:
        self.gets += 1


def lambda_seconds(row: dict) -> float:
    """The same request on the API's Lambda: our CPU at its share of a vCPU, each S3
    GET a round trip of S3_GET_MS (the Query pages, a few ms each, and the one upload
    are left out)."""
    return row["cpu"] * FULL_VCPU_MB / API_MEMORY_MB + row["gets"] * S3_GET_MS / 1000


def run(stack: dict, env: Any) -> list[dict]:
    from chalice.test import Client

    from app import app
    from infra.local.chalice_local import harden_chalice_local
    from testkit import tokens

    harden_chalice_local()
    env.setenv("EXPORT_SYNC_MAX_NOTES", str(max(SIZES)))  # every size built in the request
    user_id = f"bench-export-{uuid.uuid4().hex}"
    token = tokens.sign(tokens.claims(config.user_pool_id(), config.user_pool_client_id(),
                                      user_id))
    headers = {"Authorization": f"Bearer {token}"}
    counter = GetCounter()
    rows, filled = [], 0
    with Client(app, stage_name="bench") as client:
        client.http.get("/notes/export", headers=headers)  # warm: imports, first clients
        for size in SIZES:
            fill(user_id, filled, size)
            filled = size
            for chosen in FORMATS:
                gc.collect()
                gets, load = counter.gets, os.getloadavg()[0]
                started, cpu = time.perf_counter(), time.thread_time()
                response = client.http.get(f"/notes/export?format={chosen}", headers=headers)
                row = {"notes": size, "format": chosen,
                       "seconds": time.perf_counter() - started,
                       "cpu": time.thread_time() - cpu, "gets": counter.gets - gets,
                       "load": load}
                assert response.status_code == 200, response.body
                assert json.loads(response.body)["note_count"] == size, response.body
                row["lambda"] = lambda_seconds(row)
                rows.append(row)
    return rows


def ceiling(rows: list[dict], chosen: str) -> int:
    """Notes that fit API Gateway's 29 s on the API's Lambda, by the estimate's
    per-note slope (the largest library measured)."""
    largest = max((row for row in rows if row["format"] == chosen), key=lambda r: r["notes"])
    return int(API_GATEWAY_SECONDS / (largest["lambda"] / largest["notes"]))


def report(rows: list[dict]) -> list[str]:
    from chalicelib.notes import export_jobs

    lines = ["", "## Export in the request (GET /notes/export)", "",
             "Each note a long one-hour lecture's (about 21 KB of Markdown, 31 KB of "
             "draft). "
             f"Lambda estimate: our CPU x {FULL_VCPU_MB}/{API_MEMORY_MB} (the API "
             f"function's share of a vCPU) plus {S3_GET_MS:g} ms per S3 GET.", "",
             "| notes | format | seconds here | our CPU (s) | S3 GETs | load average "
             "| Lambda estimate (s) |", "|---|---|---|---|---|---|---|"]
    for row in rows:
        lines.append(f"| {row['notes']} | {row['format']} | {row['seconds']:.2f} | "
                     f"{row['cpu']:.2f} | {row['gets']} | {row['load']:.1f} | "
                     f"{row['lambda']:.1f} |")
    lines += ["", f"Fits {API_GATEWAY_SECONDS:g} s on the API's Lambda (estimate): about "
              f"{ceiling(rows, 'obsidian'):,} notes (Obsidian), {ceiling(rows, 'anki'):,} "
              f"(Anki). Built in the request up to EXPORT_SYNC_MAX_NOTES (default "
              f"{export_jobs.DEFAULT_SYNC_MAX_NOTES}), by the worker beyond."]
    return lines
