"""A fake Anthropic Messages API on 127.0.0.1, for the real anthropic SDK.

It answers POST /v1/messages like the API does for structured output (the JSON
in a text block, usage with cache counts), writing a draft from the transcript
lines it was sent, so its timestamps are real. Tests can queue failures (a 429,
a 529) or replace the answer (an out-of-range timestamp; with_unsupported_claims:
items quoting a true passage whose text adds a number or a "not"), and read every
request it received. A question about a student's lectures (POST /ask) is answered
with sentences citing its numbered passages by quotes copied from them (ask_answer;
with_invented_citation adds citations that must fail).
"""
from __future__ import annotations

import json
import math
import re
import threading
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

# "[mm:ss] L12 text" (a minute's first line) or "L13 text"; metadata lines carry a time
# and no number.
LINE_RE = re.compile(r"^(?:\[(?:(\d+):)?(\d{2}):(\d{2})\] )?(?:L(\d+) )?(.*)$", re.M)
MIN_CACHEABLE_TOKENS = 1024  # Sonnet's minimum cacheable prompt length


def count_tokens(text: str) -> int:
    """The fake's tokenizer: about four characters a token."""
    return len(text) // 4


def seconds(match: re.Match) -> int | None:
    hours, minutes, secs = match.group(1), match.group(2), match.group(3)
    if minutes is None:
        return None
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(secs)


def _fit(value: Any, schema: dict) -> Any:
    """The answer as the API's structured output returns it: only the schema's keys."""
    if isinstance(value, dict) and "properties" in schema:
        return {k: _fit(v, schema["properties"][k]) for k, v in value.items()
                if k in schema["properties"]}
    if isinstance(value, list) and "items" in schema:
        return [_fit(v, schema["items"]) for v in value]
    return value


def _quote(text: str, words: int = 8) -> str:
    return " ".join(text.split()[:words])


def _item(start: int, number: int | None, text: str) -> dict:
    """An item that says its whole line (one sentence of the lecture), written as a
    sentence, resting on the line's first eight words."""
    said = " ".join(text.split())[:400].rstrip(" ,;:")
    said = said[:1].upper() + said[1:]
    if not said.endswith((".", "?", "!")):
        said += "."
    return {"text": said, "timestamp": start, "line": number, "quote": _quote(text)}


def sent_lines(request: dict) -> list[tuple[int, int | None, str]]:
    """(start seconds, line number or None, text) of the transcript lines sent."""
    user = request["messages"][0]["content"]
    out: list[tuple[int, int | None, str]] = []
    last = 0
    for m in LINE_RE.finditer(user):
        start = seconds(m)
        if start is None and not m.group(4):
            continue  # neither a time nor a line number: not a transcript line
        last = start if start is not None else last  # a line without a time: its minute's
        out.append((last, int(m.group(4)) if m.group(4) else None, m.group(5)))
    return out


def is_synthesis(request: dict) -> bool:
    """A request for the synthesis of part drafts (its schema has no sections)."""
    properties = request["output_config"]["format"]["schema"]["properties"]
    return "sections" not in properties and "sentences" not in properties


def is_ask(request: dict) -> bool:
    """A question about the student's lectures (POST /ask): its schema asks for
    sentences with citations."""
    return "sentences" in request["output_config"]["format"]["schema"]["properties"]


PASSAGE_RE = re.compile(r'<passage n="(\d+)"[^>]*>\n(.*?)\n</passage>', re.S)


def sent_passages(request: dict) -> dict[int, str]:
    """{n: text} of the numbered passages an /ask request sent."""
    return {int(n): text for n, text in PASSAGE_RE.findall(request["messages"][0]["content"])}


def ask_answer(request: dict) -> dict:
    """What a careful model answers: two sentences, each saying what one of the first
    two passages says and citing it with a quote copied from it (its first ten words
    of a sentence with at least six)."""
    sentences = []
    for n, text in sorted(sent_passages(request).items())[:2]:
        said = next((part for part in re.split(r"(?<=[.!?])\s+", text)
                     if len(part.split()) >= 6), text)
        quote = " ".join(said.split()[:10])
        sentences.append({"text": f"The lecture says: {quote}.",
                          "citations": [{"n": n, "quote": quote}]})
    return {"covered": bool(sentences), "sentences": sentences}


def with_invented_citation(answer: dict) -> dict:
    """One more sentence citing passage 1 with a quote no lecture says, and one citing a
    passage that was never sent: both must be dropped."""
    answer["sentences"].append({"text": "Quantum oscillators have evenly spaced levels.",
                                "citations": [{"n": 1, "quote": INVENTED_QUOTE}]})
    answer["sentences"].append({"text": "This is cited to a passage that does not exist.",
                                "citations": [{"n": 99, "quote": "no such passage was sent"}]})
    return answer


