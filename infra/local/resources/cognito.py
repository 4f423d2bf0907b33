"""Cognito user pools and app clients, created or reused by name.

A reused pool is kept as is (UpdateUserPool cannot change the schema or username
attributes, and moto's version drops every setting it is not given); an app client is
converged to the template's properties; MFA (authenticator apps) is set through
SetUserPoolMfaConfig.
"""
from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from infra.local.resources.base import PhysicalResource, ProvisionError, Resource, Target, rename

log = logging.getLogger("infra.local.provision")


def user_pool(target: Target, resource: Resource) -> PhysicalResource:
    """The user pool of that name (exactly one), created if there is none."""
    cognito = target.client("cognito-idp")
    name = target.name(resource, "UserPoolName")
    matches = [pool for pool in _list_user_pools(target) if pool["Name"] == name]
    if len(matches) > 1:
        raise ProvisionError(f"{len(matches)} user pools are named {name}; keep one")
    if matches:
        # Reused as is: UpdateUserPool cannot change the schema or username
        # attributes, and moto's version drops every setting it is not given.
        pool_id = matches[0]["Id"]
        pool = cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]
        log.debug("%s: reusing user pool %s", resource.logical_id, pool_id)
    else:
        request = rename(resource.properties, {"UserPoolName": "PoolName"})
        request["PoolName"] = name
        request = target.api_request(
            resource, "cognito-idp", "CreateUserPool", request, handled=("EnabledMfas",)
        )
        pool = cognito.create_user_pool(**request)["UserPool"]
        log.debug("%s: created user pool %s", resource.logical_id, pool["Id"])
    _converge_mfa(target, pool["Id"], resource.properties)
    provider = f"cognito-idp.{target.region}.amazonaws.com/{pool['Id']}"
    return PhysicalResource(
        pool["Id"],
        {
            "Arn": pool["Arn"],
            "UserPoolId": pool["Id"],
            "ProviderName": provider,
            "ProviderURL": f"https://{provider}",
        },
    )


def _converge_mfa(target: Target, pool_id: str, props: Mapping[str, Any]) -> None:
    """EnabledMfas is CloudFormation's; the API sets it with SetUserPoolMfaConfig
    (idempotent). Only authenticator apps: SMS needs an SNS role."""
    enabled = props.get("EnabledMfas") or []
    if "SOFTWARE_TOKEN_MFA" not in enabled:
        return
    target.client("cognito-idp").set_user_pool_mfa_config(
        UserPoolId=pool_id,
        SoftwareTokenMfaConfiguration={"Enabled": True},
        MfaConfiguration=props.get("MfaConfiguration", "OPTIONAL"),
    )


def _list_user_pools(target: Target) -> list[dict[str, Any]]:
    cognito = target.client("cognito-idp")
    pools: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"MaxResults": 60}
    while True:
        page = cognito.list_user_pools(**kwargs)
        pools.extend(page.get("UserPools", []))
        if not page.get("NextToken"):
            return pools
        kwargs["NextToken"] = page["NextToken"]


def user_pool_client(target: Target, resource: Resource) -> PhysicalResource:
    """The pool's app client of that name, created or converged."""
    cognito = target.client("cognito-idp")
    pool_id = resource.properties["UserPoolId"]
    name = target.name(resource, "ClientName")
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
        request = target.api_request(
            resource, "cognito-idp", "UpdateUserPoolClient", request,
            handled=("GenerateSecret",),
        )
        client = cognito.update_user_pool_client(**request)["UserPoolClient"]
        log.debug("%s: reusing app client %s", resource.logical_id, client["ClientId"])
    else:
        request = dict(resource.properties, ClientName=name)
        request = target.api_request(
            resource, "cognito-idp", "CreateUserPoolClient", request
        )
        client = cognito.create_user_pool_client(**request)["UserPoolClient"]
        log.debug("%s: created app client %s", resource.logical_id, client["ClientId"])
    attributes = {"ClientId": client["ClientId"], "Name": client["ClientName"]}
    if client.get("ClientSecret"):
        attributes["ClientSecret"] = client["ClientSecret"]
    return PhysicalResource(client["ClientId"], attributes)
