"""infra/: the template, the provisioner and the local emulator."""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from infra.local.emulator import Emulator
from infra.local.provision import provision
from infra.template import (
    NO_VALUE,
    CfnError,
    Resolver,
    creation_order,
    load_template,
    loads_template,
)

REGION = "us-east-1"
OUTPUT_KEYS = {
    "UserPoolId", "UserPoolArn", "UserPoolClientId", "UsersTableName", "VideosTableName",
    "NotesTableName", "CreditTransactionsTableName", "NotesBucketName", "VideoQueueUrl",
    "VideoQueueArn", "DeadLetterQueueUrl", "DeadLetterQueueArn",
    "Stage", "Region", "AllowedOrigins", "UserPoolProviderUrl", "UsersTableArn",
    "VideosTableArn", "NotesTableArn", "CreditTransactionsTableArn", "NotesBucketArn",
    "VideoQueueName", "DeadLetterQueueName", "DeployStateBucketName",
    "CardsTableName", "CardsTableArn", "CoursesTableName", "CoursesTableArn",
}
# Outputs of resources the emulator does not provision (skipped locally).
AWS_ONLY_OUTPUT_KEYS = {
    "HostedUiDomain", "HostedUiUrl", "IdentityPoolId", "AuthenticatedRoleArn",
    "AnthropicApiKeySecretArn", "StripeSecretKeySecretArn", "StripeWebhookSecretArn",
    "PaginationSecretArn", "ProxySecretArn", "AlarmTopicArn",
    "WebBucketName", "WebDistributionId", "WebUrl",  # only with WebClient=true
    "ApiAccessLogGroupArn", "DashboardName",
}


@pytest.fixture(scope="module", autouse=True)
def aws_env() -> Iterator[None]:
    # Module scope, so that the module-scoped fixtures below see it too.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_ACCESS_KEY_ID", "testing")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        patch.setenv("AWS_DEFAULT_REGION", REGION)
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
            patch.delenv(name, raising=False)
        yield


@pytest.fixture(scope="module")
def emulator(aws_env: None) -> Iterator[Emulator]:
    with Emulator(port=0) as running:
        yield running


@pytest.fixture(scope="module")
def outputs(emulator: Emulator) -> dict[str, str]:
    return provision("local", REGION, endpoint_url=emulator.url)


def client(emulator: Emulator, service: str) -> Any:
    return boto3.session.Session().client(
        service, region_name=REGION, endpoint_url=emulator.url
    )


# -- template and resolver -----------------------------------------------------


def test_template_loads_short_form_tags() -> None:
    template = load_template()
    assert template["AWSTemplateFormatVersion"] == "2010-09-09"
    queue = template["Resources"]["VideoQueue"]["Properties"]
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {
        "Fn::GetAtt": ["VideoDeadLetterQueue", "Arn"]
    }
    assert queue["QueueName"] == {"Fn::Sub": "study-buddy-${Stage}-videos"}
    assert set(template["Outputs"]) == OUTPUT_KEYS | AWS_ONLY_OUTPUT_KEYS


def test_resolver_conditions_and_functions() -> None:
    template = load_template()
    values = {("VideoDeadLetterQueue", "Arn"): "arn:dlq", ("UsersTable", None): "users"}
    prod = Resolver(template, {"Stage": "prod"}, lookup=lambda r, a: values[(r, a)])
    dev = Resolver(template, {})  # the default stage is dev
    assert prod.condition("IsProd") and not dev.condition("IsProd")

    table = template["Resources"]["UsersTable"]["Properties"]
    assert prod.resolve(table["PointInTimeRecoverySpecification"]) == {
        "PointInTimeRecoveryEnabled": True
    }
    assert dev.resolve(table["PointInTimeRecoverySpecification"]) is NO_VALUE
    assert "PointInTimeRecoverySpecification" not in dev.resolve(table)
    assert dev.resolve(table["TableName"]) == "study-buddy-dev-users"
    text = "${AWS::Region}:${UsersTable}:${VideoDeadLetterQueue.Arn}"
    assert prod.resolve({"Fn::Sub": text}) == "us-east-1:users:arn:dlq"
    assert dev.resolve({"Ref": "AllowedOrigins"}) == ["http://localhost:3000"]
    assert dev.resolve({"Fn::Join": ["-", {"Fn::Split": [",", "a,b"]}]}) == "a-b"
    assert dev.resolve({"Fn::Select": [1, ["x", "y"]]}) == "y"
    assert dev.resolve({"Fn::Sub": "${!Literal}"}) == "${Literal}"
    with pytest.raises(CfnError):
        Resolver(template, {"Stage": "qa"})  # not a stage of the template


def test_creation_order_respects_dependencies() -> None:
    order = creation_order(load_template())
    assert order.index("VideoDeadLetterQueue") < order.index("VideoQueue")
    assert order.index("UserPool") < order.index("UserPoolClient")


# -- provisioning --------------------------------------------------------------


