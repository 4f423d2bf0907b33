"""Runs the app's SQS handlers the way Lambda's event source mapping does.

`chalice local` runs no SQS handlers, so the local stack and the tests use this:
it long-polls a queue, hands each message to the same handler function Lambda
would call, in the same event shape (batch size 1), and deletes the message only
when the handler returned. A handler that raises leaves the message to SQS,
which redelivers it after its visibility timeout and, after maxReceiveCount,
moves it to the dead-letter queue.
"""
from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)


@dataclass
class LambdaContext:
    function_name: str
    aws_request_id: str
    memory_limit_in_mb: int = 1024

    def get_remaining_time_in_millis(self) -> int:
        return 900_000


def sqs_event(message: dict, queue_arn: str) -> dict:
    """An SQS message as Lambda's event source mapping delivers it."""
    return {"Records": [{
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": message.get("MessageAttributes", {}),
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": queue_arn.split(":")[3] if queue_arn.count(":") >= 5 else "us-east-1",
    }]}


def is_transient(exc: BaseException) -> bool:
    """One of the job's expected, retried errors (chalicelib.processing.job)."""
    from chalicelib.processing import job

    return isinstance(exc, job.TRANSIENT_ERRORS)


def describe(exc: BaseException, limit: int = 300) -> str:
    """`Type: message (cause: Type: message)`, bounded: one readable line."""
    def one(error: BaseException) -> str:
        text = " ".join(str(error).split())
        return f"{type(error).__name__}: {text[:limit]}" if text else type(error).__name__

    cause = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
    return one(exc) + (f" (cause: {one(cause)})" if cause is not None else "")


def drain(sqs: Any, queue_url: str) -> None:
    """Throw away every visible message (SQS allows one purge a minute): tests and
    benchmarks start from an empty queue."""
    while True:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10,
                                       VisibilityTimeout=0).get("Messages", [])
        if not messages:
            return
        sqs.delete_message_batch(QueueUrl=queue_url, Entries=[
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)])


def poll_once(sqs: Any, queue_url: str, handler: Callable[[dict, Any], Any],
              wait_seconds: int = 0, name: str = "worker") -> int:
    """Receive at most one message, run the handler, delete it if the handler returned.

    Returns how many messages the handler completed (0 or 1).
    """
    response = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=1,
                                   WaitTimeSeconds=wait_seconds, AttributeNames=["All"],
                                   MessageAttributeNames=["All"])
    messages = response.get("Messages", [])
    if not messages:
        return 0
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    message = messages[0]
    try:
        handler(sqs_event(message, arn), LambdaContext(name, str(uuid.uuid4())))
    except Exception as exc:  # as Lambda: the message stays for SQS to redeliver
        if is_transient(exc):
            # Expected (YouTube or the model busy), and already said in one line by the
            # job (chalicelib.processing.job): the cause and traceback at debug level only.
            log.debug("%s: %s; the message will be redelivered", name, describe(exc),
                      exc_info=True)
        else:
            log.exception("%s: handler failed; the message will be redelivered", name)
        return 0
    sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return 1
