"""Create the resources of infra/template.yaml with plain boto3 calls.

On AWS the template is deployed by CloudFormation. Locally (the moto emulator,
LocalStack) CloudFormation either does not exist or skips Cognito, so this module
reads the same template, evaluates it for a stage, and makes the API calls itself:
the template stays the one source of truth for names, keys, indexes and settings.

Every step is idempotent: an existing table, queue, bucket, user pool or client is
reused (and its cheap, safely re-appliable settings converged), so `make run` can
provision on every start without losing data. Resource types this module does not
know (alarms, SNS topics, budgets...) are skipped with a log line.

CLI: python -m infra.local.provision --stage local --endpoint-url http://127.0.0.1:4566 \
         --out .local/outputs.json
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.core import aws
from infra.template import (
    NO_VALUE,
    TEMPLATE_PATH,
    CfnError,
    Resolver,
    UnresolvableError,
    creation_order,
    load_template,
    stack_name,
)

log = logging.getLogger(__name__)

class ProvisionError(Exception):
    """A resource could not be created or reused."""


@dataclass
class PhysicalResource:
    """What a created (or reused) resource answers to Ref and Fn::GetAtt."""

    ref: str
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Resource:
    logical_id: str
    type: str
    properties: dict[str, Any]
    local_name: str | None  # Metadata.LocalName: a name for resources CFN names itself


def _rename(source: Mapping[str, Any], names: Mapping[str, str]) -> dict[str, Any]:
    """Copy `source`, renaming keys found in `names` (CFN spelling -> API spelling)."""
    return {names.get(key, key): value for key, value in source.items()}


class Provisioner:
    """Provisions one stage of the template into one account/endpoint."""

    def __init__(
        self,
        stage: str,
        region: str = "us-east-1",
        parameters: Mapping[str, Any] | None = None,
        *,
        endpoint_url: str | None = None,
        template: Mapping[str, Any] | None = None,
        session: boto3.session.Session | None = None,
    ) -> None:
        self.stage = stage
        self.region = region
        self.endpoint_url = endpoint_url
        self.template = template if template is not None else load_template(TEMPLATE_PATH)
        # A private session: boto3's default session is not thread-safe.
        self.session = session or boto3.session.Session(region_name=region)
        self._clients: dict[str, Any] = {}
        self.physical: dict[str, PhysicalResource] = {}
        self.skipped: dict[str, str] = {}

        given = dict(parameters or {})
        given["Stage"] = stage
        try:
            account_id = self._client("sts").get_caller_identity()["Account"]
        except (BotoCoreError, ClientError) as exc:
            where = endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or "AWS"
            raise ProvisionError(f"cannot reach {where}: {exc}") from exc
        self.resolver = Resolver(
            self.template,
            given,
            lookup=self._lookup,
            region=region,
            account_id=account_id,
            stack_name=stack_name(stage),
        )
        self._handlers: dict[str, Callable[[_Resource], PhysicalResource]] = {
            "AWS::Cognito::UserPool": self._user_pool,
            "AWS::Cognito::UserPoolClient": self._user_pool_client,
            "AWS::DynamoDB::Table": self._table,
            "AWS::S3::Bucket": self._bucket,
            "AWS::SQS::Queue": self._queue,
        }

    # -- plumbing ------------------------------------------------------------

    def _client(self, service: str) -> Any:
        if service not in self._clients:
            # endpoint_url=None lets boto3 apply AWS_ENDPOINT_URL(_<SERVICE>) itself.
            self._clients[service] = self.session.client(
                service, region_name=self.region, endpoint_url=self.endpoint_url
            )
        return self._clients[service]

    def _lookup(self, logical_id: str, attribute: str | None) -> Any:
        if logical_id in self.skipped:
            raise UnresolvableError(
                f"{logical_id} ({self.skipped[logical_id]}) is not provisioned locally"
            )
        resource = self.physical.get(logical_id)
        if resource is None:
            raise CfnError(f"{logical_id} is referenced before it exists")
        if attribute is None:
            return resource.ref
        if attribute not in resource.attributes:
            raise CfnError(f"{logical_id} has no attribute {attribute} locally")
        return resource.attributes[attribute]

    def _api_request(
        self,
        resource: _Resource,
        service: str,
        operation: str,
        request: Mapping[str, Any],
        handled: Iterable[str] = (),
    ) -> dict[str, Any]:
        """Keep the keys the API operation accepts; warn about the rest (minus
        `handled`, the ones applied by other calls) instead of failing, so that
        a property added to the template never breaks `make run`."""
        model = self._client(service).meta.service_model.operation_model(operation)
        members = set(model.input_shape.members)
        for key in sorted(set(request) - members - set(handled)):
            log.debug("%s: property %s is not applied locally", resource.logical_id, key)
        return {key: value for key, value in request.items() if key in members}

    def _name(self, resource: _Resource, property_name: str) -> str:
        name = resource.properties.get(property_name) or resource.local_name
        return str(name or f"{stack_name(self.stage)}-{resource.logical_id}")

    # -- the run -------------------------------------------------------------

    def run(self) -> dict[str, str]:
        """Create or reuse every resource; return the template's Outputs."""
        resources: Mapping[str, Any] = self.template["Resources"]
        for logical_id in creation_order(self.template):
            section = resources[logical_id]
            kind = section.get("Type", "")
            if not self.resolver.is_enabled(section):
                self.skipped[logical_id] = f"{kind}, condition false"
                continue
            handler = self._handlers.get(kind)
            if handler is None:
                log.debug("%s: %s is not provisioned locally; skipped", logical_id, kind)
                self.skipped[logical_id] = kind
                continue
            resource = _Resource(
                logical_id,
                kind,
                self._properties(logical_id, section.get("Properties") or {}),
                self._local_name(section),
            )
            try:
                self.physical[logical_id] = handler(resource)
            except (BotoCoreError, ClientError) as exc:
                raise ProvisionError(f"{logical_id} ({kind}): {exc}") from exc
        return self.outputs()

    def _properties(self, logical_id: str, properties: Mapping[str, Any]) -> dict[str, Any]:
        resolved: dict[str, Any] = {}
        for key, value in properties.items():
            try:
                value = self.resolver.resolve(value)
            except UnresolvableError as exc:
                # E.g. a notification target that is an (unprovisioned) SNS topic.
                log.warning("%s: property %s dropped: %s", logical_id, key, exc)
                continue
            if value is not None and value is not NO_VALUE:
                resolved[key] = value
        return resolved

    def _local_name(self, section: Mapping[str, Any]) -> str | None:
        metadata = section.get("Metadata") or {}
        if "LocalName" not in metadata:
            return None
        return str(self.resolver.resolve(metadata["LocalName"]))

    def outputs(self) -> dict[str, str]:
        """The template's Outputs evaluated against what has been provisioned."""
        result: dict[str, str] = {}
        for key, output in (self.template.get("Outputs") or {}).items():
            if not self.resolver.is_enabled(output):
                continue
            try:
                value = self.resolver.resolve(output["Value"])
            except UnresolvableError as exc:
                log.debug("output %s skipped: %s", key, exc)
                continue
            result[key] = ",".join(map(str, value)) if isinstance(value, list) else str(value)
        return result

    # -- Cognito -------------------------------------------------------------

    def _user_pool(self, resource: _Resource) -> PhysicalResource:
        cognito = self._client("cognito-idp")
        name = self._name(resource, "UserPoolName")
        matches = [pool for pool in self._list_user_pools() if pool["Name"] == name]
        if len(matches) > 1:
            raise ProvisionError(f"{len(matches)} user pools are named {name}; keep one")
        if matches:
            # Reused as is: UpdateUserPool cannot change the schema or username
            # attributes, and moto's version drops every setting it is not given.
            pool_id = matches[0]["Id"]
            pool = cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]
            log.debug("%s: reusing user pool %s", resource.logical_id, pool_id)
        else:
            request = _rename(resource.properties, {"UserPoolName": "PoolName"})
            request["PoolName"] = name
            request = self._api_request(
                resource, "cognito-idp", "CreateUserPool", request, handled=("EnabledMfas",)
            )
            pool = cognito.create_user_pool(**request)["UserPool"]
            log.debug("%s: created user pool %s", resource.logical_id, pool["Id"])
        self._converge_mfa(pool["Id"], resource.properties)
        provider = f"cognito-idp.{self.region}.amazonaws.com/{pool['Id']}"
        return PhysicalResource(
            pool["Id"],
            {
                "Arn": pool["Arn"],
                "UserPoolId": pool["Id"],
                "ProviderName": provider,
                "ProviderURL": f"https://{provider}",
            },
        )

    def _converge_mfa(self, pool_id: str, props: Mapping[str, Any]) -> None:
        """EnabledMfas is CloudFormation's; the API sets it with SetUserPoolMfaConfig
        (idempotent). Only authenticator apps: SMS needs an SNS role."""
        enabled = props.get("EnabledMfas") or []
        if "SOFTWARE_TOKEN_MFA" not in enabled:
            return
        self._client("cognito-idp").set_user_pool_mfa_config(
            UserPoolId=pool_id,
            SoftwareTokenMfaConfiguration={"Enabled": True},
            MfaConfiguration=props.get("MfaConfiguration", "OPTIONAL"),
        )

    def _list_user_pools(self) -> list[dict[str, Any]]:
        cognito = self._client("cognito-idp")
        pools: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"MaxResults": 60}
        while True:
            page = cognito.list_user_pools(**kwargs)
            pools.extend(page.get("UserPools", []))
            if not page.get("NextToken"):
                return pools
            kwargs["NextToken"] = page["NextToken"]

    def _user_pool_client(self, resource: _Resource) -> PhysicalResource:
        cognito = self._client("cognito-idp")
        pool_id = resource.properties["UserPoolId"]
        name = self._name(resource, "ClientName")
        existing = None
        kwargs: dict[str, Any] = {"UserPoolId": pool_id, "MaxResults": 60}
        while existing is None:
            page = cognito.list_user_pool_clients(**kwargs)
            existing = next(
                (c for c in page.get("UserPoolClients", []) if c["ClientName"] == name), None
            )
            if not page.get("NextToken"):
                break
            kwargs["NextToken"] = page["NextToken"]
        if existing is not None:
            # Converge: UpdateUserPoolClient resets what it is not given, and we
            # give it every template property (GenerateSecret is fixed at creation).
            request = dict(resource.properties, ClientName=name, ClientId=existing["ClientId"])
            request = self._api_request(
                resource, "cognito-idp", "UpdateUserPoolClient", request,
                handled=("GenerateSecret",),
            )
            client = cognito.update_user_pool_client(**request)["UserPoolClient"]
            log.debug("%s: reusing app client %s", resource.logical_id, client["ClientId"])
        else:
            request = dict(resource.properties, ClientName=name)
            request = self._api_request(
                resource, "cognito-idp", "CreateUserPoolClient", request
            )
            client = cognito.create_user_pool_client(**request)["UserPoolClient"]
            log.debug("%s: created app client %s", resource.logical_id, client["ClientId"])
        attributes = {"ClientId": client["ClientId"], "Name": client["ClientName"]}
        if client.get("ClientSecret"):
            attributes["ClientSecret"] = client["ClientSecret"]
        return PhysicalResource(client["ClientId"], attributes)

    # -- DynamoDB ------------------------------------------------------------

    def _table(self, resource: _Resource) -> PhysicalResource:
        dynamodb = self._client("dynamodb")
        props = resource.properties
        name = self._name(resource, "TableName")
        try:
            table = dynamodb.describe_table(TableName=name)["Table"]
            log.debug("%s: reusing table %s", resource.logical_id, name)
            self._add_missing_indexes(resource, name, table)
        except ClientError as exc:
            if aws.error_code(exc) != "ResourceNotFoundException":
                raise
            request = self._api_request(
                resource,
                "dynamodb",
                "CreateTable",
                _table_request(props, name),
                handled=("TimeToLiveSpecification", "PointInTimeRecoverySpecification"),
            )
            dynamodb.create_table(**request)
            dynamodb.get_waiter("table_exists").wait(
                TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 120}
            )
            table = dynamodb.describe_table(TableName=name)["Table"]
            log.debug("%s: created table %s", resource.logical_id, name)

        ttl = props.get("TimeToLiveSpecification")
        if ttl:
            self._converge_ttl(name, ttl)
        pitr = props.get("PointInTimeRecoverySpecification")
        if pitr:
            # Idempotent on AWS and moto alike.
            dynamodb.update_continuous_backups(
                TableName=name, PointInTimeRecoverySpecification=pitr
            )
        attributes = {"Arn": table["TableArn"]}
        if table.get("LatestStreamArn"):
            attributes["StreamArn"] = table["LatestStreamArn"]
        return PhysicalResource(name, attributes)

    def _add_missing_indexes(
        self, resource: _Resource, name: str, table: Mapping[str, Any]
    ) -> None:
        """A reused table gets the GSIs added to the template since it was created
        (local data survives restarts, the template moves on)."""
        dynamodb = self._client("dynamodb")
        present = {index["IndexName"] for index in table.get("GlobalSecondaryIndexes", [])}
        wanted = _table_request(resource.properties, name).get("GlobalSecondaryIndexes", [])
        for index in wanted:
            if index["IndexName"] in present:
                continue
            # AWS allows one index creation per UpdateTable call.
            dynamodb.update_table(
                TableName=name,
                AttributeDefinitions=resource.properties["AttributeDefinitions"],
                GlobalSecondaryIndexUpdates=[{"Create": index}],
            )
            self._wait_for_index(name, index["IndexName"])
            log.debug("%s: added index %s", resource.logical_id, index["IndexName"])

    def _wait_for_index(self, table_name: str, index_name: str, timeout: float = 600) -> None:
        dynamodb = self._client("dynamodb")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            table = dynamodb.describe_table(TableName=table_name)["Table"]
            statuses = {
                index["IndexName"]: index.get("IndexStatus", "ACTIVE")
                for index in table.get("GlobalSecondaryIndexes", [])
            }
            if statuses.get(index_name) == "ACTIVE":
                return
            time.sleep(2)
        raise ProvisionError(f"index {index_name} of {table_name} did not become ACTIVE")

    def _converge_ttl(self, name: str, ttl: Mapping[str, Any]) -> None:
        dynamodb = self._client("dynamodb")
        current = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        enabled = current.get("TimeToLiveStatus") in ("ENABLED", "ENABLING")
        same_attribute = current.get("AttributeName") == ttl["AttributeName"]
        if bool(ttl.get("Enabled")) == enabled and (same_attribute or not enabled):
            return  # AWS rejects a TTL update that changes nothing.
        dynamodb.update_time_to_live(
            TableName=name,
            TimeToLiveSpecification={
                "AttributeName": ttl["AttributeName"],
                "Enabled": bool(ttl.get("Enabled")),
            },
        )

    # -- S3 ------------------------------------------------------------------

    def _bucket(self, resource: _Resource) -> PhysicalResource:
        s3 = self._client("s3")
        props = resource.properties
        # Bucket names are lowercase; CFN's own generated names are too.
        name = self._name(resource, "BucketName").lower()
        handled = {
            "BucketName", "BucketEncryption", "PublicAccessBlockConfiguration",
            "VersioningConfiguration", "CorsConfiguration", "LifecycleConfiguration", "Tags",
        }
        for key in sorted(set(props) - handled):
            log.debug("%s: property %s is not applied locally", resource.logical_id, key)

        if self._bucket_exists(name):
            log.debug("%s: reusing bucket %s", resource.logical_id, name)
        else:
            request: dict[str, Any] = {"Bucket": name}
            if self.region != "us-east-1":  # us-east-1 rejects an explicit constraint
                request["CreateBucketConfiguration"] = {"LocationConstraint": self.region}
            try:
                s3.create_bucket(**request)
            except ClientError as exc:
                if aws.error_code(exc) != "BucketAlreadyOwnedByYou":
                    raise
            log.debug("%s: created bucket %s", resource.logical_id, name)

        # Every put below replaces the whole setting, so re-applying converges.
        if "BucketEncryption" in props:
            s3.put_bucket_encryption(
                Bucket=name,
                ServerSideEncryptionConfiguration=_encryption_request(props["BucketEncryption"]),
            )
        if "PublicAccessBlockConfiguration" in props:
            s3.put_public_access_block(
                Bucket=name,
                PublicAccessBlockConfiguration=props["PublicAccessBlockConfiguration"],
            )
        if "VersioningConfiguration" in props:
            s3.put_bucket_versioning(
                Bucket=name,
                VersioningConfiguration={"Status": props["VersioningConfiguration"]["Status"]},
            )
        if "CorsConfiguration" in props:
            s3.put_bucket_cors(
                Bucket=name, CORSConfiguration=_cors_request(props["CorsConfiguration"])
            )
        if "LifecycleConfiguration" in props:
            s3.put_bucket_lifecycle_configuration(
                Bucket=name,
                LifecycleConfiguration=_lifecycle_request(props["LifecycleConfiguration"]),
            )
        if props.get("Tags"):
            s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": props["Tags"]})

        return PhysicalResource(
            name,
            {
                "Arn": f"arn:aws:s3:::{name}",
                "DomainName": f"{name}.s3.amazonaws.com",
                "RegionalDomainName": f"{name}.s3.{self.region}.amazonaws.com",
                "DualStackDomainName": f"{name}.s3.dualstack.{self.region}.amazonaws.com",
                "WebsiteURL": f"http://{name}.s3-website-{self.region}.amazonaws.com",
            },
        )

    def _bucket_exists(self, name: str) -> bool:
        try:
            self._client("s3").head_bucket(Bucket=name)
            return True
        except ClientError as exc:
            if aws.error_code(exc) in ("404", "NoSuchBucket", "NotFound"):
                return False
            # 403: the name is taken by another account; creating would fail too.
            raise ProvisionError(f"bucket {name} exists but is not usable: {exc}") from exc

    # -- SQS -----------------------------------------------------------------

    def _queue(self, resource: _Resource) -> PhysicalResource:
        sqs = self._client("sqs")
        props = resource.properties
        name = self._name(resource, "QueueName")
        if props.get("FifoQueue") and not name.endswith(".fifo"):
            name += ".fifo"
        valid = set(sqs.meta.service_model.shape_for("QueueAttributeName").enum)
        attributes: dict[str, str] = {}
        for key, value in props.items():
            if key in ("QueueName", "Tags"):
                continue
            if key not in valid:
                log.debug("%s: property %s is not applied locally", resource.logical_id, key)
                continue
            attributes[key] = _sqs_attribute(value)

        try:
            url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
        except ClientError as exc:
            if aws.error_code(exc) not in (
                "AWS.SimpleQueueService.NonExistentQueue",
                "QueueDoesNotExist",
            ):
                raise
            request: dict[str, Any] = {"QueueName": name, "Attributes": attributes}
            if props.get("Tags"):
                request["tags"] = {tag["Key"]: tag["Value"] for tag in props["Tags"]}
            url = sqs.create_queue(**request)["QueueUrl"]
            log.debug("%s: created queue %s", resource.logical_id, name)
        else:
            log.debug("%s: reusing queue %s", resource.logical_id, name)
            # FifoQueue is fixed at creation; everything else can be converged.
            mutable = {k: v for k, v in attributes.items() if k != "FifoQueue"}
            if mutable:
                sqs.set_queue_attributes(QueueUrl=url, Attributes=mutable)

        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        return PhysicalResource(url, {"Arn": arn, "QueueName": name, "QueueUrl": url})


