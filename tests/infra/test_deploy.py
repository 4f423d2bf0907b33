"""The deploy side, offline: `make deploy` (infra/cloud/deploy.py), the Chalice config
and policies, `make package` (infra/cloud/package_check.py) and the CI workflows.

No AWS account exists here: the pure parts are tested with sample stack outputs,
the AWS calls against the emulator (Secrets Manager, S3, API Gateway) or a
stand-in CloudFormation, and `chalice package` really runs (it downloads the
Lambda platform's wheels from PyPI).
"""
from __future__ import annotations

import json
import re
import shutil
import struct
import uuid
import zipfile
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import pytest
import yaml
from botocore.exceptions import ClientError, WaiterError

from infra.cloud import deploy, package_check
from infra.cloud.deploy import DeployError
from tests.conftest import REGION

ROOT = Path(__file__).resolve().parents[2]
CONFIG = json.loads((ROOT / ".chalice" / "config.json").read_text())
POLICIES = {stage: json.loads((ROOT / ".chalice" / f"policy-{stage}.json").read_text())
            for stage in ("dev", "prod")}
ACCOUNT = "210987654321"
ARN = f"arn:aws:{{service}}:{REGION}:{ACCOUNT}"


def sample_outputs(stage: str = "prod") -> dict[str, str]:
    """What `describe_stacks` answers for a deployed stack (names as CloudFormation
    makes them: a generated bucket name, secret ARNs with their random suffix)."""
    pool = f"{REGION}_AbCdEf123"
    secret = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:study-buddy/{stage}"
    queue = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/study-buddy-{stage}-videos"
    outputs = {
        "Stage": stage, "Region": REGION,
        "AllowedOrigins": "https://app.example.org,https://www.example.org",
        "UserPoolId": pool,
        "UserPoolArn": f"arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/{pool}",
        "UserPoolProviderUrl": f"https://cognito-idp.{REGION}.amazonaws.com/{pool}",
        "UserPoolClientId": "4ab5cd6ef7gh8ij9kl0mn1op2q",
        "HostedUiDomain": f"study-buddy-{stage}-{ACCOUNT}",
        "HostedUiUrl": f"https://study-buddy-{stage}-{ACCOUNT}.auth.{REGION}.amazoncognito.com",
        "IdentityPoolId": f"{REGION}:0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
        "AuthenticatedRoleArn": f"arn:aws:iam::{ACCOUNT}:role/study-buddy-{stage}-Auth-XYZ",
        "NotesBucketName": f"study-buddy-{stage}-notesbucket-1a2b3c4d5e6f",
        "NotesBucketArn": f"arn:aws:s3:::study-buddy-{stage}-notesbucket-1a2b3c4d5e6f",
        "DeployStateBucketName": f"study-buddy-{stage}-deploystatebucket-9z8y7x6w5v",
        "VideoQueueUrl": queue,
        "VideoQueueArn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:study-buddy-{stage}-videos",
        "VideoQueueName": f"study-buddy-{stage}-videos",
        "DeadLetterQueueUrl": queue + "-dlq",
        "DeadLetterQueueArn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:study-buddy-{stage}-videos-dlq",
        "DeadLetterQueueName": f"study-buddy-{stage}-videos-dlq",
        "AnthropicApiKeySecretArn": f"{secret}/anthropic-api-key-Ab12Cd",
        "StripeSecretKeySecretArn": f"{secret}/stripe-secret-key-Ef34Gh",
        "StripeWebhookSecretArn": f"{secret}/stripe-webhook-secret-Ij56Kl",
        "PaginationSecretArn": f"{secret}/pagination-secret-Mn78Op",
        "ProxySecretArn": f"{secret}/youtube-proxy-Qr90St",
        "AlarmTopicArn": f"arn:aws:sns:{REGION}:{ACCOUNT}:study-buddy-{stage}-alarms",
    }
    for table, suffix in (("Users", "users"), ("Videos", "videos"), ("Notes", "notes"),
                          ("CreditTransactions", "credit-transactions")):
        name = f"study-buddy-{stage}-{suffix}"
        outputs[f"{table}TableName"] = name
        outputs[f"{table}TableArn"] = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}"
    return outputs


# -- outputs -> .chalice/config.json ------------------------------------------------------


