"""SQS queues, created or reused by name, their attributes converged (FifoQueue is
fixed at creation).
"""
from __future__ import annotations

import json
import logging
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.core import aws
from infra.local.resources.base import PhysicalResource, Resource, Target

log = logging.getLogger("infra.local.provision")


def queue(target: Target, resource: Resource) -> PhysicalResource:
    """The queue of that name (".fifo" added for a FIFO queue), created or converged."""
    sqs = target.client("sqs")
    props = resource.properties
    name = target.name(resource, "QueueName")
    if props.get("FifoQueue") and not name.endswith(".fifo"):
        name += ".fifo"
    valid = set(sqs.meta.service_model.shape_for("QueueAttributeName").enum)
    attributes: dict[str, str] = {}
    for key, value in props.items():
        if key in ("QueueName", "Tags"):
            continue
        if key not in valid:
            log.debug("%s: property %s is not applied locally", resource.logical_id, key)
            continue
        attributes[key] = _sqs_attribute(value)

    try:
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    except ClientError as exc:
        if aws.error_code(exc) not in (
            "AWS.SimpleQueueService.NonExistentQueue",
            "QueueDoesNotExist",
        ):
            raise
        request: dict[str, Any] = {"QueueName": name, "Attributes": attributes}
        if props.get("Tags"):
            request["tags"] = {tag["Key"]: tag["Value"] for tag in props["Tags"]}
        url = sqs.create_queue(**request)["QueueUrl"]
        log.debug("%s: created queue %s", resource.logical_id, name)
    else:
        log.debug("%s: reusing queue %s", resource.logical_id, name)
        # FifoQueue is fixed at creation; everything else can be converged.
        mutable = {k: v for k, v in attributes.items() if k != "FifoQueue"}
        if mutable:
            sqs.set_queue_attributes(QueueUrl=url, Attributes=mutable)

    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    return PhysicalResource(url, {"Arn": arn, "QueueName": name, "QueueUrl": url})


def _sqs_attribute(value: Any) -> str:
    # SQS attributes are strings; CFN lets RedrivePolicy be a JSON object.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    return str(value)
