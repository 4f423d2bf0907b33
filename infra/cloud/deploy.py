"""Deploy a stage to AWS: `make deploy STAGE=dev|staging|prod` (python -m infra.cloud.deploy).

1. Create or update the CloudFormation stack `study-buddy-<stage>` from
   infra/template.yaml through a change set, as `aws cloudformation deploy` does:
   parameters not given keep their deployed values (UsePreviousValue).
2. Store the secrets found in this shell's environment (ANTHROPIC_API_KEY,
   STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET, YOUTUBE_PROXY_URL or
   WEBSHARE_PROXY_USERNAME/PASSWORD) into the stack's Secrets Manager secrets; prod
   refuses to go on while a secret it needs is empty.
3. Copy the stack outputs into the stage's environment in .chalice/config.json
   (`stage_config`, a pure function): names, URLs and secret ARNs, never a secret
   value, and never a local endpoint or JWKS override in prod.
4. Check that .chalice/policy-<stage>.json grants the functions what they need on
   the resources the stack actually created (`missing_grants`).
5. `chalice deploy --stage <stage>` with USER_POOL_ARN, VIDEO_QUEUE_NAME and
   DEAD_LETTER_QUEUE_NAME exported (app.py reads them at import, i.e. at deploy
   time). Chalice's record of what it deployed (.chalice/deployed/<stage>.json)
   is kept in the stack's DeployStateBucket, so CI and laptops update the same
   functions.
6. Set the API stage's throttling (rate 10,000/s, burst 5,000) and its access logs
   (the stack's ApiAccessLogGroup) with API Gateway UpdateStage, and the API's gateway
   responses (an unknown route is 404 {Code, Message}, echoing nothing), which Chalice
   does not do.
7. Record the deployed commit beside Chalice's deployed record in the state bucket
   (chalice/deployed/<stage>.history.json), so `make rollback STAGE=...`
   (`--rollback`) redeploys the previous one from a clean checkout of it.

`make logs STAGE=... FUNCTION=...` (`--logs FUNCTION`) fetches Chalice's deployed
record and runs `chalice logs`. staging is deployed like prod (the same refusals).

Each step's code is its own module: the stack (stack_update), the secrets
(stage_secrets), the stage's environment (stage_config), the policy (policy_check),
the API stage (api_stage), Chalice's record and the deployed commits (deploy_record).
This module runs them in order, and `logs` and `rollback`. Everything that decides
something is a pure function tested offline (tests/infra/test_deploy.py); the AWS
calls are thin and tested against the emulator.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from infra.cloud import api_stage
from infra.cloud.api_stage import (
    access_log_patch,
    apply_throttling,
    gateway_responses,
    rest_api_id,
    throttling_patch,
)
from infra.cloud.deploy_record import (
    HISTORY_KEY,
    current_commit,
    download_deployed_record,
    read_history,
    record_deployment,
    rollback_target,
    upload_deployed_record,
)
from infra.cloud.policy_check import allows, missing_grants, required_grants
from infra.cloud.stack_update import change_set_parameters, deploy_stack, stack_outputs
from infra.cloud.stage_config import (
    AWS_STAGES,
    DEPLOY_OUTPUT_ENVIRONMENT,
    PROD_LIKE_STAGES,
    ROOT,
    SECRET_OUTPUTS,
    SECRET_SETTINGS,
    DeployError,
    deploy_time_environment,
    processor_concurrency,
    stage_config,
    unsafe_settings,
)
from infra.cloud.stage_secrets import empty_secrets, required_secrets, store_secrets
from infra.template import TEMPLATE_PATH, stack_name

# The deploy's parts, importable from here as the command's public face (tests,
# operators' scripts), wherever each step keeps them.
__all__ = [
    "AWS_STAGES", "DEPLOY_OUTPUT_ENVIRONMENT", "FUNCTIONS", "SECRET_OUTPUTS",
    "SECRET_SETTINGS", "DeployError", "access_log_patch", "allows", "apply_throttling",
    "change_set_parameters", "deploy", "deploy_stack", "deploy_time_environment",
    "download_deployed_record", "empty_secrets", "gateway_responses", "logs", "main",
    "missing_grants", "parse_parameters", "processor_concurrency", "read_history",
    "record_deployment", "required_grants", "required_secrets", "rest_api_id", "rollback",
    "rollback_target", "run_chalice", "stage_config", "store_secrets", "throttling_patch",
    "unsafe_settings", "upload_deployed_record",
]

log = logging.getLogger("deploy")

FUNCTIONS = ("api_handler", "process_video", "dead_letter", "cleanup")


def deploy(stage: str, region: str, parameters: Mapping[str, str], *,
           run_chalice_deploy: bool = True, project_dir: Path = ROOT) -> dict[str, str]:
    """`make deploy`: the steps of the module docstring, in order; the stack's outputs.
    With `run_chalice_deploy` False, it stops after the config is written and checked."""
    import boto3

    _refuse_unsafe_shell(stage)
    session = boto3.session.Session(region_name=region)
    outputs = _deploy_stack(session, stage, parameters, project_dir)
    _fill_secrets(session, stage, outputs)
    config = _write_stage_config(stage, outputs, project_dir)
    _check_policy(stage, outputs, project_dir)
    if not run_chalice_deploy:
        return outputs
    s3 = session.client("s3")
    state_bucket = outputs["DeployStateBucketName"]
    _chalice_deploy(s3, state_bucket, stage, outputs, config, project_dir)
    api_id = rest_api_id(project_dir, stage)
    if api_id is None:
        raise DeployError("chalice recorded no REST API; cannot set throttling")
    api_stage.configure(session.client("apigateway"), api_id,
                        config["stages"][stage].get("api_gateway_stage", "api"),
                        outputs.get("ApiAccessLogGroupArn"))
    commit = current_commit(project_dir)
    record_deployment(s3, state_bucket, stage, commit)
    log.info("deployed %s to %s (recorded in s3://%s/%s)", commit, stage, state_bucket,
             HISTORY_KEY.format(stage=stage))
    return outputs


def _refuse_unsafe_shell(stage: str) -> None:
    """Only an AWS stage, and a prod-like one never from a shell aimed at an emulator."""
    if stage not in AWS_STAGES:
        raise DeployError(f"stage must be one of {AWS_STAGES}")
    for name in ("AWS_ENDPOINT_URL", "COGNITO_JWKS_URL"):
        if stage in PROD_LIKE_STAGES and os.environ.get(name):
            raise DeployError(f"refusing to deploy prod with {name} set in this shell")


def _deploy_stack(session: Any, stage: str, parameters: Mapping[str, str],
                  project_dir: Path) -> dict[str, str]:
    """Step 1: the stack created or updated; its outputs."""
    given = {"Stage": stage, **parameters}
    # The /auth/* rate rule attaches to the REST API chalice made on an earlier deploy
    # (template parameter RestApiId; kept by later deploys once given).
    known_api = rest_api_id(project_dir, stage)
    if known_api and "RestApiId" not in given:
        given["RestApiId"] = known_api
    outputs = deploy_stack(session.client("cloudformation"), stack_name(stage),
                           TEMPLATE_PATH.read_text(), given,
                           tags={"app": "youtube-study-buddy", "stage": stage})
    log.info("stack outputs: %s", ", ".join(sorted(outputs)))
    return outputs


def _fill_secrets(session: Any, stage: str, outputs: Mapping[str, str]) -> None:
    """Step 2: the shell's secrets stored; refused while a secret the stage needs is
    empty (a dev stage runs without the others, with those features off)."""
    secretsmanager = session.client("secretsmanager")
    for key in store_secrets(secretsmanager, outputs, os.environ):
        log.info("stored a new value in %s", key)
    needed = required_secrets(stage, os.environ.get("NOTES_PROVIDER"))
    empty = empty_secrets(secretsmanager, outputs, needed)
    unfilled = empty_secrets(secretsmanager, outputs, required_secrets("prod"))
    if stage not in PROD_LIKE_STAGES and unfilled:
        log.warning("%s runs without these secrets (features off): %s", stage,
                    ", ".join(unfilled))
    if empty:
        raise DeployError(
            f"{stage} needs these secrets, which are empty: {', '.join(empty)}. Run again "
            "with them in the environment (e.g. STRIPE_SECRET_KEY=... make deploy "
            f"STAGE={stage}) or put them with `aws secretsmanager put-secret-value`.")


def _write_stage_config(stage: str, outputs: Mapping[str, str],
                        project_dir: Path) -> dict[str, Any]:
    """Step 3: the stack's outputs into the stage's environment in .chalice/config.json."""
    config_path = project_dir / ".chalice" / "config.json"
    config = stage_config(json.loads(config_path.read_text()), stage, outputs)
    write_json(config_path, config)
    log.info("wrote the %s environment into %s", stage, config_path)
    return config


def _check_policy(stage: str, outputs: Mapping[str, str], project_dir: Path) -> None:
    """Step 4: the stage's policy grants what the functions need on the stack's resources."""
    policy_path = project_dir / ".chalice" / f"policy-{stage}.json"
    missing = missing_grants(json.loads(policy_path.read_text()), outputs)
    if missing:
        raise DeployError(f"{policy_path.name} does not grant: " + "; ".join(missing))


def _chalice_deploy(s3: Any, state_bucket: str, stage: str, outputs: Mapping[str, str],
                    config: Mapping[str, Any], project_dir: Path) -> None:
    """Step 5: `chalice deploy`, from and back to the deployed record in the bucket."""
    if download_deployed_record(s3, state_bucket, stage, project_dir):
        log.info("using the deployed record from s3://%s", state_bucket)
    run_chalice(stage, {**deploy_time_environment(outputs),
                        "PROCESSOR_MAX_CONCURRENCY": str(processor_concurrency(config, stage))},
                project_dir)
    upload_deployed_record(s3, state_bucket, stage, project_dir)


def run_chalice(stage: str, extra_env: Mapping[str, str], project_dir: Path) -> None:
    """`chalice deploy --stage` with `extra_env`, and without the shell's secrets."""
    chalice = Path(sys.executable).with_name("chalice")
    command = [str(chalice) if chalice.exists() else "chalice", "deploy", "--stage", stage]
    log.info("running %s", " ".join(command))
    environment = {**os.environ, **extra_env}
    # Secret values of the deploying shell are for step 2 only.
    for name in SECRET_SETTINGS:
        environment.pop(name, None)
    subprocess.run(command, cwd=project_dir, env=environment, check=True)