# ---------------------------------------------------------------------------
# CloudFormation property shapes -> API request shapes
# ---------------------------------------------------------------------------


def _table_request(props: Mapping[str, Any], name: str) -> dict[str, Any]:
    request = dict(props, TableName=name)
    request.pop("TimeToLiveSpecification", None)
    request.pop("PointInTimeRecoverySpecification", None)
    if "GlobalSecondaryIndexes" in props:
        # ContributorInsightsSpecification exists on the CFN index only.
        request["GlobalSecondaryIndexes"] = [
            {k: v for k, v in index.items() if k != "ContributorInsightsSpecification"}
            for index in props["GlobalSecondaryIndexes"]
        ]
    if "SSESpecification" in props:
        request["SSESpecification"] = _rename(props["SSESpecification"], {"SSEEnabled": "Enabled"})
    if "StreamSpecification" in props:
        request["StreamSpecification"] = dict(props["StreamSpecification"], StreamEnabled=True)
    return request


def _encryption_request(encryption: Mapping[str, Any]) -> dict[str, Any]:
    names = {"ServerSideEncryptionByDefault": "ApplyServerSideEncryptionByDefault"}
    rules = encryption["ServerSideEncryptionConfiguration"]
    return {"Rules": [_rename(rule, names) for rule in rules]}