def test_provision_is_idempotent(emulator: Emulator, outputs: dict[str, str]) -> None:
    assert set(outputs) == OUTPUT_KEYS
    assert outputs["NotesBucketName"] == "study-buddy-local-notes"
    assert outputs["UsersTableName"] == "study-buddy-local-users"
    # Drift that a re-run repairs: a dropped index, a changed app client.
    dynamodb, cognito = client(emulator, "dynamodb"), client(emulator, "cognito-idp")
    dynamodb.update_table(
        TableName=outputs["NotesTableName"],
        GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "UserTitleIndex"}}],
    )
    cognito.update_user_pool_client(
        UserPoolId=outputs["UserPoolId"], ClientId=outputs["UserPoolClientId"],
        ReadAttributes=["email"],
    )

    again = provision("local", REGION, endpoint_url=emulator.url)
    assert again == outputs
    pools = cognito.list_user_pools(MaxResults=60)["UserPools"]
    assert [p["Name"] for p in pools].count("study-buddy-local-users") == 1
    notes = dynamodb.describe_table(TableName=outputs["NotesTableName"])["Table"]
    assert "UserTitleIndex" in {i["IndexName"] for i in notes["GlobalSecondaryIndexes"]}
    app = cognito.describe_user_pool_client(
        UserPoolId=outputs["UserPoolId"], ClientId=outputs["UserPoolClientId"]
    )["UserPoolClient"]
    assert set(app["ReadAttributes"]) == {"email", "email_verified", "name"}


def test_provision_drops_an_index_the_template_no_longer_has(
    emulator: Emulator, outputs: dict[str, str]
) -> None:
    # A table saved before the template replaced StatusIndex with InFlightIndex.
    dynamodb = client(emulator, "dynamodb")
    name = outputs["VideosTableName"]
    dynamodb.update_table(
        TableName=name,
        GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "InFlightIndex"}}],
    )
    dynamodb.update_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"}
                              for key in ("video_id", "status", "created_at")],
        GlobalSecondaryIndexUpdates=[{"Create": {
            "IndexName": "StatusIndex",
            "KeySchema": [{"AttributeName": "status", "KeyType": "HASH"},
                          {"AttributeName": "created_at", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "ALL"},
        }}],
    )

    assert provision("local", REGION, endpoint_url=emulator.url) == outputs
    table = dynamodb.describe_table(TableName=name)["Table"]
    indexes = {i["IndexName"]: i for i in table["GlobalSecondaryIndexes"]}
    assert set(indexes) == {"UserVideosIndex", "InFlightIndex", "UserStatusIndex"}
    assert indexes["InFlightIndex"]["KeySchema"] == [
        {"AttributeName": "in_flight", "KeyType": "HASH"},
        {"AttributeName": "stuck_after", "KeyType": "RANGE"},
    ]
    assert indexes["InFlightIndex"]["Projection"] == {"ProjectionType": "KEYS_ONLY"}


