"""`make smoke STAGE=...`: is the deployed API answering as it should? Run after every
deploy (.github/workflows/deploy.yml rolls back when it fails).

Checks, over HTTPS against the URL Chalice recorded (.chalice/deployed/<stage>.json)
or --url: GET /health is 200 {status: ok, stage}; an unknown route is 404
{Code: NotFound} and echoes nothing of the request; a protected route without a token
is 401 {Code, Message}. Nothing is created, nothing is charged.

CLI: python -m infra.cloud.smoke --stage dev [--url https://...] [--attempts 5]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE_TOKEN = "smoke-test-token-not-a-jwt"

Fetch = Callable[[str, str, dict], tuple[int, bytes]]


def fetch(method: str, url: str, headers: dict) -> tuple[int, bytes]:
    request = urllib.request.Request(url, method=method, headers=headers)  # noqa: S310 - our API
    try:
        with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310 - our API
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def api_url(stage: str, project_dir: Path = ROOT) -> str:
    record = project_dir / ".chalice" / "deployed" / f"{stage}.json"
    if not record.exists():
        raise SystemExit(f"smoke: {record} is missing: deploy {stage} first, or pass --url")
    for resource in json.loads(record.read_text()).get("resources", []):
        if resource.get("resource_type") == "rest_api" and resource.get("rest_api_url"):
            return str(resource["rest_api_url"]).rstrip("/")
    raise SystemExit(f"smoke: {record} names no REST API URL")


def problems(base: str, stage: str, get: Fetch = fetch) -> list[str]:
    """What is wrong with the API at `base` (empty: healthy)."""
    found: list[str] = []

    def body(raw: bytes) -> dict:
        try:
            data = json.loads(raw)
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}

    status, raw = get("GET", f"{base}/health", {})
    health = body(raw)
    if status != 200 or health.get("status") != "ok" or health.get("stage") != stage:
        found.append(f"GET /health: {status} {raw[:200]!r} (wanted 200, status ok, stage {stage})")
    status, raw = get("GET", f"{base}/smoke-no-such-route",
                      {"Authorization": f"Bearer {PROBE_TOKEN}"})
    if status != 404 or body(raw).get("Code") != "NotFound" or PROBE_TOKEN.encode() in raw:
        found.append(f"unknown route: {status} {raw[:200]!r} (wanted 404 NotFound, no echo)")
    status, raw = get("GET", f"{base}/user", {})
    if status != 401:
        found.append(f"GET /user without a token: {status} {raw[:200]!r} (wanted 401)")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", required=True)
    parser.add_argument("--url", help="the API's base URL (default: Chalice's record)")
    parser.add_argument("--attempts", type=int, default=5,
                        help="tries, 10 s apart (a new deployment takes a moment)")
    args = parser.parse_args(argv)
    base = (args.url or api_url(args.stage)).rstrip("/")
    found: list[str] = []
    for attempt in range(max(1, args.attempts)):
        found = problems(base, args.stage)
        if not found:
            print(f"smoke: {base} is healthy ({args.stage})")
            return 0
        if attempt + 1 < args.attempts:
            time.sleep(10)
    for problem in found:
        print(f"smoke: FAILED {problem}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