def _cors_request(cors: Mapping[str, Any]) -> dict[str, Any]:
    names = {"ExposedHeaders": "ExposeHeaders", "Id": "ID", "MaxAge": "MaxAgeSeconds"}
    return {"CORSRules": [_rename(rule, names) for rule in cors["CorsRules"]]}


def _lifecycle_request(lifecycle: Mapping[str, Any]) -> dict[str, Any]:
    rules = []
    for rule in lifecycle["Rules"]:
        api: dict[str, Any] = {"Status": rule["Status"]}
        if "Id" in rule:
            api["ID"] = rule["Id"]
        tags = rule.get("TagFilters") or []
        prefix = rule.get("Prefix", "")
        if tags:
            api["Filter"] = {"And": {"Prefix": prefix, "Tags": tags}}
        else:
            api["Filter"] = {"Prefix": prefix}
        expiration = {}
        if "ExpirationInDays" in rule:
            expiration["Days"] = rule["ExpirationInDays"]
        if "ExpirationDate" in rule:
            expiration["Date"] = rule["ExpirationDate"]
        if "ExpiredObjectDeleteMarker" in rule:
            expiration["ExpiredObjectDeleteMarker"] = rule["ExpiredObjectDeleteMarker"]
        if expiration:
            api["Expiration"] = expiration
        if "NoncurrentVersionExpiration" in rule:
            api["NoncurrentVersionExpiration"] = rule["NoncurrentVersionExpiration"]
        elif "NoncurrentVersionExpirationInDays" in rule:
            api["NoncurrentVersionExpiration"] = {
                "NoncurrentDays": rule["NoncurrentVersionExpirationInDays"]
            }
        if "AbortIncompleteMultipartUpload" in rule:
            api["AbortIncompleteMultipartUpload"] = rule["AbortIncompleteMultipartUpload"]
        if "Transitions" in rule:
            api["Transitions"] = [
                _rename(t, {"TransitionInDays": "Days", "TransitionDate": "Date"})
                for t in rule["Transitions"]
            ]
        if "NoncurrentVersionTransitions" in rule:
            api["NoncurrentVersionTransitions"] = [
                _rename(t, {"TransitionInDays": "NoncurrentDays"})
                for t in rule["NoncurrentVersionTransitions"]
            ]
        rules.append(api)
    return {"Rules": rules}


