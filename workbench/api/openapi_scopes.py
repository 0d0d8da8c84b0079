"""The API scopes in the OpenAPI document: each operation names the one scope its route
needs (as `security: [{bearer: [scope]}]` and `x-required-scope`) and documents the 403
a key without it gets. Read from the routes' own decorators, so the document cannot drift."""

from __future__ import annotations

from workbench.api.auth import ROUTE_SCOPES
from workbench.services.platforms.scopes import BANKS_WRITE, SCOPES

FORBIDDEN = "the key lacks this operation's scope (`insufficient_scope`)"
NOT_OWNED = "; or the hash bank is shared read-only and only its owner may change it (`bank_not_owned`)"


def scopes_description() -> str:
    lines = "\n".join(f"- `{scope}`: {text}" for scope, text in SCOPES.items())
    return (
        "\n\nEach key carries scopes, chosen when an admin makes it; every operation needs exactly one "
        "(`x-required-scope`), and a key without it gets `403 insufficient_scope`:\n\n" + lines
    )


def with_scopes(paths: dict[str, dict]) -> dict[str, dict]:
    """A copy of `paths` whose authenticated operations say their scope."""
    scoped: dict[str, dict] = {}
    for path, item in paths.items():
        scoped[path] = {}
        for method, operation in item.items():
            scope = ROUTE_SCOPES.get(operation.get("operationId", ""))
            if scope is not None:
                forbidden = {
                    "description": FORBIDDEN + (NOT_OWNED if scope == BANKS_WRITE else ""),
                    "content": operation["responses"]["400"]["content"],
                }
                operation = {
                    **operation,
                    "security": [{"bearer": [scope]}],
                    "x-required-scope": scope,
                    "description": f"Needs the `{scope}` scope.",
                    "responses": {**operation["responses"], "403": forbidden},
                }
            scoped[path][method] = operation
    return scoped
