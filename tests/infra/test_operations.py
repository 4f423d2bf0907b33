"""Python 3.13 everywhere, the staging stage, and the operations the seeds promise:
logs, rollback, a smoke test after every deploy, the dashboard, access logs, tags and
the processor-duration alarm (docs/DESIGN.md sections 2, 3, 9)."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import boto3
import pytest
import yaml

from chalicelib.core import observability
from infra.cloud import deploy, smoke
from infra.cloud.deploy import DeployError
from infra.template import Resolver, load_template
from tests.conftest import REGION

ROOT = Path(__file__).resolve().parents[2]
CONFIG = json.loads((ROOT / ".chalice" / "config.json").read_text())
TEMPLATE = load_template()
RESOURCES = TEMPLATE["Resources"]


def resolve(logical_id: str, stage: str) -> dict:
    resolver = Resolver(TEMPLATE, {"Stage": stage},
                        lookup=lambda logical, attribute: f"{logical}.{attribute}"
                        if attribute else f"{logical}-physical")
    return resolver.resolve(RESOURCES[logical_id]["Properties"])


# -- Python 3.13 ---------------------------------------------------------------------

def make_dry_run(tmp_path: Path, env: dict) -> subprocess.CompletedProcess:
    # -B: as on a fresh machine (the venv recipe is expanded); -n: nothing runs.
    return subprocess.run(["make", "-n", "-B", f"VENV={tmp_path / 'venv'}", "test"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.skipif(sys.version_info[:2] != (3, 13), reason="needs the 3.13 interpreter")
def test_the_makefile_finds_python_313_in_pyenv_without_help(tmp_path):
    pyenv = tmp_path / "pyenv"
    (pyenv / "versions" / "3.13.9" / "bin").mkdir(parents=True)
    python = pyenv / "versions" / "3.13.9" / "bin" / "python3.13"
    python.symlink_to(Path(sys.executable).resolve())
    bare_path = "/usr/bin:/bin"
    result = make_dry_run(tmp_path, {"PATH": bare_path, "HOME": str(tmp_path),
                                     "PYENV_ROOT": str(pyenv)})
    if any(Path(d, "python3.13").exists() for d in ("/usr/bin", "/bin", "/usr/local/bin")):
        pytest.skip("this machine has a system python3.13")
    assert result.returncode == 0, result.stderr
    assert f"{python} -m venv" in result.stdout


def test_without_python_313_make_says_what_to_install_in_one_line(tmp_path):
    if any(Path(d, "python3.13").exists() for d in ("/usr/bin", "/bin", "/usr/local/bin")):
        pytest.skip("this machine has a system python3.13")
    result = make_dry_run(tmp_path, {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
                                     "PYENV_ROOT": str(tmp_path / "none")})
    assert result.returncode != 0
    lines = (result.stdout + result.stderr).strip().splitlines()
    assert len(lines) == 1, lines
    assert "Python 3.13 not found: install it" in lines[0]


def test_every_workflow_uses_python_313_and_ci_runs_make_test():
    for path in (ROOT / ".github" / "workflows").glob("*.yml"):
        workflow = yaml.safe_load(path.read_text())
        for job in workflow["jobs"].values():
            for step in job["steps"]:
                if "setup-python" in step.get("uses", ""):
                    assert step["with"]["python-version"] == "3.13", path.name
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    runtime = [line for line in (ROOT / "requirements.txt").read_text().splitlines()
               if line.startswith("numpy==")]
    assert runtime and runtime[0] != "numpy==2.2.6"  # no longer pinned for python3.11


# -- a smoke test after every deploy, rolled back on failure ---------------------------------

def test_every_deploy_is_smoke_tested_and_rolled_back_on_failure():
    jobs = yaml.safe_load((ROOT / ".github" / "workflows" / "deploy.yml").read_text())["jobs"]
    deploying = {name: job for name, job in jobs.items() if name.startswith("deploy-")}
    assert set(deploying) == {"deploy-dev", "deploy-staging", "deploy-prod"}
    assert deploying["deploy-staging"]["environment"]["name"] == "staging"
    assert "inputs.stage == 'staging'" in deploying["deploy-staging"]["if"]
    for name, job in deploying.items():
        stage = name.removeprefix("deploy-")
        runs = [step.get("run", "") for step in job["steps"]]
        deployed = runs.index(f"make deploy STAGE={stage}")
        smoked = runs.index(f"make smoke STAGE={stage}")
        assert smoked == deployed + 1
        smoke_step = job["steps"][smoked]
        rollback = job["steps"][smoked + 1]
        assert rollback["run"] == f"make rollback STAGE={stage}"
        assert rollback["if"] == f"failure() && steps.{smoke_step['id']}.outcome == 'failure'"
        checkout = next(step for step in job["steps"] if "checkout" in step.get("uses", ""))
        assert checkout["with"]["fetch-depth"] == 0  # the previous commit is there to redeploy


def test_the_rollback_target_is_the_commit_deployed_before():
    history = [{"commit": "aaa"}, {"commit": "bbb"}, {"commit": "ccc-dirty"},
               {"commit": "ddd"}]
    assert deploy.rollback_target(history) == "bbb"
    assert deploy.rollback_target([{"commit": "aaa"}, {"commit": "bbb"}, {"commit": "bbb"}]) \
        == "aaa"
    for nothing in ([], [{"commit": "aaa"}]):
        with pytest.raises(DeployError):
            deploy.rollback_target(nothing)


def test_each_deploy_records_its_commit_beside_chalices_record(stack):
    s3 = boto3.session.Session().client("s3", region_name=REGION, endpoint_url=stack["endpoint"])
    bucket = f"state-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    assert deploy.read_history(s3, bucket, "staging") == []
    for commit in ("c1", "c2", "c3"):
        deploy.record_deployment(s3, bucket, "staging", commit, when="2026-12-01T00:00:00Z")
    history = deploy.read_history(s3, bucket, "staging")
    assert [entry["commit"] for entry in history] == ["c1", "c2", "c3"]
    assert deploy.rollback_target(history) == "c2"
    keys = {item["Key"] for item in s3.list_objects_v2(Bucket=bucket)["Contents"]}
    assert keys == {"chalice/deployed/staging.history.json"}  # beside staging.json
    assert deploy.read_history(s3, bucket, "prod") == []


def test_the_smoke_test_finds_an_echoing_or_unhealthy_api():
    def healthy(method, url, headers):
        if url.endswith("/health"):
            return 200, b'{"status":"ok","stage":"dev","version":"x"}\n'
        if url.endswith("/user"):
            return 401, b'{"Code":"UnauthorizedError","Message":"Missing token"}'
        return 404, b'{"Code":"NotFound","Message":"There is no such route"}'

    assert smoke.problems("https://api.example", "dev", healthy) == []
    assert smoke.problems("https://api.example", "prod", healthy)  # the wrong stage

    def echoing(method, url, headers):
        if "no-such-route" in url:
            return 403, ('{"message":"Authorization=' + headers["Authorization"] + '"}').encode()
        return healthy(method, url, headers)

    [problem] = smoke.problems("https://api.example", "dev", echoing)
    assert "unknown route" in problem


def test_gateway_responses_echo_nothing():
    calls = {call["responseType"]: call for call in deploy.gateway_responses()}
    assert calls["MISSING_AUTHENTICATION_TOKEN"]["statusCode"] == "404"
    assert calls["INCOMPLETE_SIGNATURE"]["statusCode"] == "404"
    for call in calls.values():
        body = call["responseTemplates"]["application/json"]
        assert "$" not in body  # no $context / $input: nothing of the request comes back
        assert set(json.loads(body)) == {"Code", "Message"}


# -- staging, configured like prod -----------------------------------------------------------

def test_staging_is_configured_like_prod():
    staging, prod = CONFIG["stages"]["staging"], CONFIG["stages"]["prod"]
    same = {key for key in prod if key not in ("iam_policy_file", "environment_variables",
                                               "tags", "lambda_functions")}
    assert {key: staging[key] for key in same} == {key: prod[key] for key in same}
    assert staging["iam_policy_file"] == "policy-staging.json"
    assert staging["environment_variables"]["STAGE"] == "staging"
    policy = (ROOT / ".chalice" / "policy-staging.json").read_text()
    assert policy.replace("staging", "prod") == (ROOT / ".chalice" / "policy-prod.json").read_text()
    assert "staging" in TEMPLATE["Parameters"]["Stage"]["AllowedValues"]
    assert "staging" in deploy.AWS_STAGES
    assert deploy.required_secrets("staging") == deploy.required_secrets("prod")
    assert deploy.unsafe_settings("staging", {"AWS_ENDPOINT_URL": "http://x"}) == \
        ["AWS_ENDPOINT_URL"]
    for table in ("UsersTable", "VideosTable"):
        assert resolve(table, "staging")["PointInTimeRecoverySpecification"] == \
            resolve(table, "prod")["PointInTimeRecoverySpecification"]
    assert resolve("NotesBucket", "staging")["VersioningConfiguration"] == {"Status": "Enabled"}


def test_every_aws_stage_tags_what_chalice_creates():
    for stage in deploy.AWS_STAGES:
        assert CONFIG["stages"][stage]["tags"] == {"app": "youtube-study-buddy", "stage": stage}


# -- observability -----------------------------------------------------------------------------

def test_the_dashboard_shows_what_the_app_measures():
    body = json.loads(resolve("Dashboard", "prod")["DashboardBody"])
    metrics = {(line[0], line[1]) for widget in body["widgets"]
               for line in widget["properties"]["metrics"]}
    assert metrics == {("StudyBuddy", "VideosProcessed"), ("StudyBuddy", "VideosFailed"),
                       ("StudyBuddy", "ProcessingSeconds"), ("StudyBuddy", "TokensUsed"),
                       ("AWS/SQS", "ApproximateAgeOfOldestMessage"),
                       ("AWS/ApiGateway", "5XXError")}
    emitted = set()
    for path in (ROOT / "chalicelib").rglob("*.py"):
        emitted |= set(re.findall(r'metric\(\s*"(\w+)"', path.read_text()))
    assert {name for namespace, name in metrics if namespace == "StudyBuddy"} <= emitted
    for widget in body["widgets"]:
        for line in widget["properties"]["metrics"]:
            if line[0] == "StudyBuddy":
                assert line[2:4] == ["Stage", "prod"]


@pytest.mark.parametrize("stage", ["dev", "staging", "prod"])
def test_access_logs_keep_the_stages_retention(stage):
    group = resolve("ApiAccessLogGroup", stage)
    assert group["RetentionInDays"] == CONFIG["stages"][stage]["log_retention_in_days"]
    patch = {op["path"]: op["value"] for op in deploy.access_log_patch("arn:aws:logs:x:1:g:*")}
    assert patch["/accessLogSettings/destinationArn"] == "arn:aws:logs:x:1:g"
    fields = json.loads(patch["/accessLogSettings/format"])
    assert {"requestId", "status", "resource"} <= set(fields)
    assert not any("authorization" in value.lower() for value in fields.values())


def test_the_duration_alarm_fires_before_the_processor_times_out():
    alarm = resolve("ProcessorDurationAlarm", "prod")
    timeout_ms = CONFIG["stages"]["prod"]["lambda_functions"]["process_video"][
        "lambda_timeout"] * 1000
    threshold = float(TEMPLATE["Parameters"]["ProcessorDurationAlarmMs"]["Default"])
    assert 0.7 * timeout_ms <= threshold < timeout_ms
    assert alarm["Dimensions"] == [{"Name": "FunctionName",
                                    "Value": "youtube-study-buddy-prod-process_video"}]
    assert alarm["Statistic"] == "Maximum"


def test_log_level_reaches_the_json_logs(monkeypatch):
    import logging

    monkeypatch.setenv("LOG_LEVEL", "DEBUG")
    monkeypatch.setattr(observability, "_configured", False)
    root = logging.getLogger()
    before = root.level
    try:
        observability.configure()
        assert root.level == logging.DEBUG
    finally:
        root.setLevel(before)
        monkeypatch.setattr(observability, "_configured", False)
    assert os.environ["LOG_LEVEL"] == "DEBUG"


# -- make credits (local stage only) ------------------------------------------------------------

def test_make_credits_is_for_the_local_stack_only(tmp_path, capsys):
    from infra.local import credits

    assert credits.main(["--email", "a@example.com", "--credits", "5",
                         "--state-dir", str(tmp_path)]) == 1
    assert "no local stack found" in capsys.readouterr().err
    (tmp_path / "outputs.json").write_text(json.dumps(
        {"AwsEndpointUrl": "https://dynamodb.us-east-1.amazonaws.com"}))
    assert credits.main(["--email", "a@example.com", "--credits", "5",
                         "--state-dir", str(tmp_path)]) == 1
    assert "is not the local emulator" in capsys.readouterr().err
    for bad in ("0", "abc", "100001"):
        assert credits.main(["--email", "a@example.com", "--credits", bad,
                             "--state-dir", str(tmp_path)]) == 2


def test_make_credits_is_an_adjustment_in_the_ledger(client, user):
    from infra.local import credits
    from tests.conftest import balance, call, ledger

    assert balance(client, user) == 3
    row = credits.grant(user["email"], 7, "test grant")
    assert row["type"] == "adjustment" and row["balance_after"] == 10
    assert row["transaction_id"].startswith(f"adjustment:{user['user_id']}:")
    with pytest.raises(credits.CreditsError, match="cannot take 50"):
        credits.grant(user["email"], -50, "too much")
    assert balance(client, user) == 10
    assert sum(r["amount"] for r in ledger(client, user)) == 10
    with pytest.raises(credits.CreditsError, match="has used the API yet"):
        credits.grant("nobody@example.com", 1, "x")
    assert call(client, "GET", "/credits", token=user["id_token"]).json_body["credits"] == 10


def open_account(client, email: str) -> dict:
    """Register with this email and make one authenticated call: its users record exists."""
    from tests.conftest import PASSWORD, balance, call

    response = call(client, "POST", "/auth/register",
                    body={"email": email, "password": PASSWORD})
    assert response.status_code == 201, response.body
    user = {**response.json_body, "email": email}
    balance(client, user)
    return user


def delete_account(stack: dict, email: str) -> None:
    """How an account is deleted: its Cognito user goes; its users record may stay."""
    from chalicelib.core import aws

    aws.client("cognito-idp").admin_delete_user(UserPoolId=stack["UserPoolId"],
                                                Username=email)


def test_make_credits_never_grants_to_a_deleted_account(client, stack):
    """An email deleted and registered again: the deleted accounts' records, one of
    which the EmailIndex returns first, get nothing; the live one gets the grant."""
    from chalicelib.core import aws, config, db
    from infra.local import credits
    from tests.conftest import balance

    email = f"again-{uuid.uuid4().hex[:10]}@example.com"
    deleted = open_account(client, email)
    delete_account(stack, email)
    with pytest.raises(credits.CreditsError, match="was deleted"):
        credits.grant(email, 5, "to nobody")
    # An older deleted account's record, whose id sorts first on the index.
    stale_id = f"00000000-0000-4000-8000-{uuid.uuid4().hex[:12]}"
    aws.client("dynamodb").put_item(TableName=config.users_table(), Item=db.to_item(
        {"user_id": stale_id, "email": email, "credits": 3, "created_at": db.now_iso()}))
    live = open_account(client, email)
    assert balance(client, live) == 0  # the bonus was this person's already
    first = aws.client("dynamodb").query(
        TableName=config.users_table(), IndexName="EmailIndex", Limit=2,
        KeyConditionExpression="email = :e", ExpressionAttributeValues=db.values(e=email))
    assert db.from_item(first["Items"][0])["user_id"] == stale_id
    row = credits.grant(email, 7, "test grant")
    assert row["user_id"] == live["user_id"] and row["balance_after"] == 7
    assert balance(client, live) == 7
    for gone in (stale_id, deleted["user_id"]):
        record = db.get(config.users_table(), {"user_id": gone}, consistent=True)
        assert record["credits"] == 3, gone


def test_make_credits_refuses_to_guess_between_two_live_accounts(client, stack):
    """Two live accounts with one email (a second sign-in with the same address):
    nothing is granted until --user-id says which."""
    from chalicelib.core import aws, config, db
    from infra.local import credits
    from tests.conftest import balance

    email = f"twice-{uuid.uuid4().hex[:10]}@example.com"
    native = open_account(client, email)
    other = aws.client("cognito-idp").admin_create_user(
        UserPoolId=stack["UserPoolId"], MessageAction="SUPPRESS",
        Username=f"federated-{uuid.uuid4().hex[:8]}@example.org")["User"]
    other_id = {a["Name"]: a["Value"] for a in other["Attributes"]}["sub"]
    aws.client("dynamodb").put_item(TableName=config.users_table(), Item=db.to_item(
        {"user_id": other_id, "email": email, "credits": 0, "created_at": db.now_iso()}))
    with pytest.raises(credits.CreditsError) as refused:
        credits.grant(email, 5, "which one?")
    assert native["user_id"] in str(refused.value) and other_id in str(refused.value)
    assert "--user-id" in str(refused.value)
    assert balance(client, native) == 3
    row = credits.grant(email, 5, "this one", user_id=native["user_id"])
    assert row["user_id"] == native["user_id"] and balance(client, native) == 8
