"""The video processing queue (SQS). Delivery is at least once."""
from __future__ import annotations

import json

from chalicelib.core import aws, config


def enqueue(video_id: str, user_id: str, delay_seconds: int = 0) -> str:
    response = aws.client("sqs").send_message(
        QueueUrl=config.video_queue_url(),
        MessageBody=json.dumps({"video_id": video_id, "user_id": user_id}),
        DelaySeconds=delay_seconds,
    )
    return str(response["MessageId"])


def retry_later(receipt_handle: str, delay_seconds: int) -> None:
    """Make a message that failed transiently visible again after `delay_seconds`."""
    try:
        aws.client("sqs").change_message_visibility(
            QueueUrl=config.video_queue_url(), ReceiptHandle=receipt_handle,
            VisibilityTimeout=delay_seconds)
    except Exception:  # noqa: BLE001 - the queue's own timeout still brings it back
        pass
