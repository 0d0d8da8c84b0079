"""The OpenAPI document names each operation's scope, the one its route's decorator requires."""

from __future__ import annotations

import pytest

from workbench.services.platforms.scopes import SCOPES


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_every_authenticated_operation_names_the_scope_its_route_needs(app, client):
    document = client.get("/api/v1/openapi.json").get_json()
    operations = 0
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if operation.get("security") == []:
                assert "x-required-scope" not in operation, path
                continue
            view = app.view_functions.get(f"api_v1.{operation['operationId']}")
            assert view is not None, (path, method)
            operations += 1
            scope = operation["x-required-scope"]
            assert scope == view.required_scope, (path, method, scope, view.required_scope)
            assert operation["security"] == [{"bearer": [scope]}]
            assert "insufficient_scope" in operation["responses"]["403"]["description"]
    assert operations >= 25
    for scope in SCOPES:
        assert f"`{scope}`" in document["info"]["description"]
