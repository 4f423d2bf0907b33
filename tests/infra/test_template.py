"""infra/template.yaml: cfn-lint clean, and consistent with the app and its config.

The template is deployed to AWS only by `make deploy`; these checks are what
stands between a typo and a failed (or wrong) prod stack.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from infra.cloud.deploy import DEPLOY_OUTPUT_ENVIRONMENT, SECRET_OUTPUTS
from infra.template import NO_VALUE, TEMPLATE_PATH, Resolver, load_template

ROOT = Path(__file__).resolve().parents[2]
CONFIG = json.loads((ROOT / ".chalice" / "config.json").read_text())
TEMPLATE = load_template()
RESOURCES = TEMPLATE["Resources"]


def cfn_lint(*args: str) -> subprocess.CompletedProcess:
    executable = Path(sys.executable).with_name("cfn-lint")
    command = [str(executable)] if executable.exists() else [sys.executable, "-m", "cfnlint"]
    # -c I: informational findings count too; the template has none.
    return subprocess.run([*command, "-c", "I", *args, "--", str(TEMPLATE_PATH)],
                          capture_output=True, text=True, timeout=240)


@pytest.mark.parametrize("parameters", [
    [],
    ["Stage=prod", "AlarmEmail=ops@example.org", "GoogleClientId=google-id",
     "GitHubClientId=github-id", "GitHubOidcIssuer=https://github-oidc.example.org",
     "DiscordClientId=discord-id", "DiscordOidcIssuer=https://discord.example.org",
     "SesEmailIdentityArn=arn:aws:ses:us-east-1:123456789012:identity/example.org",
     "SesFromAddress=no-reply@example.org", "AuthDomainPrefix=studybuddy"],
], ids=["defaults", "prod-everything-on"])
def test_cfn_lint_reports_nothing(parameters: list[str]) -> None:
    args = ["--parameters", *parameters] if parameters else []
    result = cfn_lint(*args)
    assert result.returncode == 0 and result.stdout.strip() == "", result.stdout + result.stderr


def test_template_fits_a_template_body() -> None:
    # CreateChangeSet takes at most 51,200 bytes inline; more needs an S3 upload.
    assert len(TEMPLATE_PATH.read_bytes()) < 51_200


def resolver(stage: str, **parameters: str) -> Resolver:
    values = {(logical_id, None): f"{logical_id}-physical" for logical_id in RESOURCES}
    return Resolver(TEMPLATE, {"Stage": stage, **parameters},
                    lookup=lambda logical_id, attribute: values.get(
                        (logical_id, attribute), f"{logical_id}.{attribute}"))


def props(logical_id: str, stage: str = "prod", **parameters: str) -> dict[str, Any]:
    return resolver(stage, **parameters).resolve(RESOURCES[logical_id]["Properties"])


# -- Cognito -----------------------------------------------------------------------


def test_user_pool_sign_in_settings() -> None:
    prod, dev = props("UserPool", "prod"), props("UserPool", "dev")
    assert prod["UsernameAttributes"] == ["email"]
    assert prod["Policies"]["PasswordPolicy"] == {
        "MinimumLength": 8, "RequireUppercase": True, "RequireLowercase": True,
        "RequireNumbers": True, "RequireSymbols": True}
    assert prod["MfaConfiguration"] == "OPTIONAL"
    assert prod["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]
    assert prod["AccountRecoverySetting"]["RecoveryMechanisms"] == [
        {"Name": "verified_email", "Priority": 1}]
    assert prod["UserPoolAddOns"] == {"AdvancedSecurityMode": "ENFORCED"}
    assert dev["UserPoolAddOns"] == {"AdvancedSecurityMode": "AUDIT"}
    assert prod["UserPoolTier"] == "PLUS"  # threat protection needs the Plus plan
    assert RESOURCES["UserPool"]["DeletionPolicy"] == "Retain"


def test_app_client_is_public_with_the_password_refresh_and_srp_flows() -> None:
    client = props("UserPoolClient", "prod")
    assert client["GenerateSecret"] is False
    assert set(client["ExplicitAuthFlows"]) == {
        "ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH"}
    assert client["SupportedIdentityProviders"] == ["COGNITO"]


def test_social_sign_in_is_off_by_default_and_behind_parameters() -> None:
    off = resolver("prod")
    on = resolver("prod", GoogleClientId="g", GitHubClientId="gh",
                  GitHubOidcIssuer="https://gh.example.org", DiscordClientId="d",
                  DiscordOidcIssuer="https://d.example.org")
    providers = {"GoogleIdentityProvider": "Google", "GitHubIdentityProvider": "OIDC",
                 "DiscordIdentityProvider": "OIDC"}
    for logical_id, kind in providers.items():
        resource = RESOURCES[logical_id]
        assert not off.is_enabled(resource) and on.is_enabled(resource)
        assert resource["Properties"]["ProviderType"] == kind
    client = on.resolve(RESOURCES["UserPoolClient"]["Properties"])
    assert client["SupportedIdentityProviders"] == [
        "COGNITO", "GoogleIdentityProvider-physical", "GitHubIdentityProvider-physical",
        "DiscordIdentityProvider-physical"]
    # An OIDC provider needs its issuer: a client id alone enables nothing.
    assert not resolver("prod", GitHubClientId="gh").is_enabled(
        RESOURCES["GitHubIdentityProvider"])


def test_hosted_ui_and_identity_pool() -> None:
    assert RESOURCES["UserPoolDomain"]["Type"] == "AWS::Cognito::UserPoolDomain"
    pool = props("IdentityPool")
    assert pool["AllowUnauthenticatedIdentities"] is False
    roles = props("IdentityPoolRoles")["Roles"]
    assert roles == {"authenticated": "AuthenticatedRole.Arn"}


# -- DynamoDB, S3, SQS ---------------------------------------------------------------

TABLES = {
    "UsersTable": {"EmailIndex"},
    "VideosTable": {"UserVideosIndex", "InFlightIndex", "UserStatusIndex"},
    "NotesTable": {"VideoNotesIndex", "UserNotesIndex", "UserCategoryIndex", "UserTitleIndex"},
    "CreditTransactionsTable": {"UserTransactionsIndex", "TransactionTypeIndex"},
    "CardsTable": {"DueIndex", "SubjectDueIndex", "CourseDueIndex"},
    "CoursesTable": {"UserCoursesIndex"},
}


@pytest.mark.parametrize("logical_id", sorted(TABLES))
def test_tables(logical_id: str) -> None:
    resource = RESOURCES[logical_id]
    prod, dev = props(logical_id, "prod"), props(logical_id, "dev")
    assert {index["IndexName"] for index in prod["GlobalSecondaryIndexes"]} == TABLES[logical_id]
    assert prod["BillingMode"] == "PAY_PER_REQUEST"
    assert prod["SSESpecification"] == {"SSEEnabled": True}
    assert prod["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert prod["DeletionProtectionEnabled"] is True
    assert "PointInTimeRecoverySpecification" not in dev
    assert "DeletionProtectionEnabled" not in dev
    assert resource["DeletionPolicy"] == resource["UpdateReplacePolicy"] == "Retain"
    if logical_id == "VideosTable":
        assert prod["TimeToLiveSpecification"] == {"AttributeName": "expires_at",
                                                   "Enabled": True}


def test_bucket() -> None:
    prod, dev = props("NotesBucket", "prod"), props("NotesBucket", "dev")
    encryption = prod["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert encryption["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    assert all(prod["PublicAccessBlockConfiguration"].values())
    assert prod["VersioningConfiguration"] == {"Status": "Enabled"}
    assert dev["VersioningConfiguration"] == {"Status": "Suspended"}
    rules = {rule.get("Prefix", ""): rule for rule in prod["LifecycleConfiguration"]["Rules"]}
    assert rules["notes/"]["Transitions"] == [
        {"StorageClass": "STANDARD_IA", "TransitionInDays": 90},
        {"StorageClass": "GLACIER_IR", "TransitionInDays": 180}]
    assert "ExpirationInDays" not in rules["notes/"]  # notes are never expired
    assert rules["exports/"]["ExpirationInDays"] == 1
    assert rules["transcripts/"]["ExpirationInDays"] == 180
    assert rules["drafts/"]["ExpirationInDays"] == 180
    cors = prod["CorsConfiguration"]["CorsRules"][0]
    assert cors["AllowedOrigins"] == ["http://localhost:3000"]
    origins = props("NotesBucket", "prod", AllowedOrigins="https://a.example,https://b.example")
    assert origins["CorsConfiguration"]["CorsRules"][0]["AllowedOrigins"] == [
        "https://a.example", "https://b.example"]


def function_settings(stage: str, function: str) -> dict[str, Any]:
    section = CONFIG["stages"][stage]
    return {**section, **section.get("lambda_functions", {}).get(function, {})}


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_queues_outlast_their_consumers(stage: str) -> None:
    queue, dlq = props("VideoQueue", stage), props("VideoDeadLetterQueue", stage)
    processor = function_settings(stage, "process_video")["lambda_timeout"]
    dead_letter = function_settings(stage, "dead_letter")["lambda_timeout"]
    assert queue["VisibilityTimeout"] >= 6 * processor
    assert dlq["VisibilityTimeout"] >= 6 * dead_letter
    assert queue["RedrivePolicy"]["maxReceiveCount"] == 3
    for settings in (queue, dlq):
        assert settings["SqsManagedSseEnabled"] is True
        assert settings["MessageRetentionPeriod"] == 14 * 24 * 3600


# -- secrets ---------------------------------------------------------------------------


def test_secrets_hold_no_value_in_the_template() -> None:
    secrets = {k: v for k, v in RESOURCES.items() if v["Type"] == "AWS::SecretsManager::Secret"}
    assert set(secrets) == {"AnthropicApiKeySecret", "StripeSecretKeySecret",
                            "StripeWebhookSecret", "PaginationSecret", "ProxySecret"}
    for logical_id, resource in secrets.items():
        assert "SecretString" not in resource["Properties"], logical_id
        name = resolver("prod").resolve(resource["Properties"]["Name"])
        # .chalice/policy-prod.json grants GetSecretValue on study-buddy/prod/* only.
        assert name.startswith("study-buddy/prod/")
    generated = RESOURCES["PaginationSecret"]["Properties"]["GenerateSecretString"]
    assert generated["PasswordLength"] >= 32
    for parameter in ("GoogleClientSecret", "GitHubClientSecret", "DiscordClientSecret"):
        assert TEMPLATE["Parameters"][parameter]["NoEcho"] is True


# -- alarms and budget ---------------------------------------------------------------


def chalice_function_names(stage: str) -> set[str]:
    """The Lambda names Chalice gives app.py's functions in `stage`."""
    from app import app

    name = CONFIG["app_name"]
    return {f"{name}-{stage}"} | {f"{name}-{stage}-{source.name}"
                                  for source in app.event_sources}


