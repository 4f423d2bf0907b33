"""The CloudFormation stack `study-buddy-<stage>`, created or updated (step 1).

Through a change set, as `aws cloudformation deploy` does: parameters not given keep
their deployed values (UsePreviousValue), a change set with no changes is not an
error, and a stack that failed to create or is busy is refused with what to do.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from typing import Any

from chalicelib.core import aws
from infra.cloud.stage_config import DeployError
from infra.template import loads_template

log = logging.getLogger("deploy")

CAPABILITIES = ["CAPABILITY_IAM"]


def change_set_parameters(
    template: Mapping[str, Any],
    given: Mapping[str, str],
    existing: Sequence[str] | None,
) -> list[dict[str, Any]]:
    """CloudFormation Parameters for a change set. A parameter not given keeps its
    deployed value (`existing`: the stack's parameter names, None for a new stack);
    on a new stack it takes the template default."""
    declared = template.get("Parameters") or {}
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise DeployError(f"unknown template parameters: {', '.join(unknown)}")
    parameters: list[dict[str, Any]] = []
    for name in declared:
        if name in given:
            parameters.append({"ParameterKey": name, "ParameterValue": str(given[name])})
        elif existing is not None and name in existing:
            parameters.append({"ParameterKey": name, "UsePreviousValue": True})
    return parameters


def stack_outputs(cloudformation: Any, name: str) -> dict[str, str]:
    stack = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
    return {item["OutputKey"]: item["OutputValue"] for item in stack.get("Outputs", [])}


def _existing_stack(cloudformation: Any, name: str) -> dict[str, Any] | None:
    try:
        return cloudformation.describe_stacks(StackName=name)["Stacks"][0]
    except Exception as exc:  # ClientError "does not exist"
        if aws.error_code(exc) == "ValidationError" and "does not exist" in str(exc):
            return None
        raise


def deploy_stack(
    cloudformation: Any,
    name: str,
    template_body: str,
    parameters: Mapping[str, str],
    *,
    tags: Mapping[str, str] | None = None,
    poll_seconds: float = 10.0,
) -> dict[str, str]:
    """Create or update the stack through a change set; its outputs.

    A change set with no changes is not an error (the stack is up to date)."""
    template = loads_template(template_body)
    stack = _existing_stack(cloudformation, name)
    if stack is not None and stack["StackStatus"] == "ROLLBACK_COMPLETE":
        raise DeployError(
            f"stack {name} failed to create and is in ROLLBACK_COMPLETE; delete it "
            "(retained tables and buckets stay) and deploy again")
    if stack is not None and stack["StackStatus"].endswith("_IN_PROGRESS"):
        raise DeployError(f"stack {name} is busy ({stack['StackStatus']}); try again later")
    existing = None if stack is None else [p["ParameterKey"] for p in stack.get("Parameters", [])]
    change_set = f"deploy-{time.strftime('%Y%m%d-%H%M%S')}"
    kind = "CREATE" if stack is None else "UPDATE"
    cloudformation.create_change_set(
        StackName=name,
        ChangeSetName=change_set,
        ChangeSetType=kind,
        TemplateBody=template_body,
        Parameters=change_set_parameters(template, parameters, existing),
        Capabilities=CAPABILITIES,
        Tags=[{"Key": k, "Value": v} for k, v in (tags or {}).items()],
    )
    waiter_config = {"Delay": poll_seconds, "MaxAttempts": int(3600 / max(poll_seconds, 0.1))}
    try:
        cloudformation.get_waiter("change_set_create_complete").wait(
            StackName=name, ChangeSetName=change_set, WaiterConfig=waiter_config)
    except Exception as exc:  # WaiterError: look at the change set
        described = cloudformation.describe_change_set(StackName=name, ChangeSetName=change_set)
        reason = described.get("StatusReason") or str(exc)
        if "didn't contain changes" in reason or "No updates are to be performed" in reason:
            log.info("stack %s is up to date", name)
            cloudformation.delete_change_set(StackName=name, ChangeSetName=change_set)
            return stack_outputs(cloudformation, name)
        raise DeployError(f"change set {change_set} failed: {reason}") from exc
    log.info("%s stack %s", "creating" if kind == "CREATE" else "updating", name)
    cloudformation.execute_change_set(StackName=name, ChangeSetName=change_set)
    waiter = "stack_create_complete" if kind == "CREATE" else "stack_update_complete"
    try:
        cloudformation.get_waiter(waiter).wait(StackName=name, WaiterConfig=waiter_config)
    except Exception as exc:  # WaiterError: report the stack status
        status = _existing_stack(cloudformation, name)
        raise DeployError(
            f"stack {name} did not deploy: {status and status.get('StackStatus')} "
            f"{status and status.get('StackStatusReason') or ''}".strip()) from exc
    return stack_outputs(cloudformation, name)
