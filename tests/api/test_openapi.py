"""The OpenAPI description stays in step with the app's routes."""
from __future__ import annotations

from app import app
from chalicelib.http import openapi
from tests.conftest import call


def test_every_route_is_described_and_nothing_else():
    routes = {(method, path) for path, methods in app.routes.items()
              for method in methods if method != "OPTIONS"}
    described = {(method.upper(), path) for path, item in openapi.document()["paths"].items()
                 for method in item}
    assert routes - described == set(), "routes missing from the description"
    assert described - routes == set(), "described routes the app does not have"


def test_protected_routes_declare_the_bearer_scheme_and_their_errors():
    for path, methods in app.routes.items():
        for method, entry in methods.items():
            if method == "OPTIONS":
                continue
            operation = openapi.document()["paths"][path][method.lower()]
            assert ("security" in operation) == (entry.authorizer is not None), (method, path)
            assert "400" in operation["responses"]
            if entry.authorizer is not None:
                assert "401" in operation["responses"]


def test_the_description_is_served(client):
    response = call(client, "GET", "/openapi.json")
    assert response.status_code == 200
    assert response.json_body["openapi"] == "3.1.0"
    assert response.json_body["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
