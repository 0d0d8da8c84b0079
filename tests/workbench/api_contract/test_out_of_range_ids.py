"""Ids past what the database column holds are "no such object" (404), never a 500: past
BIGINT the URL does not match; past a 32-bit column (PostgreSQL) the database refuses it."""

from __future__ import annotations


def test_huge_ids_are_not_found(app, api, auth):
    for path in (
        "/banks/50703835390646027288576/entries",
        "/banks/3319194234339",
        "/items/3319194234339",
        "/appeals/9223372036854775808",
    ):
        response = api.get(path)
        assert response.status_code == 404 and response.json["error"]["code"].endswith("not_found"), (
            path,
            response.json,
        )
    auth.login("admin")
    for path in ("/banks/3319194234339", "/admin/users/3319194234339", "/admin/clients/99999999999999999999999"):
        assert auth.client.get(path).status_code == 404, path
