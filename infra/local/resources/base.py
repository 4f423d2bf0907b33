"""What every resource kind's provisioning shares: the resource as the template
declares it, what it answers to Ref and Fn::GetAtt, and the account it goes into.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


class ProvisionError(Exception):
    """A resource could not be created or reused."""


@dataclass
class PhysicalResource:
    """What a created (or reused) resource answers to Ref and Fn::GetAtt."""

    ref: str
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass
class Resource:
    logical_id: str
    type: str
    properties: dict[str, Any]
    local_name: str | None  # Metadata.LocalName: a name for resources CFN names itself


def rename(source: Mapping[str, Any], names: Mapping[str, str]) -> dict[str, Any]:
    """Copy `source`, renaming keys found in `names` (CFN spelling -> API spelling)."""
    return {names.get(key, key): value for key, value in source.items()}



class Target(Protocol):
    """The account (or emulator endpoint) being provisioned: infra.local.provision's
    Provisioner."""

    region: str

    def client(self, service: str) -> Any:
        """The boto3 client of `service` for this account and endpoint."""

    def api_request(self, resource: Resource, service: str, operation: str,
                    request: Mapping[str, Any], handled: Iterable[str] = ()) -> dict[str, Any]:
        """`request` with only the keys the API operation accepts."""

    def name(self, resource: Resource, property_name: str) -> str:
        """The resource's physical name: its name property, LocalName, or a stack name."""