def _sqs_attribute(value: Any) -> str:
    # SQS attributes are strings; CFN lets RedrivePolicy be a JSON object.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


# ---------------------------------------------------------------------------
# Public entry points
# ---------------------------------------------------------------------------


def provision(
    stage: str,
    region: str = "us-east-1",
    parameters: dict[str, Any] | None = None,
    *,
    endpoint_url: str | None = None,
    template_path: str | Path = TEMPLATE_PATH,
) -> dict[str, str]:
    """Create (or reuse) every resource of the template for `stage` and return
    the template's Outputs with their real values.

    Endpoint: `endpoint_url`, else boto3's own AWS_ENDPOINT_URL handling.
    """
    provisioner = Provisioner(
        stage,
        region,
        parameters,
        endpoint_url=endpoint_url,
        template=load_template(template_path),
    )
    return provisioner.run()


def write_outputs(outputs: Mapping[str, str], path: str | Path) -> None:
    """Write outputs as JSON, atomically (readers never see half a file)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".tmp")
    partial.write_text(json.dumps(dict(outputs), indent=2, sort_keys=True) + "\n")
    partial.replace(target)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stage", required=True)
    parser.add_argument(
        "--region", default=os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    )
    parser.add_argument("--endpoint-url", default=None)
    parser.add_argument("--out", default=None, help="write the outputs JSON here")
    parser.add_argument(
        "--parameter",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a template parameter (repeatable)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    logging.getLogger("botocore").setLevel(logging.WARNING)

    parameters: dict[str, Any] = {}
    for item in args.parameter:
        key, sep, value = item.partition("=")
        if not sep:
            parser.error(f"--parameter {item!r}: expected KEY=VALUE")
        parameters[key] = value
    try:
        outputs = provision(
            args.stage, args.region, parameters, endpoint_url=args.endpoint_url
        )
    except (CfnError, ProvisionError) as exc:
        print(f"provision failed: {exc}", file=sys.stderr)
        return 1
    if args.out:
        write_outputs(outputs, args.out)
    json.dump(outputs, sys.stdout, indent=2, sort_keys=True)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())