def test_stage_config_copies_the_outputs_into_the_stage_environment() -> None:
    before = json.loads(json.dumps(CONFIG))
    updated = deploy.stage_config(CONFIG, "prod", sample_outputs())
    assert CONFIG == before  # pure: the input is not touched
    env = updated["stages"]["prod"]["environment_variables"]
    outputs = sample_outputs()
    assert env["STAGE"] == "prod"
    assert env["USERS_TABLE"] == outputs["UsersTableName"]
    assert env["VIDEOS_TABLE"] == outputs["VideosTableName"]
    assert env["NOTES_TABLE"] == outputs["NotesTableName"]
    assert env["TRANSACTIONS_TABLE"] == outputs["CreditTransactionsTableName"]
    assert env["NOTES_BUCKET"] == outputs["NotesBucketName"]
    assert env["VIDEO_QUEUE_URL"] == outputs["VideoQueueUrl"]
    assert env["USER_POOL_ID"] == outputs["UserPoolId"]
    assert env["USER_POOL_CLIENT_ID"] == outputs["UserPoolClientId"]
    assert env["USER_POOL_ARN"] == outputs["UserPoolArn"]
    assert env["VIDEO_QUEUE_NAME"] == outputs["VideoQueueName"]
    assert env["DEAD_LETTER_QUEUE_NAME"] == outputs["DeadLetterQueueName"]
    assert env["ALLOWED_ORIGINS"] == "https://app.example.org,https://www.example.org"
    # Where each secret lives, never its value.
    assert env["ANTHROPIC_API_KEY_SECRET_ARN"] == outputs["AnthropicApiKeySecretArn"]
    assert env["STRIPE_SECRET_KEY_SECRET_ARN"] == outputs["StripeSecretKeySecretArn"]
    assert env["STRIPE_WEBHOOK_SECRET_SECRET_ARN"] == outputs["StripeWebhookSecretArn"]
    assert env["PAGINATION_SECRET_SECRET_ARN"] == outputs["PaginationSecretArn"]
    for name in ("YOUTUBE_PROXY_URL", "WEBSHARE_PROXY_USERNAME", "WEBSHARE_PROXY_PASSWORD"):
        assert env[name + "_SECRET_ARN"] == outputs["ProxySecretArn"]
    assert not set(env) & set(deploy.SECRET_SETTINGS)
    # Everything else is as it was: the other stages, the function settings.
    assert updated["stages"]["local"] == CONFIG["stages"]["local"]
    assert updated["stages"]["dev"] == CONFIG["stages"]["dev"]
    prod = {k: v for k, v in updated["stages"]["prod"].items() if k != "environment_variables"}
    assert prod == {k: v for k, v in CONFIG["stages"]["prod"].items()
                    if k != "environment_variables"}
    # Deploying again with the same outputs changes nothing.
    assert deploy.stage_config(updated, "prod", outputs) == updated


def test_stage_config_refuses_the_local_stage_and_unknown_stages() -> None:
    for stage in ("local", "test", "qa"):
        with pytest.raises(DeployError, match="not deployed to AWS"):
            deploy.stage_config(CONFIG, stage, sample_outputs())


@pytest.mark.parametrize("setting", ["AWS_ENDPOINT_URL", "COGNITO_JWKS_URL", "STRIPE_API_BASE",
                                     "AWS_ENDPOINT_URL_SECRETSMANAGER"])
def test_prod_config_never_gets_local_endpoints(setting: str) -> None:
    config = json.loads(json.dumps(CONFIG))
    config["stages"]["prod"]["environment_variables"][setting] = "http://127.0.0.1:4566"
    with pytest.raises(DeployError, match=setting):
        deploy.stage_config(config, "prod", sample_outputs())
    # Nor through a function's own environment.
    config = json.loads(json.dumps(CONFIG))
    config["stages"]["prod"]["lambda_functions"]["api_handler"]["environment_variables"] = {
        setting: "http://127.0.0.1:4566"}
    with pytest.raises(DeployError, match=f"api_handler.{setting}"):
        deploy.stage_config(config, "prod", sample_outputs())
    # dev may point the JWKS elsewhere (a staging identity provider, say).
    if setting == "COGNITO_JWKS_URL":
        config = json.loads(json.dumps(CONFIG))
        config["stages"]["dev"]["environment_variables"][setting] = "https://jwks.example.org"
        deploy.stage_config(config, "dev", sample_outputs("dev"))


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_no_secret_value_is_ever_written_into_the_config(stage: str) -> None:
    config = json.loads(json.dumps(CONFIG))
    config["stages"][stage]["environment_variables"]["STRIPE_SECRET_KEY"] = "sk_live_oops"
    with pytest.raises(DeployError, match="STRIPE_SECRET_KEY"):
        deploy.stage_config(config, stage, sample_outputs(stage))


def test_deploy_time_environment_is_what_app_py_reads_at_import() -> None:
    env = deploy.deploy_time_environment(sample_outputs())
    assert env == {"USER_POOL_ARN": sample_outputs()["UserPoolArn"],
                   "VIDEO_QUEUE_NAME": "study-buddy-prod-videos",
                   "DEAD_LETTER_QUEUE_NAME": "study-buddy-prod-videos-dlq"}
    source = (ROOT / "app.py").read_text()
    for name in env:
        assert f'"{name}"' in source
    with pytest.raises(DeployError, match="VIDEO_QUEUE_NAME"):
        deploy.deploy_time_environment({"UserPoolArn": "arn", "DeadLetterQueueName": "q"})


# -- the committed Chalice config --------------------------------------------------------


