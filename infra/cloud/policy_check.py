"""Whether .chalice/policy-<stage>.json grants the functions what they need (step 4).

`required_grants` lists the (action, resource) pairs the functions use on the
resources the stack actually created; `missing_grants` names those the hand-written
policy does not allow (autogen_policy cannot see chalicelib).
"""
from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from typing import Any

from infra.cloud.stage_config import SECRET_OUTPUTS


def _matches(patterns: Any, value: str, *, case_sensitive: bool) -> bool:
    items = [patterns] if isinstance(patterns, str) else list(patterns or [])
    for pattern in items:
        if case_sensitive:
            if fnmatch.fnmatchcase(value, pattern):
                return True
        elif fnmatch.fnmatchcase(value.lower(), str(pattern).lower()):
            return True
    return False


def allows(policy: Mapping[str, Any], action: str, resource: str) -> bool:
    """Whether an identity policy allows `action` on `resource` (Allow statements
    with Action/Resource wildcards; no Deny, NotAction or Condition in ours)."""
    for statement in policy.get("Statement", []):
        if statement.get("Effect") != "Allow":
            continue
        if _matches(statement.get("Action"), action, case_sensitive=False) and _matches(
            statement.get("Resource"), resource, case_sensitive=True
        ):
            return True
    return False


def required_grants(outputs: Mapping[str, str]) -> list[tuple[str, str]]:
    """(action, resource ARN) pairs the functions need on the stack's resources."""
    grants: list[tuple[str, str]] = []
    item_actions = ("GetItem", "PutItem", "UpdateItem", "DeleteItem", "ConditionCheckItem",
                    "Query")
    for key in ("UsersTableArn", "VideosTableArn", "NotesTableArn",
                "CreditTransactionsTableArn", "CardsTableArn"):
        if key in outputs:
            grants += [(f"dynamodb:{action}", outputs[key]) for action in item_actions]
            grants.append(("dynamodb:Query", f"{outputs[key]}/index/AnyIndex"))
    bucket = outputs.get("NotesBucketArn") or (
        f"arn:aws:s3:::{outputs['NotesBucketName']}" if "NotesBucketName" in outputs else None)
    if bucket:
        grants.append(("s3:ListBucket", bucket))
        for prefix in ("notes", "exports", "transcripts", "drafts"):
            grants += [(f"s3:{action}", f"{bucket}/{prefix}/key")
                       for action in ("GetObject", "PutObject")]
        grants.append(("s3:DeleteObject", f"{bucket}/notes/key"))
    for key in ("VideoQueueArn", "DeadLetterQueueArn"):
        if key in outputs:
            grants += [(f"sqs:{action}", outputs[key])
                       for action in ("ReceiveMessage", "DeleteMessage", "GetQueueAttributes")]
    if "VideoQueueArn" in outputs:
        grants += [("sqs:SendMessage", outputs["VideoQueueArn"]),
                   ("sqs:ChangeMessageVisibility", outputs["VideoQueueArn"])]
    if "UserPoolArn" in outputs:
        grants += [(f"cognito-idp:{action}", outputs["UserPoolArn"]) for action in
                   ("SignUp", "ConfirmSignUp", "InitiateAuth", "ForgotPassword",
                    "ConfirmForgotPassword")]
    for key in SECRET_OUTPUTS:
        if key in outputs:
            grants.append(("secretsmanager:GetSecretValue", outputs[key]))
    return grants


def missing_grants(policy: Mapping[str, Any], outputs: Mapping[str, str]) -> list[str]:
    """What the stage's policy fails to grant on the resources the stack created."""
    return [f"{action} on {resource}" for action, resource in required_grants(outputs)
            if not allows(policy, action, resource)]
