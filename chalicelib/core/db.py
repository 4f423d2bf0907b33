"""DynamoDB helpers shared by every module: item conversion and paged queries.

The low-level client is used everywhere (transactions need it), so items are
converted here, in one place, between Python values and DynamoDB attributes.
"""
from __future__ import annotations

import datetime
import random
import time
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal
from typing import Any, cast

from chalicelib.core import aws, cursors


def backoff_seconds(attempt: int, *, base: float, cap: float) -> float:
    """The wait before retry `attempt` (0 first): "full jitter", a uniform draw up to
    base x 2^attempt and at most cap, so callers that collided do not retry in step."""
    return random.uniform(0.0, min(cap, base * 2 ** min(attempt, 16)))


def back_off(attempt: int, *, base: float, cap: float) -> None:
    time.sleep(backoff_seconds(attempt, base=base, cap=cap))


def now_iso() -> str:
    """UTC now as ISO-8601 with milliseconds and a Z: the stored form, sortable as a string."""
    return iso_from_epoch(datetime.datetime.now(datetime.UTC).timestamp())


def iso_from_epoch(seconds: float, millis: bool = True) -> str:
    """A moment as stored (with milliseconds, so all stored times sort as strings),
    or without them for display."""
    moment = datetime.datetime.fromtimestamp(seconds, tz=datetime.UTC)
    if not millis:
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _to_dynamo_value(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, dict):
        return {k: _to_dynamo_value(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_to_dynamo_value(v) for v in value]
    return value


def _from_dynamo_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _from_dynamo_value(v) for k, v in value.items()}
    if isinstance(value, (list, set, tuple)):
        return [_from_dynamo_value(v) for v in value]
    return value


def attr(value: Any) -> dict[str, Any]:
    """One Python value as a DynamoDB attribute value."""
    from boto3.dynamodb.types import TypeSerializer

    return cast(dict[str, Any], TypeSerializer().serialize(_to_dynamo_value(value)))


def to_item(data: Mapping[str, Any]) -> dict[str, Any]:
    """A Python dict as a DynamoDB item; None values are left out."""
    return {key: attr(value) for key, value in data.items() if value is not None}


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    """A DynamoDB item (attribute-value form) as a plain record."""
    from boto3.dynamodb.types import TypeDeserializer

    deserializer = TypeDeserializer()
    return {key: _from_dynamo_value(deserializer.deserialize(value))
            for key, value in item.items()}


def values(**named: Any) -> dict[str, Any]:
    """ExpressionAttributeValues from keyword arguments: values(u="x") -> {":u": ...}."""
    return {f":{name}": attr(value) for name, value in named.items()}


def get(table: str, key: dict[str, Any], consistent: bool = False) -> dict[str, Any] | None:
    response = aws.client("dynamodb").get_item(
        TableName=table, Key=to_item(key), ConsistentRead=consistent)
    item = response.get("Item")
    return from_item(item) if item is not None else None


def query_items(**params: Any) -> Iterator[dict[str, Any]]:
    """Every item a Query matches, decoded, fetched a page at a time as the caller reads
    on (stop reading and no further page is asked for)."""
    while True:
        response = aws.client("dynamodb").query(**params)
        yield from map(from_item, response.get("Items", []))
        if not response.get("LastEvaluatedKey"):
            return
        params = {**params, "ExclusiveStartKey": response["LastEvaluatedKey"]}


def transact(items: Iterable[dict[str, Any]]) -> None:
    aws.client("dynamodb").transact_write_items(TransactItems=list(items))


def cancellation_codes(exc: BaseException) -> list[str]:
    """Per-item reasons of a cancelled transaction ('None' where the item was fine)."""
    response = getattr(exc, "response", {}) or {}
    reasons = response.get("CancellationReasons") or []
    return [str(reason.get("Code", "None")) for reason in reasons]


def query_page(
    *,
    table: str,
    index: str,
    key_name: str,
    key_value: str,
    user_id: str,
    scope: str,
    limit: int,
    last_key: str | None,
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of an index, newest first, with a signed cursor for the next page.

    The cursor is bound to the user and to `scope` (the query it belongs to), so
    a cursor from another user or another filter is refused.
    """
    params: dict[str, Any] = {
        "TableName": table,
        "IndexName": index,
        "KeyConditionExpression": "#k = :k",
        "ExpressionAttributeNames": {"#k": key_name},
        "ExpressionAttributeValues": values(k=key_value),
        "ScanIndexForward": False,
        "Limit": limit,
    }
    if last_key:
        params["ExclusiveStartKey"] = cursors.decode(last_key, user_id=user_id, scope=scope)
    response = aws.client("dynamodb").query(**params)
    items = [from_item(item) for item in response.get("Items", [])]
    next_key = response.get("LastEvaluatedKey")
    cursor = cursors.encode(next_key, user_id=user_id, scope=scope) if next_key else None
    return items, cursor