def default_answer(request: dict) -> dict:
    """A draft (or the synthesis of part drafts) built from what was sent: a bullet for
    every second transcript line (at most about 25, the last line included), so the
    answer grows with the input and covers it to its end. A question (is_ask) gets
    ask_answer."""
    if is_ask(request):
        return ask_answer(request)
    user = request["messages"][0]["content"]
    schema = request["output_config"]["format"]["schema"]
    if "sections" not in schema["properties"]:
        first_quote = re.search(r'"quote": "([^"]+)"', user)
        first_line = re.search(r'"line": (\d+)', user)
        quote = first_quote.group(1) if first_quote else ""
        # The point says what its quote says (a claim beyond its quote is not verified).
        point = {"text": (quote[:1].upper() + quote[1:]).rstrip(" .,") + "." if quote
                 else "The parts, taken together.", "timestamp": 5,
                 "line": int(first_line.group(1)) if first_line else 1, "quote": quote}
        return _fit({"title": "Thermodynamics from first principles",
                     "summary": "The whole lecture, summarised from its parts.",
                     "key_points": [point], "suggested_subject": "Physics",
                     "tags": ["thermodynamics", "entropy", "heat"]}, schema)
    lines = sent_lines(request)
    first, last = lines[0][0], lines[-1][0]
    # What a careful model quotes: lines with enough words to be found again.
    lines = [line for line in lines if len(line[2].split()) >= 5] or lines
    head = lines[0]
    step = max(2, math.ceil(len(lines) / 25))  # at most about 25 bullets, to the last line
    return _fit({
        "title": "Thermodynamics from first principles",
        "summary": f"Notes on the lecture from {first} s to {last} s.",
        "core_concepts": [{"term": "Entropy", "definition": head[2][:80], "timestamp": first,
                           "line": head[1], "quote": _quote(head[2])}],
        "key_points": [_item(*line) for line in lines[:3]],
        "sections": [{"title": f"Part from {first} s", "timestamp": first, "line": head[1],
                      "bullets": [_item(*line) for line in lines[::step]] + (
                          [_item(*lines[-1])] if (len(lines) - 1) % step else [])}],
        "review_questions": [{"question": "What is entropy?", "answer": head[2][:80],
                              "timestamp": first, "line": head[1], "quote": _quote(head[2]),
                              "kind": "recall"}],
        "suggested_subject": "Physics",
        "subject": "Physics",
        "tags": ["thermodynamics", "entropy", "heat"],
    }, schema)


def _items(answer: dict) -> list[dict]:
    out = list(answer.get("core_concepts", [])) + list(answer.get("key_points", []))
    for section in answer.get("sections", []):
        out += section.get("bullets", [])
    return out + list(answer.get("review_questions", []))


def wrong_references(answer: dict, shift_seconds: int = 120, shift_lines: int = 6) -> dict:
    """Every item cites a moment (or line) away from where its quote is said."""
    for item in _items(answer):
        if isinstance(item.get("timestamp"), (int, float)):
            item["timestamp"] += shift_seconds
        if isinstance(item.get("line"), int):
            item["line"] += shift_lines
    return answer


INVENTED_QUOTE = "the eigenvalues of a quantum harmonic oscillator are evenly spaced"


def with_invented_quote(answer: dict) -> dict:
    """One key point whose quote the lecture never says."""
    if "key_points" in answer:
        template = dict(answer["key_points"][0]) if answer["key_points"] else {}
        template.update({"text": "Quantum oscillators have evenly spaced levels.",
                         "quote": INVENTED_QUOTE})
        if "timestamp" in template:
            template["text"] = f"{template['text']} ({INVENTED_QUOTE})"
        answer["key_points"].append(template)
    return answer


# Items that quote a true passage but whose text states more than it says (issue 21,
# item 8): a number or a "not" the quote and its sentence do not say.
_NEGATION_RE = re.compile(r"\b(?:not|no|never|none|nothing|nobody|cannot)\b|n['’]t\b", re.I)
_AUXILIARY_RE = re.compile(r"\b(?:is|are|was|were|can|does|do|did|has|have|will|would|"
                           r"should|could|must)\b(?!['’])", re.I)
UNSUPPORTED_AMOUNT = "in 50 million cases"


def inflate_number(text: str) -> str:
    """The text with a number its quote does not say: its first number in digits
    inflated (x -> 10x + 7), or, when it has none, "..., in 50 million cases."."""
    match = re.search(r"\d+", text)
    if match:
        return f"{text[:match.start()]}{int(match.group()) * 10 + 7}{text[match.end():]}"
    return f"{text.rstrip(' .,;:')}, {UNSUPPORTED_AMOUNT}."


def add_negation(text: str) -> str:
    """The text saying the opposite: "not" after its first auxiliary verb ("is not",
    "can not"), or "It is not true that ..." before it."""
    match = _AUXILIARY_RE.search(text)
    if match:
        return f"{text[:match.end()]} not{text[match.end():]}"
    return f"It is not true that {text[:1].lower()}{text[1:]}"


