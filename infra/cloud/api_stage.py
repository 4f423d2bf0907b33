"""The API stage's settings Chalice does not make (step 6).

Throttling (rate 10,000/s, burst 5,000) and JSON access logs (the stack's
ApiAccessLogGroup) through API Gateway UpdateStage, and the gateway responses: an
unknown route is 404 {Code, Message}, and no response echoes anything of the request.
"""
from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from infra.cloud.stage_config import DeployError

log = logging.getLogger("deploy")

THROTTLE_RATE_LIMIT = 10_000.0
THROTTLE_BURST_LIMIT = 5_000
# Unknown routes or methods: API Gateway's MISSING_AUTHENTICATION_TOKEN (403 "Missing
# Authentication Token") and, with an Authorization header, INCOMPLETE_SIGNATURE (which
# echoes the header). Both become the app's 404 (docs/DESIGN.md section 4); the others
# get the app's error shape with a fixed message (nothing from the request).
NOT_FOUND_MESSAGE = "There is no such route or method; the routes are in GET /openapi.json"
GATEWAY_RESPONSES: dict[str, tuple[str, str, str]] = {
    "MISSING_AUTHENTICATION_TOKEN": ("404", "NotFound", NOT_FOUND_MESSAGE),
    "INCOMPLETE_SIGNATURE": ("404", "NotFound", NOT_FOUND_MESSAGE),
    "UNAUTHORIZED": ("401", "UnauthorizedError",
                     "Missing or invalid token: send Authorization: Bearer <id_token>"),
    "THROTTLED": ("429", "TooManyRequestsError", "Too many requests; slow down and retry"),
    "DEFAULT_5XX": ("", "ServiceUnavailableError", "The service is unavailable; try again"),
}
ACCESS_LOG_FORMAT = json.dumps({
    "requestId": "$context.requestId", "ip": "$context.identity.sourceIp",
    "time": "$context.requestTime", "method": "$context.httpMethod",
    "resource": "$context.resourcePath", "status": "$context.status",
    "length": "$context.responseLength", "latencyMs": "$context.responseLatency",
    "integrationLatencyMs": "$context.integrationLatency",
}, separators=(",", ":"))


def configure(apigateway: Any, api_id: str, api_stage: str,
              access_log_group_arn: str | None) -> None:
    """Gateway responses, throttling and (when the stack has the log group) access logs
    of the deployed API's stage."""
    # First: it makes a deployment of the stage; the stage settings below then apply to it.
    apply_gateway_responses(apigateway, api_id, api_stage)
    apply_throttling(apigateway, api_id, api_stage)
    log.info("throttling of %s/%s: %s requests/s, burst %s", api_id, api_stage,
             f"{THROTTLE_RATE_LIMIT:g}", THROTTLE_BURST_LIMIT)
    if access_log_group_arn:
        apigateway.update_stage(restApiId=api_id, stageName=api_stage,
                                patchOperations=access_log_patch(access_log_group_arn))
        log.info("access logs of %s/%s: %s", api_id, api_stage, access_log_group_arn)


def rest_api_id(project_dir: Path, stage: str) -> str | None:
    """The REST API Chalice deployed for `stage`, from its deployed record."""
    path = project_dir / ".chalice" / "deployed" / f"{stage}.json"
    if not path.exists():
        return None
    for resource in json.loads(path.read_text()).get("resources", []):
        if resource.get("resource_type") == "rest_api" and resource.get("rest_api_id"):
            return str(resource["rest_api_id"])
    return None


def throttling_patch(
    rate_limit: float = THROTTLE_RATE_LIMIT, burst_limit: int = THROTTLE_BURST_LIMIT
) -> list[dict[str, str]]:
    """API Gateway UpdateStage patch operations for stage-wide throttling
    (every resource and method: the `/*/*` path)."""
    if rate_limit <= 0 or burst_limit <= 0:
        raise DeployError("throttling limits must be positive")
    return [
        {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": f"{float(rate_limit):g}"},
        {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": str(int(burst_limit))},
    ]


def apply_throttling(apigateway: Any, api_id: str, stage_name: str,
                     rate_limit: float = THROTTLE_RATE_LIMIT,
                     burst_limit: int = THROTTLE_BURST_LIMIT) -> dict[str, Any]:
    return apigateway.update_stage(restApiId=api_id, stageName=stage_name,
                                   patchOperations=throttling_patch(rate_limit, burst_limit))


def gateway_responses() -> list[dict[str, Any]]:
    """PutGatewayResponse arguments (without restApiId): static bodies in the app's
    {Code, Message} shape, so nothing of the request is ever echoed."""
    calls = []
    for response_type, (status, code, message) in GATEWAY_RESPONSES.items():
        body = json.dumps({"Code": code, "Message": message}) + "\n"
        call: dict[str, Any] = {"responseType": response_type,
                                "responseTemplates": {"application/json": body}}
        if status:
            call["statusCode"] = status
        calls.append(call)
    return calls


def apply_gateway_responses(apigateway: Any, api_id: str, stage_name: str) -> None:
    for call in gateway_responses():
        apigateway.put_gateway_response(restApiId=api_id, **call)
    # Gateway responses take effect with a deployment of the stage.
    apigateway.create_deployment(restApiId=api_id, stageName=stage_name,
                                 description="gateway responses (infra/cloud/deploy.py)")


def access_log_patch(log_group_arn: str) -> list[dict[str, str]]:
    """UpdateStage patch operations: JSON access logs into the stack's log group."""
    return [
        {"op": "replace", "path": "/accessLogSettings/destinationArn",
         "value": log_group_arn.removesuffix(":*")},
        {"op": "replace", "path": "/accessLogSettings/format", "value": ACCESS_LOG_FORMAT},
    ]
