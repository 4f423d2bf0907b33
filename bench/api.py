"""API benchmarks: cold-start import, list latency and items read as a user's data
grows, and the local stack's throughput under 20 concurrent clients."""
from __future__ import annotations

import concurrent.futures
import gc
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from chalicelib.core import aws, config, db
from chalicelib.ledger import movements

PROJECT_DIR = Path(__file__).resolve().parent.parent
IMPORT_RUNS = 15
LATENCY_RUNS = 50
THROUGHPUT_SECONDS = 5.0
CLIENTS = 20


def _import_seconds(module: str, cwd: Path) -> float:
    code = (f"import time; t = time.perf_counter(); import {module}; "
            "print(time.perf_counter() - t)")
    samples = [float(subprocess.run([sys.executable, "-c", code], cwd=cwd, check=True,
                                    capture_output=True, text=True).stdout)
               for _ in range(IMPORT_RUNS)]
    return statistics.median(samples)


def import_ratio() -> dict:
    app_seconds = _import_seconds("app", PROJECT_DIR)
    bare_seconds = _import_seconds("bare_app", PROJECT_DIR / "bench")
    return {"app": app_seconds, "bare": bare_seconds, "ratio": app_seconds / bare_seconds}


class DynamoMeter:
    """Items DynamoDB Query calls read (their ScannedCount) and the time spent in
    DynamoDB calls, from botocore's own events: the rest of a request is ours."""

    def __init__(self) -> None:
        self.count = 0
        self.seconds = 0.0
        self._started = 0.0
        events = aws.client("dynamodb").meta.events
        events.register("after-call.dynamodb.Query", self._add)
        events.register("before-call.dynamodb", self._start)
        events.register("after-call.dynamodb", self._stop)

    def _add(self, parsed: dict, **_: Any) -> None:
        self.count += int(parsed.get("ScannedCount", 0))

    def _start(self, **_: Any) -> None:
        self._started = time.perf_counter()

    def _stop(self, **_: Any) -> None:
        self.seconds += time.perf_counter() - self._started


def _fill(user_id: str, count: int) -> None:
    """count videos and count notes for the user, written in batches."""
    client = aws.client("dynamodb")
    now = db.now_iso()
    for table, make in ((config.videos_table(), lambda i: {
            "video_id": uuid.uuid4().hex, "user_id": user_id, "youtube_video_id": "dQw4w9WgXcQ",
            "url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ", "status": "completed",
            "user_status": f"{user_id}#completed", "progress": 100, "credits_charged": 1,
            "created_at": f"{now[:-5]}{i % 1000:03d}Z#{i:05d}", "updated_at": now}),
            (config.notes_table(), lambda i: {
                "note_id": uuid.uuid4().hex, "user_id": user_id, "video_id": uuid.uuid4().hex,
                "title": f"Lecture {i}", "user_title": f"{user_id}#lecture {i}",
                "category": "Physics", "user_category": f"{user_id}#Physics", "tags": ["a"],
                "related": [], "content_length": 1000, "created_at": f"{now[:-1]}#{i:05d}",
                "updated_at": now})):
        items = [make(i) for i in range(count)]
        for start in range(0, count, 25):
            client.batch_write_item(RequestItems={table: [
                {"PutRequest": {"Item": db.to_item(item)}} for item in items[start:start + 25]]})


def list_scaling(client: Any, token_for: Any) -> list[dict]:
    counter = DynamoMeter()
    rows = []
    for count in (50, 5000):
        user_id, headers = token_for()
        movements.open_account({"user_id": user_id, "email": f"{user_id}@bench.local",
                              "name": "Bench", "preferences": {}})
        _fill(user_id, count)
        for path in ("/videos?limit=20", "/notes?limit=20"):
            client.http.get(path, headers=headers)  # warm
            samples, ours, reads = [], [], []
            for _ in range(LATENCY_RUNS):
                # The emulator lives in this process: its 10,000 extra objects would
                # lengthen garbage-collector pauses inside our requests.
                gc.collect()
                gc.disable()
                before, in_dynamo = counter.count, counter.seconds
                started = time.perf_counter()
                response = client.http.get(path, headers=headers)
                elapsed = time.perf_counter() - started
                gc.enable()
                samples.append(elapsed)
                ours.append(elapsed - (counter.seconds - in_dynamo))
                reads.append(counter.count - before)
                assert response.status_code == 200, response.body
            rows.append({"path": path.split("?")[0], "items": count,
                         "p50_ms": statistics.median(samples) * 1000,
                         "ours_ms": statistics.median(ours) * 1000,
                         "items_read": max(reads)})
    return rows


def throughput() -> dict:
    import requests

    from testkit.live_stack import Stack

    with tempfile.TemporaryDirectory() as state:
        stack = Stack(Path(state)).start()
        try:
            email = f"bench-{uuid.uuid4().hex[:8]}@example.com"
            token = requests.post(f"{stack.api}/auth/register", timeout=10, json={
                "email": email, "password": "Bench!Passw0rd"}).json()["id_token"]
            headers = {"Authorization": f"Bearer {token}"}
            deadline = time.monotonic() + THROUGHPUT_SECONDS

            def client_loop(_: int) -> tuple[int, int]:
                session, done, errors = requests.Session(), 0, 0
                while time.monotonic() < deadline:
                    response = session.get(f"{stack.api}/videos", headers=headers, timeout=10)
                    done += 1
                    errors += response.status_code != 200
                return done, errors

            with concurrent.futures.ThreadPoolExecutor(max_workers=CLIENTS) as pool:
                results = list(pool.map(client_loop, range(CLIENTS)))
        finally:
            stack.stop()
    done = sum(r[0] for r in results)
    return {"requests": done, "errors": sum(r[1] for r in results),
            "per_second": done / THROUGHPUT_SECONDS}


def report(imports: dict, scaling: list[dict], load: dict) -> list[str]:
    lines = ["## API", "",
             f"Import of app.py (every cold start): {imports['app'] * 1000:.0f} ms against "
             f"{imports['bare'] * 1000:.0f} ms for a one-route Chalice app: ratio "
             f"**{imports['ratio']:.2f}** (target 1.2 at most: docs/ARCHITECTURE.md, "
             "'Cold starts').", "",
             "| list | user's items | p50 ms, end to end | p50 ms, ours (without DynamoDB "
             "calls) | DynamoDB items read |", "|---|---|---|---|---|"]
    lines += [f"| GET {r['path']} | {r['items']:,} | {r['p50_ms']:.1f} | {r['ours_ms']:.1f} | "
              f"{r['items_read']} |" for r in scaling]
    for path in ("/videos", "/notes"):
        small, large = (r for r in scaling if r["path"] == path)
        lines.append(f"\nGET {path}, 5,000 items against 50: items read {small['items_read']} "
                     f"and {large['items_read']} (page size 20); our time ratio "
                     f"**{large['ours_ms'] / small['ours_ms']:.2f}** (target 1.3 at most); end "
                     f"to end {large['p50_ms'] / small['p50_ms']:.2f}, because the emulator "
                     "answers a Query by walking the whole index in Python, where DynamoDB "
                     "reads only the page.")
    lines += ["", f"Local stack, GET /videos with {CLIENTS} concurrent clients for "
                  f"{THROUGHPUT_SECONDS:.0f} s: {load['requests']} requests, "
                  f"**{load['per_second']:.0f}/s**, {load['errors']} errors."]
    return lines
