"""What a stage has deployed, kept in the stack's DeployStateBucket (steps 5 and 7).

Chalice's record of what it deployed (.chalice/deployed/<stage>.json) is kept at
chalice/deployed/<stage>.json, so CI and laptops update the same functions; the
deployed commits beside it (chalice/deployed/<stage>.history.json), so `make rollback`
knows the commit deployed before the current one (`rollback_target`).
"""
from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from chalicelib.core import aws
from infra.cloud.stage_config import ROOT, DeployError

STATE_KEY = "chalice/deployed/{stage}.json"
HISTORY_KEY = "chalice/deployed/{stage}.history.json"
MAX_HISTORY = 50


def download_deployed_record(s3: Any, bucket: str, stage: str, project_dir: Path) -> bool:
    """Fetch Chalice's deployed record of `stage`, if the bucket has one."""
    target = project_dir / ".chalice" / "deployed" / f"{stage}.json"
    try:
        body = s3.get_object(Bucket=bucket, Key=STATE_KEY.format(stage=stage))["Body"].read()
    except Exception as exc:  # NoSuchKey: first deployment
        if aws.error_code(exc) in ("NoSuchKey", "404"):
            return False
        raise
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(body)
    return True


def upload_deployed_record(s3: Any, bucket: str, stage: str, project_dir: Path) -> bool:
    source = project_dir / ".chalice" / "deployed" / f"{stage}.json"
    if not source.exists():
        return False
    s3.put_object(Bucket=bucket, Key=STATE_KEY.format(stage=stage), Body=source.read_bytes(),
                  ContentType="application/json", ServerSideEncryption="AES256")
    return True


def current_commit(project_dir: Path = ROOT) -> str:
    """The commit being deployed (CI's GITHUB_SHA, else git), marked when dirty."""
    sha = os.environ.get("GITHUB_SHA", "").strip()
    if sha:
        return sha
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=project_dir,
                          capture_output=True, text=True)
    if head.returncode != 0:
        return "unknown-dirty"  # not a git checkout: nothing a rollback could return to
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                           cwd=project_dir, capture_output=True, text=True).stdout.strip()
    return head.stdout.strip() + ("-dirty" if dirty else "")


def read_history(s3: Any, bucket: str, stage: str) -> list[dict[str, str]]:
    """The deployed commits of `stage`, oldest first (empty before the first record)."""
    try:
        body = s3.get_object(Bucket=bucket, Key=HISTORY_KEY.format(stage=stage))["Body"].read()
    except Exception as exc:  # NoSuchKey: nothing recorded yet
        if aws.error_code(exc) in ("NoSuchKey", "404"):
            return []
        raise
    history = json.loads(body)
    return history if isinstance(history, list) else []


def record_deployment(s3: Any, bucket: str, stage: str, commit: str,
                      when: str | None = None) -> list[dict[str, str]]:
    """Append the deployed commit to the stage's history, beside Chalice's record."""
    history = read_history(s3, bucket, stage)
    entry = {"commit": commit,
             "deployed_at": when or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    history = (history + [entry])[-MAX_HISTORY:]
    s3.put_object(Bucket=bucket, Key=HISTORY_KEY.format(stage=stage),
                  Body=(json.dumps(history, indent=2) + "\n").encode(),
                  ContentType="application/json", ServerSideEncryption="AES256")
    return history


def rollback_target(history: Sequence[Mapping[str, str]]) -> str:
    """The commit deployed before the current one (a dirty tree cannot be redeployed)."""
    if not history:
        raise DeployError("no deployment is recorded for this stage yet")
    current = history[-1]["commit"]
    for entry in reversed(history[:-1]):
        commit = entry.get("commit", "")
        if commit and commit != current and not commit.endswith("-dirty"):
            return commit
    raise DeployError(f"nothing to roll back to: only {current} is recorded")
