"""The cleanup reads a sparse index of the videos in flight (docs/DESIGN.md section 5):
a video carries InFlightIndex's keys only while it is queued or processing, so a
finished video costs the cleanup nothing and no index partition holds every video ever
made; and a local state saved under the old StatusIndex is migrated, its stuck videos
still found."""
from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.core import aws, config, db
from chalicelib.processing import cleanup
from chalicelib.videos import lifecycle, video_store
from infra.local import emulator_state
from infra.local.provision import provision
from testkit.lectures import lecture
from tests.conftest import REGION, ledger_total
from tests.processing.test_job_guards import force, raw
from tests.processing.test_pipeline import (  # noqa: F401  (fixtures)
    drain,
    submit,
    video_of,
    work,
    youtube,
)

KEYS = ("in_flight", "stuck_after")


def index_keys(record: dict) -> dict:
    return {key: record[key] for key in KEYS if key in record}


class Reads:
    """What reaches DynamoDB through the app's client: InFlightIndex queries (the index
    items they read) and single-item reads."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.queries = 0
        self.index_items: list[str] = []  # video ids read from the index
        self.scanned = 0  # what DynamoDB read to answer (what a query is billed for)
        self.gets = 0


@pytest.fixture
def reads(monkeypatch) -> Reads:
    counted = Reads()
    real = aws.client

    class Counting:
        def __init__(self, inner: Any) -> None:
            self.inner = inner

        def query(self, **params: Any) -> dict:
            response = self.inner.query(**params)
            if params.get("IndexName") == "InFlightIndex":
                counted.queries += 1
                counted.scanned += response.get("ScannedCount", 0)
                counted.index_items += [item["video_id"]["S"] for item in response["Items"]]
            return response

        def get_item(self, **params: Any) -> dict:
            counted.gets += 1
            return self.inner.get_item(**params)

        def __getattr__(self, name: str) -> Any:
            return getattr(self.inner, name)

    monkeypatch.setattr(aws, "client", lambda service: Counting(real(service))
                        if service == "dynamodb" else real(service))
    return counted


def put_video(user_id: str, status: str, stuck_after: float | None = None,
              **fields: Any) -> str:
    """A video record as the video store leaves one in `status` (in flight: stuck
    after `stuck_after`)."""
    video_id = uuid.uuid4().hex
    keys = {} if stuck_after is None else video_store.in_flight(video_id, stuck_after)
    aws.client("dynamodb").put_item(TableName=config.videos_table(), Item=db.to_item({
        "video_id": video_id, "user_id": user_id, "youtube_video_id": "dQw4w9WgXcQ",
        "status": status, "user_status": video_store.user_status(user_id, status),
        "created_at": db.now_iso(), "progress": 100 if status == "completed" else 0,
        **keys, **fields}))
    return video_id


def past_deadline(now: float) -> set[str]:
    """Every video in flight and past its deadline, as the test sees the table (a scan)."""
    found, start = set(), None
    while True:
        params: dict[str, Any] = {"TableName": config.videos_table()}
        if start:
            params["ExclusiveStartKey"] = start
        page = aws.client("dynamodb").scan(**params)
        found |= {item["video_id"]["S"] for item in page["Items"]
                  if "in_flight" in item and float(item["stuck_after"]["N"]) < now}
        start = page.get("LastEvaluatedKey")
        if not start:
            return found


# -- the keys: set while in flight, removed in the write that ends the video ----------------

def test_only_a_video_in_flight_carries_the_index_keys(client, stack, user, youtube):
    completed = submit(client, user, youtube.add(lecture(10)))["video_id"]
    queued = raw(completed)
    assert 0 <= queued["in_flight"] < video_store.IN_FLIGHT_SHARDS
    assert abs(queued["stuck_after"] - (time.time() + cleanup.QUEUED_DEADLINE_SECONDS)) < 60
    assert work(stack) == 1
    assert video_of(client, user, completed)["status"] == "completed"
    assert index_keys(raw(completed)) == {}

    failed = submit(client, user, youtube.add(lecture(10, playability="unavailable")))
    assert "in_flight" in raw(failed["video_id"])
    assert work(stack) == 1
    assert raw(failed["video_id"])["status"] == "failed"
    assert index_keys(raw(failed["video_id"])) == {}

    video_id = submit(client, user, youtube.add(lecture(10)))["video_id"]
    drain(stack["VideoQueueUrl"])
    claimed = lifecycle.claim(raw(video_id))
    assert claimed is not None and claimed["stuck_after"] == claimed["lease_until"]
    assert claimed["in_flight"] == video_store.in_flight(video_id, 0)["in_flight"]
    lifecycle.wait_for_retry(claimed, 300, "Waiting")
    waiting = raw(video_id)
    assert waiting["stuck_after"] == waiting["lease_until"] > time.time() + 300
    now = time.time() + 2 * video_store.LEASE_SECONDS
    assert lifecycle.requeue(waiting, now)
    requeued = raw(video_id)
    assert requeued["status"] == "queued" and "lease_until" not in requeued
    assert requeued["stuck_after"] == int(now + cleanup.QUEUED_DEADLINE_SECONDS)
    assert lifecycle.fail(requeued, *cleanup.TIMED_OUT, unless=lambda current: False)
    assert index_keys(raw(video_id)) == {}
    assert ledger_total(client, user) == (2, 2)  # the completed video's credit only


def test_the_shard_spreads_videos_over_the_index_partitions():
    shards = {video_store.in_flight(uuid.uuid4().hex, 0)["in_flight"] for _ in range(200)}
    assert shards == set(range(video_store.IN_FLIGHT_SHARDS))


# -- what the cleanup reads ---------------------------------------------------------------

@pytest.fixture
def written() -> Iterator[list[str]]:
    """Video records a test writes itself, deleted after it (no later cleanup finds them)."""
    video_ids: list[str] = []
    yield video_ids
    for video_id in video_ids:
        aws.client("dynamodb").delete_item(TableName=config.videos_table(),
                                           Key=db.to_item({"video_id": video_id}))


def test_finished_videos_cost_the_cleanup_nothing(stack, user, reads, written):
    now = time.time()
    stuck = [put_video(user["user_id"], "processing", 1, lease_until=1, attempt_id="crashed")
             for _ in range(5)]
    live = put_video(user["user_id"], "processing", now + 600, lease_until=int(now) + 600,
                     attempt_id="running")
    written += [*stuck, live]
    expected = past_deadline(now)
    assert set(stuck) <= expected and live not in expected

    def read() -> tuple[set[str], int, int]:
        reads.reset()
        found = {record["video_id"] for record in video_store.stuck_candidates(now, 2)}
        return found, reads.scanned, reads.gets

    before = read()
    assert before[0] == expected  # everything past its deadline, across every shard
    assert sorted(reads.index_items) == sorted(expected)  # and nothing else
    assert reads.scanned == len(expected) == reads.gets
    assert reads.queries >= video_store.IN_FLIGHT_SHARDS  # one per shard, more per page

    finished = [put_video(user["user_id"], status, completed_at=db.now_iso())
                for status in ("completed", "failed") for _ in range(150)]
    written += finished
    assert read() == before  # 300 more finished videos: not one more item read
    assert not set(reads.index_items) & set(finished)


def test_the_cleanup_rescues_what_is_past_its_deadline_and_leaves_the_rest(
        client, stack, user, youtube):
    crashed = submit(client, user, youtube.add(lecture(10)))["video_id"]
    fresh = submit(client, user, youtube.add(lecture(10)))["video_id"]
    drain(stack["VideoQueueUrl"])  # the messages were lost
    claimed = lifecycle.claim(raw(crashed))
    assert claimed is not None
    force(crashed, lease_until=1, stuck_after=1)  # its worker died long ago
    counts = cleanup.cleanup()
    assert counts["requeued"] >= 1
    assert raw(crashed)["status"] == "queued" and raw(crashed)["requeued"] == 1
    assert raw(fresh)["status"] == "queued" and "requeued" not in raw(fresh)
    drain(stack["VideoQueueUrl"])
    later = time.time() + 2 * cleanup.QUEUED_DEADLINE_SECONDS
    cleanup.cleanup(now=later)  # lost again: failed and refunded; `fresh` requeued
    assert raw(crashed)["status"] == "failed" and index_keys(raw(crashed)) == {}
    assert raw(fresh)["requeued"] == 1 and raw(fresh)["stuck_after"] > later
    drain(stack["VideoQueueUrl"])


# -- a local state saved under StatusIndex --------------------------------------------------

@pytest.fixture
def emulator_kept(tmp_path_factory):
    """Whatever the test does to the emulator's state is undone after it."""
    saved = tmp_path_factory.mktemp("kept") / "emulator-state.pickle"
    emulator_state.save(saved)
    try:
        yield
    finally:
        assert emulator_state.load(saved)