def write_json(path: Path, data: Mapping[str, Any]) -> None:
    partial = path.with_name(path.name + ".tmp")
    partial.write_text(json.dumps(data, indent=2) + "\n")
    partial.replace(path)


def parse_parameters(items: Sequence[str]) -> dict[str, str]:
    parameters: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise DeployError(f"parameter {item!r}: expected KEY=VALUE")
        parameters[key] = value
    return parameters


def _state_bucket(session: Any, stage: str) -> str:
    outputs = stack_outputs(session.client("cloudformation"), stack_name(stage))
    if "DeployStateBucketName" not in outputs:
        raise DeployError(f"stack {stack_name(stage)} has no DeployStateBucketName: deploy "
                          f"it first (make deploy STAGE={stage})")
    return outputs["DeployStateBucketName"]


def logs(stage: str, region: str, function: str, since: str, follow: bool,
         project_dir: Path = ROOT) -> int:
    """`make logs`: the function's CloudWatch logs through `chalice logs`."""
    import boto3

    if function not in FUNCTIONS:
        raise DeployError(f"FUNCTION must be one of {', '.join(FUNCTIONS)}")
    session = boto3.session.Session(region_name=region)
    if not download_deployed_record(session.client("s3"), _state_bucket(session, stage),
                                    stage, project_dir):
        raise DeployError(f"{stage} has no deployed record yet: nothing to read logs of")
    chalice = Path(sys.executable).with_name("chalice")
    command = [str(chalice) if chalice.exists() else "chalice", "logs", "--stage", stage,
               "--name", function, "--since", since, *(["--follow"] if follow else [])]
    return subprocess.run(command, cwd=project_dir,
                          env={**os.environ, "AWS_DEFAULT_REGION": region}).returncode


