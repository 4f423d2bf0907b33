"""The resource kinds infra.local.provision can create, one module each.

Each handler takes the target account and a resource as the template declares it
(properties resolved), creates it or reuses the one of that name (converging its
cheap, safely re-appliable settings), and returns what it answers to Ref and
Fn::GetAtt. A type not listed here is skipped by the provisioner.
"""
from __future__ import annotations

from collections.abc import Callable

from infra.local.resources import cognito, dynamodb, s3, sqs
from infra.local.resources.base import PhysicalResource, Resource, Target

HANDLERS: dict[str, Callable[[Target, Resource], PhysicalResource]] = {
    "AWS::Cognito::UserPool": cognito.user_pool,
    "AWS::Cognito::UserPoolClient": cognito.user_pool_client,
    "AWS::DynamoDB::Table": dynamodb.table,
    "AWS::S3::Bucket": s3.bucket,
    "AWS::SQS::Queue": sqs.queue,
}