def test_local_stage_keeps_its_emulator_settings() -> None:
    env = CONFIG["stages"]["local"]["environment_variables"]
    assert {k: env.get(k) for k in ("STAGE", "AWS_ENDPOINT_URL", "AWS_DEFAULT_REGION",
                                    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")} == {
        "STAGE": "local", "AWS_ENDPOINT_URL": "http://127.0.0.1:4566",
        "AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local"}
    # Nothing top-level that chalice.test.Client or `chalice local` would pick up.
    assert "environment_variables" not in CONFIG
    assert "lambda_functions" not in CONFIG


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_deployed_stages_size_and_guard_their_functions(stage: str) -> None:
    section = CONFIG["stages"][stage]
    functions = section["lambda_functions"]
    assert set(functions) == {"api_handler", "process_video", "dead_letter", "cleanup"}
    assert (functions["api_handler"]["lambda_memory_size"],
            functions["api_handler"]["lambda_timeout"]) == (1024, 30)  # search's cache
    assert 1024 <= functions["process_video"]["lambda_memory_size"] <= 2048
    assert functions["process_video"]["lambda_timeout"] == 900
    assert (functions["cleanup"]["lambda_memory_size"],
            functions["cleanup"]["lambda_timeout"]) == (256, 120)
    # Reserved concurrency caps the Anthropic rate and the bill; at least 5, the
    # SQS poller's starting concurrency, so polling is not throttled into retries.
    assert 5 <= functions["process_video"]["reserved_concurrency"] <= 20
    assert section["autogen_policy"] is False
    assert section["iam_policy_file"] == f"policy-{stage}.json"
    assert (ROOT / ".chalice" / section["iam_policy_file"]).exists()
    assert section["lambda_architecture"] == "arm64"
    assert section["automatic_layer"] is True
    assert section["xray"] is (stage == "prod")
    assert section["log_retention_in_days"] == (30 if stage == "prod" else 7)
    for name, settings in functions.items():
        # Per-function environment only under stages.<stage>.lambda_functions.<fn>.
        assert set(settings) <= {"lambda_memory_size", "lambda_timeout", "reserved_concurrency",
                                 "environment_variables"}, name


def test_chalice_reads_the_settings_per_function() -> None:
    from chalice.config import Config

    for function, memory, timeout in (("api_handler", 1024, 30), ("process_video", None, 900),
                                      ("cleanup", 256, 120)):
        config = Config(chalice_stage="prod", function_name=function,
                        config_from_disk=CONFIG)
        assert config.lambda_timeout == timeout
        if memory:
            assert config.lambda_memory_size == memory
        assert config.lambda_architecture == "arm64"
        assert config.xray_enabled is True
    processor = Config(chalice_stage="prod", function_name="process_video",
                       config_from_disk=CONFIG)
    assert processor.reserved_concurrency == CONFIG["stages"]["prod"]["lambda_functions"][
        "process_video"]["reserved_concurrency"]


# -- the policies ----------------------------------------------------------------------------


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_policy_grants_what_the_functions_need_on_the_stack(stage: str) -> None:
    assert deploy.missing_grants(POLICIES[stage], sample_outputs(stage)) == []


def test_a_stage_policy_grants_nothing_on_the_other_stage() -> None:
    prod = sample_outputs("prod")
    missing = deploy.missing_grants(POLICIES["dev"], prod)
    needed = [f"{a} on {r}" for a, r in deploy.required_grants(prod)
              if not r.startswith("arn:aws:cognito-idp")]  # pool ids are random
    assert set(needed) <= set(missing)


def test_policy_is_least_privilege() -> None:
    for stage, policy in POLICIES.items():
        for statement in policy["Statement"]:
            actions = statement["Action"]
            actions = [actions] if isinstance(actions, str) else actions
            resources = statement["Resource"]
            resources = [resources] if isinstance(resources, str) else resources
            assert statement["Effect"] == "Allow"
            assert not any(action.endswith("*") for action in actions), statement
            if resources == ["*"]:
                # Only X-Ray has no resource-level permissions.
                assert all(a.startswith("xray:") for a in actions), statement
            assert not any(a.startswith(("dynamodb:Scan", "iam:", "s3:DeleteBucket"))
                           for a in actions)
            for resource in resources:
                if resource != "*" and not resource.startswith(
                        ("arn:aws:cognito-idp", "arn:aws:bedrock")):
                    assert f"-{stage}" in resource or f"/{stage}/" in resource, resource
        # The admin calls of the local stage's auto-confirm are not granted in AWS.
        assert not deploy.allows(policy, "cognito-idp:AdminConfirmSignUp",
                                 f"arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/x")
        assert not deploy.allows(policy, "s3:DeleteObject",
                                 f"arn:aws:s3:::study-buddy-{stage}-notesbucket-x/exports/k")
        assert deploy.allows(policy, "bedrock:InvokeModel",
                             f"arn:aws:bedrock:{REGION}::foundation-model/"
                             "anthropic.claude-sonnet-5-5-v1:0")
    assert deploy.allows(POLICIES["prod"], "xray:PutTraceSegments", "*")
    assert not deploy.allows(POLICIES["dev"], "xray:PutTraceSegments", "*")  # no X-Ray in dev


# Calls made only by the local stage (auth.register auto-confirms when
# config.is_local()); AWS stages confirm by email.
LOCAL_ONLY_CALLS = {"cognito-idp:AdminConfirmSignUp", "cognito-idp:AdminUpdateUserAttributes"}
IAM_PREFIX = {"bedrock-runtime": "bedrock"}
# boto3 customisations and calls whose IAM action differs from the operation name.
SPECIAL_CALLS = {
    ("s3", "generate_presigned_url"): ["s3:GetObject"],
    # Large files go up in parts; a failed upload is aborted.
    ("s3", "upload_file"): ["s3:PutObject", "s3:AbortMultipartUpload"],
    ("s3", "upload_fileobj"): ["s3:PutObject", "s3:AbortMultipartUpload"],
    ("s3", "download_file"): ["s3:GetObject"], ("s3", "download_fileobj"): ["s3:GetObject"],
    ("s3", "head_object"): ["s3:GetObject"], ("s3", "list_objects_v2"): ["s3:ListBucket"],
    ("s3", "delete_objects"): ["s3:DeleteObject"],
    ("dynamodb", "transact_write_items"): [
        "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
        "dynamodb:ConditionCheckItem"],
    ("dynamodb", "transact_get_items"): ["dynamodb:GetItem"],
}


def actions_the_code_calls() -> dict[str, set[str]]:
    """IAM action -> files, for every boto3 call in chalicelib on a service the
    file creates a client for (found by name: `.operation_name(`)."""
    session = botocore.session.get_session()
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / "chalicelib").rglob("*.py")):
        source = path.read_text()
        services = set(re.findall(r"client\(\s*[\"']([a-z0-9-]+)[\"']", source))
        called = set(re.findall(r"\.([a-z_0-9]+)\(", source))
        for service in services:
            model = session.get_service_model(service)
            operations = {botocore.xform_name(op): op for op in model.operation_names}
            prefix = IAM_PREFIX.get(service, model.signing_name or service)
            for name in called:
                actions = SPECIAL_CALLS.get((service, name))
                if actions is None and name in operations:
                    actions = [f"{prefix}:{operations[name]}"]
                for action in actions or []:
                    found.setdefault(action, set()).add(path.name)
        if "AnthropicBedrock" in source:
            found.setdefault("bedrock:InvokeModel", set()).add(path.name)
    return found


