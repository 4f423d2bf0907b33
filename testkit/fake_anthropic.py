"""A fake Anthropic Messages API on 127.0.0.1, for the real anthropic SDK.

It answers POST /v1/messages like the API does for structured output (the JSON
in a text block, usage with cache counts), writing a draft from the transcript
lines it was sent, so its timestamps are real. Tests can queue failures (a 429,
a 529) or replace the answer (an out-of-range timestamp), and read every
request it received.
"""
from __future__ import annotations

import json
import re
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import unquote

LINE_RE = re.compile(r"^\[(?:(\d+):)?(\d{2}):(\d{2})\] (.*)$", re.M)


def seconds(match: re.Match) -> int:
    hours, minutes, secs = match.group(1), match.group(2), match.group(3)
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(secs)


def default_answer(request: dict) -> dict:
    """A draft (or the synthesis of part drafts) built from what was sent."""
    user = request["messages"][0]["content"]
    schema = request["output_config"]["format"]["schema"]
    if "sections" not in schema["properties"]:
        return {"title": "Thermodynamics from first principles",
                "summary": "The whole lecture, summarised from its parts.",
                "key_points": [{"text": "Entropy never decreases in isolation.",
                                "timestamp": 5}],
                "suggested_subject": "Physics", "tags": ["thermodynamics", "entropy", "heat"]}
    lines = [(seconds(m), m.group(4)) for m in LINE_RE.finditer(user)]
    first, last = lines[0][0], lines[-1][0]
    return {
        "title": "Thermodynamics from first principles",
        "summary": f"Notes on the lecture from {first} s to {last} s.",
        "core_concepts": [{"term": "Entropy", "definition": lines[0][1][:80],
                           "timestamp": first}],
        "key_points": [{"text": text[:60], "timestamp": start} for start, text in lines[:3]],
        "sections": [{"title": f"Part from {first} s", "timestamp": first,
                      "bullets": [{"text": text[:60], "timestamp": start}
                                  for start, text in lines[::max(1, len(lines) // 5)]]}],
        "review_questions": [{"question": "What is entropy?", "answer": lines[0][1][:80],
                              "timestamp": first}],
        "suggested_subject": "Physics",
        "tags": ["thermodynamics", "entropy", "heat"],
    }


class FakeAnthropic:
    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.paths: list[str] = []
        self.headers: list[dict] = []
        self.failures: list[tuple[int, dict]] = []  # served first, in order
        self.answer: Callable[[dict], dict] = default_answer
        self.on_request: Callable[[dict], None] | None = None
        self._lock = threading.Lock()
        self._seen_systems: set[str] = set()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if self.path.startswith("/model/"):
                    # Bedrock's form: the model is in the path, the version in the body.
                    body["model"] = unquote(self.path.split("/")[2])
                fake.paths.append(self.path)
                status, payload = fake._respond(body, {k.lower(): v for k, v in self.headers.items()})
                raw = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                if status in (429, 529):
                    self.send_header("retry-after", "0")
                self.send_header("request-id", f"req_{uuid.uuid4().hex}")
                self.end_headers()
                self.wfile.write(raw)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "FakeAnthropic":
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def message_requests(self) -> list[dict]:
        return list(self.requests)

    def _respond(self, body: dict, headers: dict) -> tuple[int, dict]:
        with self._lock:
            self.requests.append(body)
            self.headers.append(headers)
            if self.failures:
                status, payload = self.failures.pop(0)
                return status, payload
            system = body["system"][0]["text"]
            cached = system in self._seen_systems
            self._seen_systems.add(system)
        if self.on_request is not None:
            self.on_request(body)
        answer = self.answer(body)
        user_tokens = len(body["messages"][0]["content"]) // 4
        system_tokens = len(system) // 4
        return 200, {
            "id": f"msg_{uuid.uuid4().hex}", "type": "message", "role": "assistant",
            "model": body["model"], "stop_reason": "end_turn", "stop_sequence": None,
            "content": [{"type": "text", "text": json.dumps(answer)}],
            "usage": {"input_tokens": user_tokens,
                      "cache_read_input_tokens": system_tokens if cached else 0,
                      "cache_creation_input_tokens": 0 if cached else system_tokens,
                      "output_tokens": len(json.dumps(answer)) // 4},
        }


RATE_LIMITED = (429, {"type": "error", "error": {"type": "rate_limit_error",
                                                 "message": "Number of requests exceeded"}})
OVERLOADED = (529, {"type": "error", "error": {"type": "overloaded_error",
                                               "message": "Overloaded"}})