def rollback(stage: str, region: str, project_dir: Path = ROOT) -> int:
    """`make rollback`: redeploy the previously deployed commit, from a clean checkout
    of it (its own template, config and code), with this same Python."""
    import tempfile

    import boto3

    session = boto3.session.Session(region_name=region)
    target = rollback_target(read_history(session.client("s3"),
                                          _state_bucket(session, stage), stage))
    log.info("rolling %s back to %s", stage, target)
    with tempfile.TemporaryDirectory(prefix="study-buddy-rollback-") as scratch:
        checkout = Path(scratch) / "checkout"
        subprocess.run(["git", "fetch", "--quiet", "origin", target], cwd=project_dir,
                       check=False, capture_output=True)
        subprocess.run(["git", "worktree", "add", "--detach", str(checkout), target],
                       cwd=project_dir, check=True)
        try:
            return subprocess.run([sys.executable, "-m", "infra.cloud.deploy", "--stage", stage,
                                   "--region", region], cwd=checkout,
                                  env={**os.environ, "GITHUB_SHA": target}).returncode
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(checkout)],
                           cwd=project_dir, check=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stage", required=True, choices=AWS_STAGES)
    parser.add_argument("--region", default=os.environ.get("AWS_REGION")
                        or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1")
    parser.add_argument("--parameter", action="append", default=[], metavar="KEY=VALUE",
                        help="a template parameter (repeatable); others keep their values")
    parser.add_argument("--stack-only", action="store_true",
                        help="deploy the stack and write the config; skip chalice deploy")
    parser.add_argument("--rollback", action="store_true",
                        help="redeploy the commit deployed before the current one")
    parser.add_argument("--logs", metavar="FUNCTION", choices=FUNCTIONS,
                        help="show the function's CloudWatch logs (chalice logs)")
    parser.add_argument("--since", default="1h", help="with --logs: e.g. 10m, 1h, 2d")
    parser.add_argument("--follow", action="store_true", help="with --logs: keep polling")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("botocore").setLevel(logging.WARNING)
    try:
        if args.logs:
            return logs(args.stage, args.region, args.logs, args.since, args.follow)
        if args.rollback:
            return rollback(args.stage, args.region)
        parameters = parse_parameters(args.parameter)
        deploy(args.stage, args.region, parameters, run_chalice_deploy=not args.stack_only)
    except DeployError as exc:
        print(f"deploy refused: {exc}", file=sys.stderr)
        return 1
    except subprocess.CalledProcessError as exc:
        print(f"chalice deploy failed (exit {exc.returncode})", file=sys.stderr)
        return exc.returncode or 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