def with_unsupported_claims(answer: dict) -> dict:
    """An answer whose items keep their true quotes but some state more than them: the
    first key point and the first review answer a number (inflate_number), the first
    concept definition and the first bullet without a negation of their own a "not"
    (add_negation). The default answer is otherwise unchanged."""
    def first(items: list[dict], key: str, plain: bool = False) -> dict | None:
        return next((item for item in items if isinstance(item.get(key), str) and not (
            plain and _NEGATION_RE.search(item[key]))), None)

    point = first(answer.get("key_points", []), "text")
    if point is not None:
        point["text"] = inflate_number(point["text"])
    question = first(answer.get("review_questions", []), "answer")
    if question is not None:
        question["answer"] = inflate_number(question["answer"])
    concept = first(answer.get("core_concepts", []), "definition", plain=True)
    if concept is not None:
        concept["definition"] = add_negation(concept["definition"])
    bullets = [b for section in answer.get("sections", []) for b in section.get("bullets", [])]
    bullet = first(bullets, "text", plain=True)
    if bullet is not None:
        bullet["text"] = add_negation(bullet["text"])
    return answer


class FakeAnthropic:
    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.paths: list[str] = []
        self.headers: list[dict] = []
        self.failures: list[tuple[int, dict]] = []  # served first, in order
        self.answer: Callable[[dict], dict] = default_answer
        self.on_request: Callable[[dict], None] | None = None
        self._lock = threading.Lock()
        self._seen_prefixes: set[str] = set()
        # Answers longer than this many tokens (or the request's max_tokens) are cut.
        self.output_limit: int | None = None
        # The same, for synthesis requests only (their schema has no "sections").
        self.synthesis_output_limit: int | None = None
        self.stops = 0  # answers cut at the output limit
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
                headers = {k.lower(): v for k, v in self.headers.items()}
                status, payload = fake._respond(body, headers)
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

    def __enter__(self) -> FakeAnthropic:
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
        if self.on_request is not None:
            self.on_request(body)
        answer = json.dumps(self.answer(body))
        usage = self._usage(body)
        limit = min(body.get("max_tokens") or 10**9, self.output_limit or 10**9)
        if is_synthesis(body) and self.synthesis_output_limit is not None:
            limit = min(limit, self.synthesis_output_limit)
        stop_reason = "end_turn"
        if count_tokens(answer) > limit:
            # What the API does: the text stops mid-answer at the limit.
            answer, stop_reason = answer[:limit * 4], "max_tokens"
            with self._lock:
                self.stops += 1
        usage["output_tokens"] = count_tokens(answer)
        return 200, {
            "id": f"msg_{uuid.uuid4().hex}", "type": "message", "role": "assistant",
            "model": body["model"], "stop_reason": stop_reason, "stop_sequence": None,
            "content": [{"type": "text", "text": answer}], "usage": usage,
        }

    def _usage(self, body: dict) -> dict:
        """Input tokens as the API counts them: the prefix up to the last cache_control
        breakpoint is written to the cache (cache_creation_input_tokens) the first time
        and read from it (cache_read_input_tokens) after, but only when it reaches the
        minimum cacheable length; input_tokens is what follows the breakpoint."""
        system = body.get("system")
        blocks = system if isinstance(system, list) else (
            [{"type": "text", "text": system}] if system else [])
        marked = max((n for n, b in enumerate(blocks) if b.get("cache_control")), default=-1)
        prefix = "".join(b["text"] for b in blocks[:marked + 1])
        rest = "".join(b["text"] for b in blocks[marked + 1:]) + "".join(
            m["content"] if isinstance(m["content"], str) else
            "".join(part.get("text", "") for part in m["content"]) for m in body["messages"])
        prefix_tokens = count_tokens(prefix)
        created = read = 0
        if marked >= 0 and prefix_tokens >= MIN_CACHEABLE_TOKENS:
            key = body["model"] + "\0" + prefix
            with self._lock:
                if key in self._seen_prefixes:
                    read = prefix_tokens
                else:
                    created = prefix_tokens
                    self._seen_prefixes.add(key)
            uncached = count_tokens(rest)
        else:
            uncached = prefix_tokens + count_tokens(rest)
        return {"input_tokens": uncached, "cache_creation_input_tokens": created,
                "cache_read_input_tokens": read, "output_tokens": 0}

    def system_tokens(self) -> int:
        """Tokens of the last request's cacheable system prefix."""
        system = self.requests[-1]["system"] if self.requests else ""
        text = "".join(b["text"] for b in system) if isinstance(system, list) else system
        return count_tokens(text or "")


RATE_LIMITED = (429, {"type": "error", "error": {"type": "rate_limit_error",
                                                 "message": "Number of requests exceeded"}})
OVERLOADED = (529, {"type": "error", "error": {"type": "overloaded_error",
                                               "message": "Overloaded"}})
