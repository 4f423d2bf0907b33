"""Create the resources of infra/template.yaml with plain boto3 calls.

On AWS the template is deployed by CloudFormation. Locally (the moto emulator,
LocalStack) CloudFormation either does not exist or skips Cognito, so this module
reads the same template, evaluates it for a stage, and makes the API calls itself:
the template stays the one source of truth for names, keys, indexes and settings.

Every step is idempotent: an existing table, queue, bucket, user pool or client is
reused (and its cheap, safely re-appliable settings converged), so `make run` can
provision on every start without losing data. Each resource kind's calls are in
infra.local.resources (one module per kind); resource types it does not know (alarms,
SNS topics, budgets...) are skipped with a log line.

CLI: python -m infra.local.provision --stage local --endpoint-url http://127.0.0.1:4566 \
         --out .local/outputs.json
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from infra.local.resources import HANDLERS
from infra.local.resources.base import PhysicalResource, ProvisionError, Resource
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
            account_id = self.client("sts").get_caller_identity()["Account"]
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

    # -- plumbing ------------------------------------------------------------

    def client(self, service: str) -> Any:
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

    def api_request(
        self,
        resource: Resource,
        service: str,
        operation: str,
        request: Mapping[str, Any],
        handled: Iterable[str] = (),
    ) -> dict[str, Any]:
        """Keep the keys the API operation accepts; warn about the rest (minus
        `handled`, the ones applied by other calls) instead of failing, so that
        a property added to the template never breaks `make run`."""
        model = self.client(service).meta.service_model.operation_model(operation)
        members = set(model.input_shape.members)
        for key in sorted(set(request) - members - set(handled)):
            log.debug("%s: property %s is not applied locally", resource.logical_id, key)
        return {key: value for key, value in request.items() if key in members}

    def name(self, resource: Resource, property_name: str) -> str:
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
            handler = HANDLERS.get(kind)
            if handler is None:
                log.debug("%s: %s is not provisioned locally; skipped", logical_id, kind)
                self.skipped[logical_id] = kind
                continue
            resource = Resource(
                logical_id,
                kind,
                self._properties(logical_id, section.get("Properties") or {}),
                self._local_name(section),
            )
            try:
                self.physical[logical_id] = handler(self, resource)
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