def test_policy_covers_every_aws_call_in_the_code() -> None:
    calls = actions_the_code_calls()
    # The scan works: it sees the calls we know of.
    assert {"dynamodb:Query", "dynamodb:PutItem", "s3:GetObject", "sqs:SendMessage",
            "cognito-idp:InitiateAuth", "secretsmanager:GetSecretValue", "ssm:GetParameter",
            "bedrock:InvokeModel"} <= set(calls)
    for stage, policy in POLICIES.items():
        granted = {action.lower() for statement in policy["Statement"]
                   for action in ([statement["Action"]] if isinstance(statement["Action"], str)
                                  else statement["Action"])}
        missing = {action: sorted(files) for action, files in calls.items()
                   if action.lower() not in granted and action not in LOCAL_ONLY_CALLS}
        assert missing == {}, f"policy-{stage}.json lacks {missing}"


# -- CloudFormation change sets ------------------------------------------------------------


TEMPLATE_TEXT = (ROOT / "infra" / "template.yaml").read_text()


def test_change_set_parameters_keep_deployed_values() -> None:
    template = {"Parameters": {"Stage": {}, "AllowedOrigins": {}, "GoogleClientSecret": {}}}
    new = deploy.change_set_parameters(template, {"Stage": "prod"}, None)
    assert new == [{"ParameterKey": "Stage", "ParameterValue": "prod"}]
    update = deploy.change_set_parameters(
        template, {"Stage": "prod", "AllowedOrigins": "https://a.example"},
        ["Stage", "AllowedOrigins", "GoogleClientSecret"])
    assert update == [
        {"ParameterKey": "Stage", "ParameterValue": "prod"},
        {"ParameterKey": "AllowedOrigins", "ParameterValue": "https://a.example"},
        {"ParameterKey": "GoogleClientSecret", "UsePreviousValue": True},
    ]
    with pytest.raises(DeployError, match="Typo"):
        deploy.change_set_parameters(template, {"Typo": "x"}, None)


def _missing_stack() -> ClientError:
    return ClientError({"Error": {"Code": "ValidationError",
                                  "Message": "Stack with id s does not exist"}}, "DescribeStacks")


class FakeCloudFormation:
    """The CloudFormation calls deploy_stack makes, answered like AWS does."""

    def __init__(self, status: str | None = None, changes: bool = True) -> None:
        self.status = status
        self.changes = changes
        self.calls: list[tuple[str, dict]] = []
        self.outputs = [{"OutputKey": "VideoQueueName", "OutputValue": "q"}]

    def describe_stacks(self, StackName: str) -> dict:
        self.calls.append(("describe_stacks", {}))
        if self.status is None:
            raise _missing_stack()
        return {"Stacks": [{"StackStatus": self.status, "Outputs": self.outputs,
                            "Parameters": [{"ParameterKey": "Stage"},
                                           {"ParameterKey": "AlarmEmail"}]}]}

    def create_change_set(self, **kwargs: Any) -> None:
        self.calls.append(("create_change_set", kwargs))

    def describe_change_set(self, **kwargs: Any) -> dict:
        return {"Status": "FAILED", "StatusReason": "The submitted information didn't "
                "contain changes. Submit different information to create a change set."}

    def delete_change_set(self, **kwargs: Any) -> None:
        self.calls.append(("delete_change_set", kwargs))

    def execute_change_set(self, **kwargs: Any) -> None:
        self.calls.append(("execute_change_set", kwargs))
        self.status = "UPDATE_COMPLETE"

    def get_waiter(self, name: str) -> Any:
        fake = self

        class Waiter:
            def wait(self, **kwargs: Any) -> None:
                fake.calls.append((f"wait:{name}", kwargs))
                if name == "change_set_create_complete" and not fake.changes:
                    raise WaiterError(name, "failed", {})

        return Waiter()

    def names(self) -> list[str]:
        return [name for name, _ in self.calls if name != "describe_stacks"]


