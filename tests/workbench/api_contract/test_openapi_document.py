"""The OpenAPI document matches the URL map: every /api/v1 rule is documented (path and
method), and every documented operation exists."""

from __future__ import annotations

import re

import pytest

from workbench.api.openapi import openapi_document

API_PREFIX = "/api/v1"
IGNORED_METHODS = {"HEAD", "OPTIONS"}


def _openapi_path(rule: str) -> str:
    """/api/v1/banks/<int:bank_id> → /banks/{bank_id}"""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule[len(API_PREFIX) :])


def routed_operations(app) -> set[tuple[str, str]]:
    return {
        (_openapi_path(rule.rule), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(API_PREFIX + "/")
        for method in rule.methods - IGNORED_METHODS
    }


def documented_operations(document: dict) -> set[tuple[str, str]]:
    return {
        (path, method)
        for path, item in document["paths"].items()
        for method in item
        if method in ("get", "put", "post", "delete", "patch")
    }


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_every_api_route_is_documented_and_every_documented_path_exists(app):
    document = openapi_document()
    routed, documented = routed_operations(app), documented_operations(document)
    assert not routed - documented, (
        f"API routes missing from workbench/api/openapi.py PATHS: {sorted(routed - documented)}"
    )
    assert not documented - routed, f"documented operations with no route: {sorted(documented - routed)}"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_document_is_served_valid_and_complete(client):
    from jsonschema import Draft202012Validator

    response = client.get("/api/v1/openapi.json")  # public: no key needed
    assert response.status_code == 200 and response.mimetype == "application/json"
    document = response.get_json()
    assert document["openapi"].startswith("3.1")
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearer"] == {**schemes["bearer"], "type": "http", "scheme": "bearer"}
    assert schemes["webhook_signature"]["name"] == "X-Workbench-Signature"
    assert "t=" in schemes["webhook_signature"]["description"] and "v1=" in schemes["webhook_signature"]["description"]
    for schema in document["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)
    for path, item in document["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            assert any(code.startswith("2") for code in responses), (path, method)
            assert responses["400"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
            if operation.get("security") != []:
                assert "401" in responses, (path, method)
            if method in ("post", "put", "patch") and path not in ("/webhook/secret",) and not path.endswith("/resume"):
                assert "requestBody" in operation, (path, method)
    upload = document["paths"]["/items"]["post"]["requestBody"]["content"]
    assert {"application/json", "multipart/form-data"} <= set(upload)
    assert "image" in document["components"]["schemas"]["ItemUpload"]["properties"]
