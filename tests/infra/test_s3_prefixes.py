"""Every S3 prefix the code writes under is granted, read and write, in every AWS
stage's hand-written policy (autogen_policy cannot see chalicelib): an uploaded
caption file under uploads/ was once AccessDenied in prod."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def code_prefixes() -> set[str]:
    found = set()
    for path in (ROOT / "chalicelib").rglob("*.py"):
        found.update(re.findall(r"f\"([a-z-]+)/\{", path.read_text()))
    return found


@pytest.mark.parametrize("stage", ["dev", "staging", "prod"])
def test_every_prefix_the_code_writes_is_granted(stage):
    policy = json.loads((ROOT / ".chalice" / f"policy-{stage}.json").read_text())
    granted: dict[str, set[str]] = {}
    for statement in policy["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) \
            else [statement["Action"]]
        resources = statement["Resource"] if isinstance(statement["Resource"], list) \
            else [statement["Resource"]]
        for resource in resources:
            match = re.search(r"notesbucket-\*/([a-z-]+)/\*$", resource)
            if match:
                granted.setdefault(match.group(1), set()).update(actions)
    prefixes = code_prefixes()
    assert {"notes", "uploads", "transcripts", "drafts", "exports"} <= prefixes
    missing = {prefix for prefix in prefixes
               if not {"s3:GetObject", "s3:PutObject"} <= granted.get(prefix, set())}
    assert missing == set()
    assert "s3:DeleteObject" in granted["uploads"]  # a deleted video leaves no upload
