"""`make deploy` step for the web client: upload web/dist to the stack's web bucket.

Runs after the stack and `chalice deploy` (infra/cloud/deploy.py). Does nothing, saying
so, when the stack was deployed without `WebClient=true`. Otherwise:

1. reads the stack outputs (WebBucketName, WebDistributionId, WebUrl, AllowedOrigins);
2. writes config.json with the API URL (--api-url, else the rest_api_url that
   `chalice deploy` recorded in .chalice/deployed/<stage>.json);
3. uploads every file of web/dist: hashed assets first, cached for a year; then
   index.html and config.json with `Cache-Control: no-cache`; old assets stay, so a
   tab opened before the deploy keeps working;
4. invalidates `/`, `/index.html` and `/config.json` in CloudFront;
5. warns when WebUrl is not among AllowedOrigins (the API would refuse the browser).

    .venv/bin/python web/deploy.py --stage dev [--api-url https://...] [--dist web/dist]
"""
from __future__ import annotations

import argparse
import json
import mimetypes
import sys
import time
from pathlib import Path
from typing import Any

WEB_DIR = Path(__file__).resolve().parent
PROJECT_DIR = WEB_DIR.parent
IMMUTABLE = "public, max-age=31536000, immutable"
NO_CACHE = "no-cache"
ENTRY_FILES = ("index.html", "config.json")


class DeployError(Exception):
    pass


def stack_outputs(cloudformation: Any, stage: str) -> dict[str, str]:
    stack = cloudformation.describe_stacks(StackName=f"study-buddy-{stage}")["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def api_url_from_chalice(stage: str, project_dir: Path = PROJECT_DIR) -> str:
    record = project_dir / ".chalice" / "deployed" / f"{stage}.json"
    try:
        resources = json.loads(record.read_text())["resources"]
    except (OSError, ValueError, KeyError) as exc:
        raise DeployError(f"no API URL: {record} is missing or unreadable; deploy the API first "
                          "or pass --api-url") from exc
    for resource in resources:
        if resource.get("rest_api_url"):
            return str(resource["rest_api_url"]).rstrip("/")
    raise DeployError(f"no rest_api_url in {record}; pass --api-url")


def plan(dist: Path) -> list[tuple[Path, str]]:
    """(file, key) in upload order: assets before the entry files that name them."""
    if not (dist / "index.html").is_file():
        raise DeployError(f"{dist}/index.html is missing: run `make web` first")
    files = [path for path in sorted(dist.rglob("*")) if path.is_file() and path.name != ".built"
             and path.relative_to(dist).as_posix() != "config.json"]
    files.sort(key=lambda path: path.relative_to(dist).as_posix() in ENTRY_FILES)
    return [(path, path.relative_to(dist).as_posix()) for path in files]


def upload(s3: Any, bucket: str, dist: Path, api_url: str) -> list[str]:
    keys = []
    for path, key in plan(dist):
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if content_type.startswith("text/") or content_type == "application/javascript":
            content_type += "; charset=utf-8"
        s3.put_object(Bucket=bucket, Key=key, Body=path.read_bytes(), ContentType=content_type,
                      CacheControl=IMMUTABLE if key.startswith("assets/") else NO_CACHE)
        keys.append(key)
    s3.put_object(Bucket=bucket, Key="config.json", ContentType="application/json",
                  CacheControl=NO_CACHE, Body=json.dumps({"apiUrl": api_url}).encode())
    keys.append("config.json")
    return keys


def deploy(stage: str, *, dist: Path, api_url: str | None, session: Any) -> int:
    outputs = stack_outputs(session.client("cloudformation"), stage)
    bucket = outputs.get("WebBucketName")
    if not bucket:
        print(f"web client: not hosted by study-buddy-{stage} (deploy with "
              "PARAMS=WebClient=true to host it); skipped")
        return 0
    api_url = (api_url or api_url_from_chalice(stage)).rstrip("/")
    keys = upload(session.client("s3"), bucket, dist, api_url)
    session.client("cloudfront").create_invalidation(
        DistributionId=outputs["WebDistributionId"],
        InvalidationBatch={"Paths": {"Quantity": 3, "Items": ["/", "/index.html", "/config.json"]},
                           "CallerReference": f"study-buddy-{stage}-{time.time_ns()}"})
    web_url = outputs.get("WebUrl", "")
    print(f"web client: {len(keys)} files uploaded to s3://{bucket}; {web_url} (API {api_url})")
    origins = [o.strip() for o in outputs.get("AllowedOrigins", "").split(",")]
    if web_url and web_url not in origins:
        print(f"web client: {web_url} is not in AllowedOrigins; the API will refuse the "
              f"browser until you deploy with PARAMS=\"AllowedOrigins={web_url} ...\"",
              file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Upload the web client to its bucket.")
    parser.add_argument("--stage", required=True, choices=["dev", "staging", "prod"])
    parser.add_argument("--api-url", default=None)
    parser.add_argument("--dist", type=Path, default=WEB_DIR / "dist")
    args = parser.parse_args(argv)
    import boto3

    try:
        return deploy(args.stage, dist=args.dist, api_url=args.api_url, session=boto3.session.Session())
    except DeployError as exc:
        print(f"web client: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
