"""DynamoDB tables, created or reused by name and converged: indexes added or dropped
as the template moves on, time to live, point-in-time recovery.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.core import aws
from infra.local.resources.base import PhysicalResource, ProvisionError, Resource, Target, rename

log = logging.getLogger("infra.local.provision")


def table(target: Target, resource: Resource) -> PhysicalResource:
    """The table of that name, created (and waited for) or converged."""
    dynamodb = target.client("dynamodb")
    props = resource.properties
    name = target.name(resource, "TableName")
    try:
        table = dynamodb.describe_table(TableName=name)["Table"]
        log.debug("%s: reusing table %s", resource.logical_id, name)
        _converge_indexes(target, resource, name, table)
    except ClientError as exc:
        if aws.error_code(exc) != "ResourceNotFoundException":
            raise
        request = target.api_request(
            resource,
            "dynamodb",
            "CreateTable",
            _table_request(props, name),
            handled=("TimeToLiveSpecification", "PointInTimeRecoverySpecification"),
        )
        dynamodb.create_table(**request)
        dynamodb.get_waiter("table_exists").wait(
            TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 120}
        )
        table = dynamodb.describe_table(TableName=name)["Table"]
        log.debug("%s: created table %s", resource.logical_id, name)

    ttl = props.get("TimeToLiveSpecification")
    if ttl:
        _converge_ttl(target, name, ttl)
    pitr = props.get("PointInTimeRecoverySpecification")
    if pitr:
        # Idempotent on AWS and moto alike.
        dynamodb.update_continuous_backups(
            TableName=name, PointInTimeRecoverySpecification=pitr
        )
    attributes = {"Arn": table["TableArn"]}
    if table.get("LatestStreamArn"):
        attributes["StreamArn"] = table["LatestStreamArn"]
    return PhysicalResource(name, attributes)


def _converge_indexes(
    target: Target, resource: Resource, name: str, table: Mapping[str, Any]
) -> None:
    """A reused table gets the GSIs added to the template since it was created,
    and loses those the template dropped (local data survives restarts, the
    template moves on). Items the new indexes need keys on are given them as
    the saved state loads (infra.local.emulator_state)."""
    dynamodb = target.client("dynamodb")
    present = {index["IndexName"] for index in table.get("GlobalSecondaryIndexes", [])}
    wanted = _table_request(resource.properties, name).get("GlobalSecondaryIndexes", [])
    for index in wanted:
        if index["IndexName"] in present:
            continue
        # AWS allows one index creation or deletion per UpdateTable call.
        dynamodb.update_table(
            TableName=name,
            AttributeDefinitions=resource.properties["AttributeDefinitions"],
            GlobalSecondaryIndexUpdates=[{"Create": index}],
        )
        _wait_for_index(target, name, index["IndexName"])
        log.debug("%s: added index %s", resource.logical_id, index["IndexName"])
    for index_name in sorted(present - {index["IndexName"] for index in wanted}):
        dynamodb.update_table(
            TableName=name, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": index_name}}]
        )
        _wait_for_index(target, name, index_name, gone=True)
        log.debug("%s: deleted index %s", resource.logical_id, index_name)


def _wait_for_index(
    target: Target, table_name: str, index_name: str, timeout: float = 600, *, gone: bool = False
) -> None:
    dynamodb = target.client("dynamodb")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        table = dynamodb.describe_table(TableName=table_name)["Table"]
        statuses = {
            index["IndexName"]: index.get("IndexStatus", "ACTIVE")
            for index in table.get("GlobalSecondaryIndexes", [])
        }
        if statuses.get(index_name) == (None if gone else "ACTIVE"):
            return
        time.sleep(2)
    wanted = "go away" if gone else "become ACTIVE"
    raise ProvisionError(f"index {index_name} of {table_name} did not {wanted}")


def _converge_ttl(target: Target, name: str, ttl: Mapping[str, Any]) -> None:
    dynamodb = target.client("dynamodb")
    current = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    enabled = current.get("TimeToLiveStatus") in ("ENABLED", "ENABLING")
    same_attribute = current.get("AttributeName") == ttl["AttributeName"]
    if bool(ttl.get("Enabled")) == enabled and (same_attribute or not enabled):
        return  # AWS rejects a TTL update that changes nothing.
    dynamodb.update_time_to_live(
        TableName=name,
        TimeToLiveSpecification={
            "AttributeName": ttl["AttributeName"],
            "Enabled": bool(ttl.get("Enabled")),
        },
    )


def _table_request(props: Mapping[str, Any], name: str) -> dict[str, Any]:
    request = dict(props, TableName=name)
    request.pop("TimeToLiveSpecification", None)
    request.pop("PointInTimeRecoverySpecification", None)
    if "GlobalSecondaryIndexes" in props:
        # ContributorInsightsSpecification exists on the CFN index only.
        request["GlobalSecondaryIndexes"] = [
            {k: v for k, v in index.items() if k != "ContributorInsightsSpecification"}
            for index in props["GlobalSecondaryIndexes"]
        ]
    if "SSESpecification" in props:
        request["SSESpecification"] = rename(props["SSESpecification"], {"SSEEnabled": "Enabled"})
    if "StreamSpecification" in props:
        request["StreamSpecification"] = dict(props["StreamSpecification"], StreamEnabled=True)
    return request