def test_deploy_stack_creates_a_new_stack() -> None:
    fake = FakeCloudFormation()
    outputs = deploy.deploy_stack(fake, "study-buddy-prod", TEMPLATE_TEXT, {"Stage": "prod"},
                                  poll_seconds=0.01)
    assert outputs == {"VideoQueueName": "q"}
    assert fake.names() == ["create_change_set", "wait:change_set_create_complete",
                            "execute_change_set", "wait:stack_create_complete"]
    request = fake.calls[1][1]
    assert request["ChangeSetType"] == "CREATE"
    assert request["Capabilities"] == ["CAPABILITY_IAM"]
    assert request["Parameters"] == [{"ParameterKey": "Stage", "ParameterValue": "prod"}]


def test_deploy_stack_updates_and_keeps_parameters_not_given() -> None:
    fake = FakeCloudFormation(status="UPDATE_COMPLETE")
    deploy.deploy_stack(fake, "s", TEMPLATE_TEXT, {"Stage": "prod"}, poll_seconds=0.01)
    request = next(kwargs for name, kwargs in fake.calls if name == "create_change_set")
    assert request["ChangeSetType"] == "UPDATE"
    assert {"ParameterKey": "AlarmEmail", "UsePreviousValue": True} in request["Parameters"]
    assert fake.names()[-1] == "wait:stack_update_complete"


def test_deploy_stack_with_nothing_to_change_is_not_an_error() -> None:
    fake = FakeCloudFormation(status="UPDATE_COMPLETE", changes=False)
    assert deploy.deploy_stack(fake, "s", TEMPLATE_TEXT, {}, poll_seconds=0.01) == {
        "VideoQueueName": "q"}
    assert "execute_change_set" not in fake.names()
    assert "delete_change_set" in fake.names()


@pytest.mark.parametrize("status", ["ROLLBACK_COMPLETE", "UPDATE_IN_PROGRESS"])
def test_deploy_stack_refuses_a_broken_or_busy_stack(status: str) -> None:
    with pytest.raises(DeployError, match=status):
        deploy.deploy_stack(FakeCloudFormation(status=status), "s", TEMPLATE_TEXT, {})


# -- secrets, state and throttling against the emulator -------------------------------------


@pytest.fixture
def emulator(stack: dict) -> dict[str, Any]:
    session = boto3.session.Session()
    return {service: session.client(service, region_name=REGION, endpoint_url=stack["endpoint"])
            for service in ("secretsmanager", "s3", "apigateway", "cloudformation")}


def stack_secrets(sm: Any, stage: str) -> dict[str, str]:
    """The template's secrets as CloudFormation creates them: empty, but the
    pagination key, which it generates."""
    run = uuid.uuid4().hex[:8]  # the emulator is shared by the whole session
    names = {"AnthropicApiKeySecretArn": "anthropic-api-key",
             "StripeSecretKeySecretArn": "stripe-secret-key",
             "StripeWebhookSecretArn": "stripe-webhook-secret",
             "PaginationSecretArn": "pagination-secret", "ProxySecretArn": "youtube-proxy"}
    outputs = {}
    for key, name in names.items():
        request: dict[str, Any] = {"Name": f"study-buddy/{stage}/{run}-{name}"}
        if key == "PaginationSecretArn":
            request["SecretString"] = "generated-by-cloudformation"
        outputs[key] = sm.create_secret(**request)["ARN"]
    return outputs


