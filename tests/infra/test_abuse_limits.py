"""The template's abuse limits (issue 13): the per-IP rate rule on the public /auth/*
routes (AWS WAF on the API stage) and the alarm on paid payments not credited."""
from __future__ import annotations

from infra.template import Resolver, load_template

TEMPLATE = load_template()
RESOURCES = TEMPLATE["Resources"]


def resolved(logical_id: str, **parameters: str) -> dict:
    values = {"AuthRateLimitWebAcl": "arn:aws:wafv2:us-east-1:1:regional/webacl/x/1"}
    resolver = Resolver(TEMPLATE, {"Stage": "prod", **parameters},
                        lookup=lambda logical_id, attribute: values.get(
                            logical_id, f"{logical_id}.{attribute}"))
    return resolver.resolve(RESOURCES[logical_id]["Properties"])


def test_auth_routes_are_rate_limited_per_ip_on_the_api_stage():
    acl = resolved("AuthRateLimitWebAcl", RestApiId="a1b2c3d4e5")
    assert acl["Scope"] == "REGIONAL" and acl["DefaultAction"] == {"Allow": {}}
    [rule] = acl["Rules"]
    statement = rule["Statement"]["RateBasedStatement"]
    assert statement["AggregateKeyType"] == "IP"
    assert int(statement["Limit"]) == 100
    match = statement["ScopeDownStatement"]["ByteMatchStatement"]
    assert match["FieldToMatch"] == {"UriPath": {}}
    assert (match["PositionalConstraint"], match["SearchString"]) == ("CONTAINS", "/auth/")
    block = rule["Action"]["Block"]["CustomResponse"]
    assert block["ResponseCode"] == 429
    assert "TooManyRequestsError" in \
        acl["CustomResponseBodies"][block["CustomResponseBodyKey"]]["Content"]
    association = resolved("AuthRateLimitAssociation", RestApiId="a1b2c3d4e5")
    assert association["ResourceArn"].endswith("::/restapis/a1b2c3d4e5/stages/api")


def test_the_rate_rule_waits_for_the_api_chalice_creates():
    for logical_id in ("AuthRateLimitWebAcl", "AuthRateLimitAssociation"):
        assert RESOURCES[logical_id]["Condition"] == "HasRestApi"
    assert TEMPLATE["Parameters"]["RestApiId"]["Default"] == ""


def test_payments_not_credited_raise_an_alarm():
    alarm = resolved("PaymentsNotCreditedAlarm")
    assert (alarm["Namespace"], alarm["MetricName"]) == ("StudyBuddy", "PaymentsNotCredited")
    assert alarm["Dimensions"] == [{"Name": "Stage", "Value": "prod"}]
    assert float(alarm["Threshold"]) == 0 and alarm["ComparisonOperator"] == \
        "GreaterThanThreshold"
    assert alarm["AlarmActions"] == ["AlarmTopic.None"]
