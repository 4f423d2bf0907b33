"""The worker's SQS queue (the video queue): sending a message and bringing one back
sooner after a transient failure. Delivery is at least once. Videos
(chalicelib.videos.job_queue) and large exports (chalicelib.notes.export_jobs) ride it,
each with its own message shape."""
from __future__ import annotations

import json
from typing import Any

from chalicelib.core import aws, config


def send(body: dict[str, Any], delay_seconds: int = 0) -> str:
    response = aws.client("sqs").send_message(
        QueueUrl=config.video_queue_url(), MessageBody=json.dumps(body),
        DelaySeconds=delay_seconds)
    return str(response["MessageId"])


def decode(body: Any) -> dict[str, Any] | None:
    """A message body as sent: its JSON object, or None for anything else (the queue
    is shared, so each kind of job reads the body and checks its own shape)."""
    try:
        data = json.loads(body)
    except (TypeError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def retry_later(receipt_handle: str | None, delay_seconds: int) -> None:
    """Make a message that failed transiently visible again after `delay_seconds`."""
    if not receipt_handle:
        return
    try:
        aws.client("sqs").change_message_visibility(
            QueueUrl=config.video_queue_url(), ReceiptHandle=receipt_handle,
            VisibilityTimeout=delay_seconds)
    except Exception:  # noqa: BLE001 - the queue's own timeout still brings it back
        pass