def alarm_dimensions(stage: str) -> list[dict[str, str]]:
    found = []
    for resource in RESOURCES.values():
        if resource["Type"] != "AWS::CloudWatch::Alarm":
            continue
        alarm = resolver(stage).resolve(resource["Properties"])
        if alarm.get("Namespace") == "StudyBuddy":
            continue  # the app's own metrics: their Stage is ours, not API Gateway's
        found += alarm.get("Dimensions", [])
        for metric in alarm.get("Metrics", []):
            if "MetricStat" in metric:
                found += metric["MetricStat"]["Metric"].get("Dimensions", [])
    return found


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_alarms_watch_the_names_chalice_deploys(stage: str) -> None:
    functions = chalice_function_names(stage)
    dimensions = alarm_dimensions(stage)
    watched = {d["Value"] for d in dimensions if d["Name"] == "FunctionName"}
    assert watched == functions
    api = {d["Value"] for d in dimensions if d["Name"] == "ApiName"}
    assert api == {CONFIG["app_name"]}
    api_stage = {d["Value"] for d in dimensions if d["Name"] == "Stage"}
    assert api_stage == {CONFIG["stages"][stage]["api_gateway_stage"]}


def test_the_alarms_the_issue_asks_for() -> None:
    alarms = {logical_id: resolver("prod").resolve(resource["Properties"])
              for logical_id, resource in RESOURCES.items()
              if resource["Type"] == "AWS::CloudWatch::Alarm"}
    expected = {
        "DeadLetterAlarm": ("NumberOfMessagesReceived", 0),
        "ProcessorErrorsAlarm": ("Errors", 5),
        "ThrottlesAlarm": (None, 0),
        "Api5xxAlarm": ("5XXError", 10),
        "DynamoDbThrottlesAlarm": (None, 10),
        "QueueAgeAlarm": ("ApproximateAgeOfOldestMessage", 3600),
        "VideosFailedAlarm": ("VideosFailed", 10),
        "ProcessorDurationAlarm": ("Duration", 720_000),  # 80% of the 900 s timeout
        "PaymentsNotCreditedAlarm": ("PaymentsNotCredited", 0),
    }
    assert set(alarms) == set(expected)
    for logical_id, (metric, threshold) in expected.items():
        alarm = alarms[logical_id]
        assert alarm.get("MetricName") == metric
        assert float(alarm["Threshold"]) == threshold
        assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
        assert alarm["AlarmActions"] == ["AlarmTopic-physical"]
        period = alarm.get("Period") or alarm["Metrics"][1]["MetricStat"]["Period"]
        assert period == (900 if logical_id == "VideosFailedAlarm" else 300)
    failed = alarms["VideosFailedAlarm"]
    assert failed["Namespace"] == "StudyBuddy"
    assert failed["Dimensions"] == [{"Name": "Stage", "Value": "prod"}]


