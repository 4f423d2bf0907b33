"""Structured logs and metrics, with the standard library only.

Every log line is one JSON object with the stage, the request id (API calls) or
the job id (the video being processed), so a request or a job can be followed
across lines. Metrics are CloudWatch Embedded Metric Format lines on stdout,
which Lambda's log stream turns into metrics without an API call.
aws-lambda-powertools does the same, but its import adds about 80 ms to every
cold start (measured), most of what importing the whole app costs today.
"""
from __future__ import annotations

import contextlib
import contextvars
import datetime
import json
import logging
import sys
import time
from collections.abc import Iterator

from chalicelib.core import config

NAMESPACE = "StudyBuddy"
_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id",
                                                                        default=None)
_job_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("job_id", default=None)
_configured = False


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.UTC)
            .strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "stage": config.stage(),
        }
        if request_id := _request_id.get():
            entry["request_id"] = request_id
        if job_id := _job_id.get():
            entry["job_id"] = job_id
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def configure() -> None:
    """JSON lines on the root logger (Lambda installs a handler there; else add one)."""
    global _configured
    if _configured:
        return
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(logging.StreamHandler(sys.stdout))
    for handler in root.handlers:
        handler.setFormatter(JsonFormatter())
    root.setLevel(level())
    _configured = True


def level() -> int:
    """LOG_LEVEL (DEBUG, INFO, WARNING, ERROR; default INFO): DEBUG for troubleshooting."""
    name = (config.env("LOG_LEVEL") or "INFO").strip().upper()
    value = logging.getLevelName(name)
    return value if isinstance(value, int) else logging.INFO


@contextlib.contextmanager
def context(*, request_id: str | None = None, job_id: str | None = None) -> Iterator[None]:
    tokens = [(_request_id, _request_id.set(request_id)) if request_id else None,
              (_job_id, _job_id.set(job_id)) if job_id else None]
    try:
        yield
    finally:
        for pair in reversed(tokens):
            if pair:
                pair[0].reset(pair[1])


def metric(name: str, value: float, unit: str = "Count", **dimensions: str) -> None:
    """One metric in Embedded Metric Format, with the stage as a dimension."""
    dims = {"Stage": config.stage(), **{k: str(v) for k, v in dimensions.items()}}
    # Per stage (what alarms watch) and, with extra dimensions, per those too.
    dimension_sets = [["Stage"], list(dims)] if dimensions else [["Stage"]]
    record = {
        "_aws": {"Timestamp": int(time.time() * 1000), "CloudWatchMetrics": [{
            "Namespace": NAMESPACE, "Dimensions": dimension_sets,
            "Metrics": [{"Name": name, "Unit": unit}]}]},
        name: value, **dims,
    }
    sys.stdout.write(json.dumps(record) + "\n")
    sys.stdout.flush()
