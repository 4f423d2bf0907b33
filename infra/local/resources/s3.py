"""S3 buckets, created or reused by name, with every setting the template gives
(encryption, public access block, versioning, CORS, lifecycle, tags) re-applied: each
put replaces the whole setting, so applying it again converges.
"""
from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.core import aws
from infra.local.resources.base import PhysicalResource, ProvisionError, Resource, Target, rename

log = logging.getLogger("infra.local.provision")


# The properties a bucket is given locally; any other is logged and skipped.
APPLIED = {
    "BucketName", "BucketEncryption", "PublicAccessBlockConfiguration",
    "VersioningConfiguration", "CorsConfiguration", "LifecycleConfiguration", "Tags",
}


def bucket(target: Target, resource: Resource) -> PhysicalResource:
    """The bucket, created unless it exists, with the template's settings applied."""
    s3 = target.client("s3")
    props = resource.properties
    # Bucket names are lowercase; CFN's own generated names are too.
    name = target.name(resource, "BucketName").lower()
    for key in sorted(set(props) - APPLIED):
        log.debug("%s: property %s is not applied locally", resource.logical_id, key)

    if _bucket_exists(target, name):
        log.debug("%s: reusing bucket %s", resource.logical_id, name)
    else:
        request: dict[str, Any] = {"Bucket": name}
        if target.region != "us-east-1":  # us-east-1 rejects an explicit constraint
            request["CreateBucketConfiguration"] = {"LocationConstraint": target.region}
        try:
            s3.create_bucket(**request)
        except ClientError as exc:
            if aws.error_code(exc) != "BucketAlreadyOwnedByYou":
                raise
        log.debug("%s: created bucket %s", resource.logical_id, name)
    _apply_settings(s3, name, props)
    return PhysicalResource(
        name,
        {
            "Arn": f"arn:aws:s3:::{name}",
            "DomainName": f"{name}.s3.amazonaws.com",
            "RegionalDomainName": f"{name}.s3.{target.region}.amazonaws.com",
            "DualStackDomainName": f"{name}.s3.dualstack.{target.region}.amazonaws.com",
            "WebsiteURL": f"http://{name}.s3-website-{target.region}.amazonaws.com",
        },
    )


def _apply_settings(s3: Any, name: str, props: Mapping[str, Any]) -> None:
    """The template's bucket settings. Every put replaces the whole setting, so
    re-applying converges."""
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


def _bucket_exists(target: Target, name: str) -> bool:
    try:
        target.client("s3").head_bucket(Bucket=name)
        return True
    except ClientError as exc:
        if aws.error_code(exc) in ("404", "NoSuchBucket", "NotFound"):
            return False
        # 403: the name is taken by another account; creating would fail too.
        raise ProvisionError(f"bucket {name} exists but is not usable: {exc}") from exc


def _encryption_request(encryption: Mapping[str, Any]) -> dict[str, Any]:
    names = {"ServerSideEncryptionByDefault": "ApplyServerSideEncryptionByDefault"}
    rules = encryption["ServerSideEncryptionConfiguration"]
    return {"Rules": [rename(rule, names) for rule in rules]}


def _cors_request(cors: Mapping[str, Any]) -> dict[str, Any]:
    names = {"ExposedHeaders": "ExposeHeaders", "Id": "ID", "MaxAge": "MaxAgeSeconds"}
    return {"CORSRules": [rename(rule, names) for rule in cors["CorsRules"]]}


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
                rename(t, {"TransitionInDays": "Days", "TransitionDate": "Date"})
                for t in rule["Transitions"]
            ]
        if "NoncurrentVersionTransitions" in rule:
            api["NoncurrentVersionTransitions"] = [
                rename(t, {"TransitionInDays": "NoncurrentDays"})
                for t in rule["NoncurrentVersionTransitions"]
            ]
        rules.append(api)
    return {"Rules": rules}