def test_provision_honours_aws_endpoint_url(
    emulator: Emulator, outputs: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", emulator.url)
    assert provision("local") == outputs


def test_tables_have_their_indexes(emulator: Emulator, outputs: dict[str, str]) -> None:
    dynamodb = client(emulator, "dynamodb")
    expected = {
        "UsersTableName": {"EmailIndex"},
        "VideosTableName": {"UserVideosIndex", "InFlightIndex", "UserStatusIndex"},
        "NotesTableName": {
            "VideoNotesIndex", "UserNotesIndex", "UserCategoryIndex", "UserTitleIndex"
        },
        "CreditTransactionsTableName": {"UserTransactionsIndex", "TransactionTypeIndex"},
    }
    for output, indexes in expected.items():
        table = dynamodb.describe_table(TableName=outputs[output])["Table"]
        assert {i["IndexName"] for i in table["GlobalSecondaryIndexes"]} == indexes
        assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    videos = dynamodb.describe_table(TableName=outputs["VideosTableName"])["Table"]
    by_name = {i["IndexName"]: i["KeySchema"] for i in videos["GlobalSecondaryIndexes"]}
    assert by_name["UserVideosIndex"] == [
        {"AttributeName": "user_id", "KeyType": "HASH"},
        {"AttributeName": "created_at", "KeyType": "RANGE"},
    ]
    ttl = dynamodb.describe_time_to_live(TableName=outputs["VideosTableName"])
    assert ttl["TimeToLiveDescription"]["AttributeName"] == "expires_at"


def test_queue_redrives_to_the_dead_letter_queue(
    emulator: Emulator, outputs: dict[str, str]
) -> None:
    attributes = client(emulator, "sqs").get_queue_attributes(
        QueueUrl=outputs["VideoQueueUrl"], AttributeNames=["All"]
    )["Attributes"]
    redrive = json.loads(attributes["RedrivePolicy"])
    assert redrive["deadLetterTargetArn"] == outputs["DeadLetterQueueArn"]
    assert int(redrive["maxReceiveCount"]) == 3
    assert attributes["VisibilityTimeout"] == "5400"
    assert attributes["MessageRetentionPeriod"] == "1209600"
    assert attributes["QueueArn"] == outputs["VideoQueueArn"]


def test_bucket_is_private_and_encrypted(emulator: Emulator, outputs: dict[str, str]) -> None:
    s3 = client(emulator, "s3")
    bucket = outputs["NotesBucketName"]
    rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(block.values()) and len(block) == 4
    cors = s3.get_bucket_cors(Bucket=bucket)["CORSRules"]
    assert cors[0]["AllowedOrigins"] == ["http://localhost:3000"]
    assert sorted(cors[0]["AllowedMethods"]) == ["GET", "HEAD"]
    assert s3.get_bucket_versioning(Bucket=bucket).get("Status") != "Enabled"


def test_user_pool_settings_and_jwks(emulator: Emulator, outputs: dict[str, str]) -> None:
    cognito = client(emulator, "cognito-idp")
    pool = cognito.describe_user_pool(UserPoolId=outputs["UserPoolId"])["UserPool"]
    assert pool["Policies"]["PasswordPolicy"] == {
        "MinimumLength": 8,
        "RequireUppercase": True,
        "RequireLowercase": True,
        "RequireNumbers": True,
        "RequireSymbols": True,
    }
    assert pool["UsernameAttributes"] == ["email"]
    assert pool["Arn"] == outputs["UserPoolArn"]
    app = cognito.describe_user_pool_client(
        UserPoolId=outputs["UserPoolId"], ClientId=outputs["UserPoolClientId"]
    )["UserPoolClient"]
    assert "ClientSecret" not in app
    assert "ALLOW_USER_PASSWORD_AUTH" in app["ExplicitAuthFlows"]

    jwks = requests.get(
        f"{emulator.url}/{outputs['UserPoolId']}/.well-known/jwks.json", timeout=5
    ).json()
    assert jwks["keys"] and jwks["keys"][0]["kty"] == "RSA"


def test_unknown_resource_types_are_skipped(emulator: Emulator, tmp_path: Any) -> None:
    text = """
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Stage: {Type: String, Default: local}
Resources:
  Alerts:
    Type: AWS::SNS::Topic
  Jobs:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Sub "skip-test-${Stage}"
  Alarm:
    Type: AWS::CloudWatch::Alarm
    Properties:
      AlarmActions: [!Ref Alerts]
      Dimensions: [{Name: QueueName, Value: !GetAtt Jobs.QueueName}]
Outputs:
  JobsUrl: {Value: !Ref Jobs}
  AlertsArn: {Value: !Ref Alerts}
"""
    path = tmp_path / "template.yaml"
    path.write_text(text)
    loads_template(text)
    result = provision("local", REGION, endpoint_url=emulator.url, template_path=path)
    assert result == {"JobsUrl": result["JobsUrl"]}
    assert result["JobsUrl"].endswith("/skip-test-local")


# -- the emulator ----------------------------------------------------------------


def _race_for_credits(shared: Any, table: str, key: str, threads: int = 20) -> list[str]:
    """`threads` concurrent "spend one credit if any is left"; their outcomes."""
    results: list[str] = []
    barrier = threading.Barrier(threads)

    def spend() -> None:
        barrier.wait()
        try:
            shared.update_item(
                TableName=table,
                Key={"id": {"S": key}},
                UpdateExpression="SET credits = credits - :one",
                ConditionExpression="credits >= :one",
                ExpressionAttributeValues={":one": {"N": "1"}},
            )
            results.append("ok")
        except ClientError as exc:
            results.append(exc.response["Error"]["Code"])

    workers = [threading.Thread(target=spend) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
    return results


def test_conditional_updates_are_atomic(emulator: Emulator) -> None:
    """20 concurrent conditional decrements of a counter of 3: exactly 3 succeed."""
    dynamodb = client(emulator, "dynamodb")
    table = "infra-test-counter"
    dynamodb.create_table(
        TableName=table,
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    # boto3 clients are thread-safe; a pool of 20 lets every request go at once.
    shared = boto3.session.Session().client(
        "dynamodb",
        region_name=REGION,
        endpoint_url=emulator.url,
        config=Config(max_pool_connections=20, retries={"max_attempts": 1}),
    )
    # The emulator runs in this process: very frequent thread switches make an
    # unserialised read-check-write in moto interleave. Without the emulator's
    # lock most runs of these rounds hand out a 4th (or 5th) credit.
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for round_number in range(5):
            key = f"user-{round_number}"
            dynamodb.put_item(TableName=table, Item={"id": {"S": key}, "credits": {"N": "3"}})
            results = _race_for_credits(shared, table, key)
            assert results.count("ok") == 3, results
            assert results.count("ConditionalCheckFailedException") == 17, results
            item = dynamodb.get_item(TableName=table, Key={"id": {"S": key}})["Item"]
            assert item["credits"] == {"N": "0"}
    finally:
        sys.setswitchinterval(interval)


def test_emulator_stops_and_frees_its_port() -> None:
    emulator = Emulator(port=0).start()
    url = emulator.url
    assert requests.get(f"{url}/moto-api/", timeout=5).status_code == 200
    emulator.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{url}/moto-api/", timeout=2)