def test_secrets_from_the_deploying_shell_are_stored_once(emulator: dict) -> None:
    sm = emulator["secretsmanager"]
    outputs = stack_secrets(sm, "prod")
    needed = deploy.required_secrets("prod")
    assert set(needed) == {"ANTHROPIC_API_KEY", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET",
                           "PAGINATION_SECRET"}
    assert deploy.required_secrets("prod", "bedrock") == tuple(
        n for n in needed if n != "ANTHROPIC_API_KEY")
    assert deploy.required_secrets("dev") == ()
    assert set(deploy.empty_secrets(sm, outputs, needed)) == {
        "ANTHROPIC_API_KEY", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET"}

    shell = {"ANTHROPIC_API_KEY": "sk-ant-x", "STRIPE_SECRET_KEY": "sk_live_x",
             "STRIPE_WEBHOOK_SECRET": "whsec_x", "PAGINATION_SECRET": "never-from-a-shell",
             "WEBSHARE_PROXY_USERNAME": "u", "WEBSHARE_PROXY_PASSWORD": "p"}
    assert sorted(deploy.store_secrets(sm, outputs, shell)) == [
        "AnthropicApiKeySecretArn", "ProxySecretArn", "StripeSecretKeySecretArn",
        "StripeWebhookSecretArn"]
    assert deploy.empty_secrets(sm, outputs, needed) == []
    assert sm.get_secret_value(SecretId=outputs["PaginationSecretArn"])["SecretString"] == \
        "generated-by-cloudformation"
    proxy = json.loads(sm.get_secret_value(SecretId=outputs["ProxySecretArn"])["SecretString"])
    assert proxy == {"WEBSHARE_PROXY_USERNAME": "u", "WEBSHARE_PROXY_PASSWORD": "p"}
    # Unchanged values make no new versions.
    assert deploy.store_secrets(sm, outputs, shell) == []


def test_chalice_state_round_trips_through_the_state_bucket(emulator: dict,
                                                            tmp_path: Path) -> None:
    s3 = emulator["s3"]
    s3.create_bucket(Bucket="deploy-state-test")
    assert deploy.download_deployed_record(s3, "deploy-state-test", "prod", tmp_path) is False
    assert deploy.upload_deployed_record(s3, "deploy-state-test", "prod", tmp_path) is False
    record = {"schema_version": "2.0", "backend": "api", "resources": [
        {"name": "api_handler", "resource_type": "lambda_function", "lambda_arn": "arn:x"},
        {"name": "rest_api", "resource_type": "rest_api", "rest_api_id": "abc123",
         "rest_api_url": "https://abc123.execute-api.us-east-1.amazonaws.com/api/"}]}
    deployed = tmp_path / ".chalice" / "deployed" / "prod.json"
    deployed.parent.mkdir(parents=True)
    deployed.write_text(json.dumps(record))
    assert deploy.rest_api_id(tmp_path, "prod") == "abc123"
    assert deploy.upload_deployed_record(s3, "deploy-state-test", "prod", tmp_path) is True
    other = tmp_path / "elsewhere"
    assert deploy.download_deployed_record(s3, "deploy-state-test", "prod", other) is True
    assert json.loads((other / ".chalice" / "deployed" / "prod.json").read_text()) == record
    assert deploy.rest_api_id(other, "dev") is None


def test_throttling_patch_operations() -> None:
    assert deploy.throttling_patch() == [
        {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": "10000"},
        {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": "5000"},
    ]
    assert deploy.throttling_patch(25.5, 10)[0]["value"] == "25.5"
    with pytest.raises(DeployError):
        deploy.throttling_patch(0, 10)


def make_api(apigateway: Any, stage: str = "api") -> str:
    api_id = apigateway.create_rest_api(name="youtube-study-buddy")["id"]
    root = apigateway.get_resources(restApiId=api_id)["items"][0]["id"]
    apigateway.put_method(restApiId=api_id, resourceId=root, httpMethod="GET",
                          authorizationType="NONE")
    apigateway.put_integration(restApiId=api_id, resourceId=root, httpMethod="GET",
                               type="MOCK")
    apigateway.create_deployment(restApiId=api_id, stageName=stage)
    return api_id


def test_throttling_is_applied_to_the_api_stage(emulator: dict) -> None:
    apigateway = emulator["apigateway"]
    api_id = make_api(apigateway)
    deploy.apply_throttling(apigateway, api_id, "api")
    settings = apigateway.get_stage(restApiId=api_id, stageName="api")["methodSettings"]["*/*"]
    assert settings["throttlingRateLimit"] == 10000.0
    assert settings["throttlingBurstLimit"] == 5000


# -- the whole command, with a stand-in CloudFormation and chalice ------------------------


def test_deploy_command_end_to_end(emulator: dict, tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    project = tmp_path / "project"
    shutil.copytree(ROOT / ".chalice", project / ".chalice",
                    ignore=shutil.ignore_patterns("deployments", "deployed", "venv"))
    outputs = sample_outputs("prod")
    outputs.update(stack_secrets(emulator["secretsmanager"], "prod"))
    emulator["s3"].create_bucket(Bucket="deploy-state-e2e")
    outputs["DeployStateBucketName"] = "deploy-state-e2e"
    api_id = make_api(emulator["apigateway"])
    fake_cfn = FakeCloudFormation()
    fake_cfn.outputs = [{"OutputKey": k, "OutputValue": v} for k, v in outputs.items()]
    clients = {**emulator, "cloudformation": fake_cfn}

    class Session:
        def __init__(self, **_: Any) -> None:
            pass

        def client(self, service: str) -> Any:
            return clients[service]

    chalice_runs: list[dict] = []

    def fake_chalice(stage: str, extra_env: dict, project_dir: Path) -> None:
        chalice_runs.append({"stage": stage, **extra_env})
        record = {"schema_version": "2.0", "resources": [
            {"name": "rest_api", "resource_type": "rest_api", "rest_api_id": api_id}]}
        target = project_dir / ".chalice" / "deployed" / f"{stage}.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(record))

    monkeypatch.setattr(boto3.session, "Session", Session)
    monkeypatch.setattr(deploy, "run_chalice", fake_chalice)
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    for name in deploy.SECRET_SETTINGS:
        monkeypatch.delenv(name, raising=False)

    # Prod with empty secrets: refused before anything is written or deployed.
    with pytest.raises(DeployError, match="ANTHROPIC_API_KEY, STRIPE_SECRET_KEY"):
        deploy.deploy("prod", REGION, {}, project_dir=project)
    assert chalice_runs == []

    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-live")
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_live_1")
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", "whsec_1")
    deploy.deploy("prod", REGION, {"AllowedOrigins": "https://app.example.org"},
                  project_dir=project)
    config = json.loads((project / ".chalice" / "config.json").read_text())
    env = config["stages"]["prod"]["environment_variables"]
    assert env["USERS_TABLE"] == "study-buddy-prod-users"
    assert env["STRIPE_SECRET_KEY_SECRET_ARN"] == outputs["StripeSecretKeySecretArn"]
    assert "sk_live_1" not in (project / ".chalice" / "config.json").read_text()
    assert chalice_runs == [{"stage": "prod", "USER_POOL_ARN": outputs["UserPoolArn"],
                             "VIDEO_QUEUE_NAME": "study-buddy-prod-videos",
                             "DEAD_LETTER_QUEUE_NAME": "study-buddy-prod-videos-dlq",
                             "PROCESSOR_MAX_CONCURRENCY": "10"}]
    request = [kwargs for name, kwargs in fake_cfn.calls if name == "create_change_set"][-1]
    assert {"ParameterKey": "Stage", "ParameterValue": "prod"} in request["Parameters"]
    assert {"ParameterKey": "AllowedOrigins",
            "ParameterValue": "https://app.example.org"} in request["Parameters"]
    stage = emulator["apigateway"].get_stage(restApiId=api_id, stageName="api")
    assert stage["methodSettings"]["*/*"]["throttlingRateLimit"] == 10000.0
    state = emulator["s3"].get_object(Bucket="deploy-state-e2e", Key="chalice/deployed/prod.json")
    assert json.loads(state["Body"].read())["resources"][0]["rest_api_id"] == api_id
    # Unknown routes answer the app's 404 through the gateway responses, echoing nothing.
    responses = {item["responseType"]: item for item in emulator["apigateway"].get_gateway_responses(
        restApiId=api_id)["items"]}
    for kind in ("MISSING_AUTHENTICATION_TOKEN", "INCOMPLETE_SIGNATURE"):
        assert responses[kind]["statusCode"] == "404"
        body = json.loads(responses[kind]["responseTemplates"]["application/json"])
        assert body["Code"] == "NotFound" and "$" not in json.dumps(body)
    # The deployed commit is recorded beside Chalice's record, for `make rollback`.
    history = deploy.read_history(emulator["s3"], "deploy-state-e2e", "prod")
    assert [entry["commit"] for entry in history] == ["unknown-dirty"]
    assert not any(p["ParameterKey"] == "RestApiId" and p.get("ParameterValue")
                   for p in request["Parameters"])
    # The next deploy attaches the /auth/* rate rule (WAF) to the API the first one made.
    deploy.deploy("prod", REGION, {}, project_dir=project)
    request = [kwargs for name, kwargs in fake_cfn.calls if name == "create_change_set"][-1]
    assert {"ParameterKey": "RestApiId", "ParameterValue": api_id} in request["Parameters"]


def test_deploy_refuses_prod_from_a_shell_pointed_at_an_emulator(monkeypatch, capsys) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
    assert deploy.main(["--stage", "prod"]) == 1
    assert "AWS_ENDPOINT_URL" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        deploy.main(["--stage", "local"])
    with pytest.raises(DeployError, match="KEY=VALUE"):
        deploy.parse_parameters(["novalue"])


def test_run_chalice_passes_no_secret_values(monkeypatch, tmp_path) -> None:
    seen: dict = {}

    def fake_run(command: list[str], cwd: Any, env: dict, check: bool) -> None:
        seen.update(command=command, env=env, cwd=cwd)

    monkeypatch.setattr(deploy.subprocess, "run", fake_run)
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_live_shell")
    deploy.run_chalice("prod", {"VIDEO_QUEUE_NAME": "q"}, tmp_path)
    assert seen["command"][-3:] == ["deploy", "--stage", "prod"]
    assert seen["env"]["VIDEO_QUEUE_NAME"] == "q"
    assert "STRIPE_SECRET_KEY" not in seen["env"]


# -- make package ------------------------------------------------------------------------------


def elf(machine: int) -> bytes:
    return b"\x7fELF\x02\x01\x01" + b"\x00" * 11 + struct.pack("<H", machine) + b"\x00" * 40


def write_zip(path: Path, files: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)


def metadata(name: str, *requires: str) -> bytes:
    lines = ["Metadata-Version: 2.1", f"Name: {name}", "Version: 1.0"]
    return "\n".join(lines + [f"Requires-Dist: {r}" for r in requires]).encode() + b"\n"


def test_package_inspection_finds_every_problem(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    site = "python/lib/python3.13/site-packages"
    write_zip(tmp_path / "deployment.zip", {"app.py": b"x" * 1000})
    write_zip(tmp_path / "layer-deployment.zip", {
        f"{site}/pyjwt-2.15.1.dist-info/METADATA": metadata(
            "PyJWT", 'cryptography>=3.4; extra == "crypto"'),
        f"{site}/numpy-2.5.5.dist-info/METADATA": metadata("numpy"),
        f"{site}/numpy/_core/_multiarray_umath.cpython-313-aarch64-linux-gnu.so": elf(183),
        f"{site}/cryptography/hazmat/bindings/_rust.abi3.so": elf(183),
        f"{site}/fast/_speedups.cpython-313-x86_64-linux-gnu.so": elf(62),
        f"{site}/old/_ext.cpython-311-aarch64-linux-gnu.so": elf(183),
        f"{site}/yt_dlp/extractor/soundcloud.py": b"not an ELF",
    })
    report = package_check.inspect(tmp_path, "arm64", ["PyJWT[crypto]==2.15.1", "numpy"])
    problems = "\n".join(report.problems)
    assert "_speedups" in problems and "x86_64" in problems
    assert "_multiarray" not in problems and "_rust.abi3" not in problems
    assert "old/_ext.cpython-311-aarch64-linux-gnu.so is built for Python 3.11, " \
        "not python3.13" in problems
    write_zip(tmp_path / "other-layer.zip", {
        "python/lib/python3.11/site-packages/x.py": b"x"})
    assert "the layer holds python3.11 packages, not python3.13" in "\n".join(
        package_check.inspect(tmp_path, "arm64", []).problems)
    (tmp_path / "other-layer.zip").unlink()
    assert "cryptography (needed by PyJWT)" in problems
    assert "numpy" not in problems
    assert len(report.zips) == 2
    # Without the extra, cryptography is not needed.
    plain = package_check.inspect(tmp_path, "arm64", ["PyJWT", "numpy"])
    assert not any("cryptography" in p for p in plain.problems)

    monkeypatch.setattr(package_check, "MAX_ZIP_BYTES", 100)
    monkeypatch.setattr(package_check, "MAX_UNZIPPED_BYTES", 500)
    report = package_check.inspect(tmp_path, "arm64", [])
    problems = "\n".join(report.problems)
    assert "deployment.zip is" in problems and "unzipped; Lambda takes at most" in problems


def test_requirements_lines_and_architecture() -> None:
    lines = package_check.requirement_lines(ROOT / "requirements.txt")
    assert "PyJWT[crypto]==2.15.1" in lines and not any(line.startswith("#") for line in lines)
    assert package_check.stage_architecture(CONFIG, "prod") == "arm64"
    assert package_check.stage_architecture(CONFIG, "local") == "x86_64"


def test_chalice_package_fits_lambda(tmp_path: Path) -> None:
    """The real thing: `chalice package --stage prod` (arm64 wheels from PyPI)."""
    report = package_check.check("prod", tmp_path / "package")
    print(package_check.describe(report))
    assert report.problems == []
    names = {item.name for item in report.zips}
    assert names == {"deployment.zip", "layer-deployment.zip"}
    for item in report.zips:
        assert item.size <= 50 * 1024 * 1024
    assert report.unzipped_total <= 250 * 1024 * 1024


# -- GitHub Actions ---------------------------------------------------------------------------


def workflow(name: str) -> dict:
    data = yaml.safe_load((ROOT / ".github" / "workflows" / name).read_text())
    # YAML 1.1 reads the key `on` as True.
    data["on"] = data.pop(True, data.get("on"))
    return data


def test_ci_runs_make_test_on_pull_requests() -> None:
    ci = workflow("ci.yml")
    assert "pull_request" in ci["on"]
    steps = [step.get("run", "") for job in ci["jobs"].values() for step in job["steps"]]
    assert any("make test" in run for run in steps)


def test_deploy_workflow_dev_from_main_prod_on_approved_dispatch() -> None:
    wf = workflow("deploy.yml")
    assert wf["on"]["push"]["branches"] == ["main"]
    assert "workflow_dispatch" in wf["on"]
    jobs = wf["jobs"]
    dev, prod = jobs["deploy-dev"], jobs["deploy-prod"]
    assert "push" in dev["if"]
    assert "workflow_dispatch" in prod["if"]
    assert prod["environment"]["name"] == "production"
    assert any("make deploy STAGE=prod" in step.get("run", "") for step in prod["steps"])
    assert any("make deploy STAGE=dev" in step.get("run", "") for step in dev["steps"])
    for job in (dev, prod):
        assert job["permissions"]["id-token"] == "write"  # OIDC, no stored AWS keys
        assert any("make test" in step.get("run", "") for step in job["steps"]) or \
            "test" in job.get("needs", [])


def test_the_queue_trigger_is_capped_at_the_processors_reserved_concurrency():
    import json
    from pathlib import Path

    config = json.loads((Path(__file__).resolve().parents[2] / ".chalice" /
                         "config.json").read_text())
    assert deploy.processor_concurrency(config, "prod") == \
        config["stages"]["prod"]["lambda_functions"]["process_video"]["reserved_concurrency"]
    assert deploy.processor_concurrency({"stages": {"x": {}}}, "x") == 2