def old_schema(table: str) -> None:
    """The videos table as it was before InFlightIndex: StatusIndex(status, created_at),
    and no video carrying the in-flight keys."""
    dynamodb = aws.client("dynamodb")
    dynamodb.update_table(TableName=table, GlobalSecondaryIndexUpdates=[
        {"Delete": {"IndexName": "InFlightIndex"}}])
    dynamodb.update_table(
        TableName=table,
        AttributeDefinitions=[{"AttributeName": name, "AttributeType": "S"}
                              for name in ("video_id", "user_id", "status", "user_status",
                                           "created_at")],
        GlobalSecondaryIndexUpdates=[{"Create": {
            "IndexName": "StatusIndex",
            "KeySchema": [{"AttributeName": "status", "KeyType": "HASH"},
                          {"AttributeName": "created_at", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "ALL"}}}])
    start = None
    while True:
        page = dynamodb.scan(TableName=table, **({"ExclusiveStartKey": start} if start else {}))
        for item in page["Items"]:
            if "in_flight" in item:
                dynamodb.update_item(TableName=table, Key={"video_id": item["video_id"]},
                                     UpdateExpression="REMOVE in_flight, stuck_after")
        start = page.get("LastEvaluatedKey")
        if not start:
            return


def index_names(table: str) -> set[str]:
    described = aws.client("dynamodb").describe_table(TableName=table)["Table"]
    return {index["IndexName"] for index in described["GlobalSecondaryIndexes"]}


def test_a_state_saved_with_status_index_is_migrated_and_its_stuck_videos_found(
        client, stack, user, youtube, tmp_path, emulator_kept):
    table = stack["VideosTableName"]
    done = submit(client, user, youtube.add(lecture(10)))["video_id"]
    assert work(stack) == 1
    queued = submit(client, user, youtube.add(lecture(10)))["video_id"]
    crashed = submit(client, user, youtube.add(lecture(10)))["video_id"]
    drain(stack["VideoQueueUrl"])  # the messages were lost
    force(queued, created_at=db.iso_from_epoch(time.time() - 2 * 3600))
    force(crashed, status="processing", user_status=f"{user['user_id']}#processing",
          lease_until=1, attempt_id="crashed-attempt")
    old_schema(table)
    assert index_names(table) == {"UserVideosIndex", "StatusIndex", "UserStatusIndex"}
    assert not any("in_flight" in raw(video) for video in (done, queued, crashed))
    state = tmp_path / "emulator-state.pickle"
    emulator_state.save(state)

    assert emulator_state.load(state)  # what `make run` does first on a restart
    assert index_keys(raw(done)) == {}
    assert raw(crashed)["stuck_after"] == 1
    assert raw(queued)["stuck_after"] == pytest.approx(time.time() - 3600, abs=60)
    assert emulator_state.upgrade_videos() == 0  # once only
    provision("local", region=REGION, endpoint_url=stack["endpoint"])  # ...and then
    assert index_names(table) == {"UserVideosIndex", "InFlightIndex", "UserStatusIndex"}

    counts = cleanup.cleanup()
    assert counts["requeued"] >= 2
    for video_id in (queued, crashed):
        assert raw(video_id)["status"] == "queued" and raw(video_id)["requeued"] == 1
    assert raw(done)["status"] == "completed"
    drain(stack["VideoQueueUrl"])