def test_budget_in_prod_only_with_80_and_100_percent_alerts() -> None:
    budget = RESOURCES["MonthlyBudget"]
    assert resolver("prod").is_enabled(budget) and not resolver("dev").is_enabled(budget)
    notifications = resolver("prod").resolve(budget["Properties"])["NotificationsWithSubscribers"]
    assert sorted(n["Notification"]["Threshold"] for n in notifications) == [80, 100]
    with_email = resolver("prod", AlarmEmail="ops@example.org").resolve(
        budget["Properties"])["NotificationsWithSubscribers"]
    assert {s["SubscriptionType"] for s in with_email[0]["Subscribers"]} == {"SNS", "EMAIL"}
    subscription = RESOURCES["AlarmEmailSubscription"]
    assert not resolver("prod").is_enabled(subscription)
    assert resolver("dev", AlarmEmail="ops@example.org").is_enabled(subscription)


# -- outputs ---------------------------------------------------------------------------


def test_outputs_cover_what_the_deploy_copies_into_the_config() -> None:
    outputs = set(TEMPLATE["Outputs"])
    assert set(DEPLOY_OUTPUT_ENVIRONMENT) <= outputs
    assert set(SECRET_OUTPUTS) <= outputs
    assert {"DeployStateBucketName", "AlarmTopicArn", "HostedUiUrl", "IdentityPoolId",
            "UserPoolProviderUrl"} <= outputs
    for key, output in TEMPLATE["Outputs"].items():
        assert resolver("prod").resolve(output["Value"]) is not NO_VALUE, key
