"""The OpenAPI 3.1 document of the REST API, served at GET /api/v1/openapi.json.

Built as a plain dict so it stays next to the code it describes; tests/workbench/api_contract
holds it true: every /api/v1 rule is documented, every documented path exists, and
schemathesis checks the running app against it (no 5xx, every response as documented).
Response schemas name the fields a platform may rely on and allow more, so adding a field
is not a breaking change.
"""

from __future__ import annotations

from flask import current_app

from workbench.api.blueprint import bp
from workbench.api.openapi_schemas import JSON, SCHEMAS, ref
from workbench.api.openapi_scopes import scopes_description, with_scopes

ERROR_STATUSES = {
    "400": "bad input: the body or a parameter is invalid (nothing was written)",
    "401": "missing, invalid or revoked API key",
    "404": "no such object, or not this client's",
    "405": "method not allowed",
    "409": "conflict with the current state",
    "413": "payload too large",
    "415": "unsupported media type",
    "422": "the request is well-formed but cannot be applied",
    "429": "this API key's rate limit for this kind of request is spent; retry after Retry-After seconds",
    "503": "the database is unavailable; retry after Retry-After seconds",
}


def _errors(public: bool = False) -> dict:
    return {
        status: {"description": text, "content": {JSON: {"schema": ref("Error")}}}
        for status, text in ERROR_STATUSES.items()
        if not (public and status in ("401", "429"))
    }


def _ok(status: str, schema: str | dict, description: str = "OK") -> dict:
    return {
        status: {
            "description": description,
            "content": {JSON: {"schema": ref(schema) if isinstance(schema, str) else schema}},
        }
    }


EXAMPLES = {
    "ItemInput": {
        "external_id": "post-1",
        "author_id": "user-42",
        "country": "DE",
        "text": "Hallo Welt",
        "language": "de",
    },
    "ReportInput": {
        "item_id": 1,
        "external_id": "report-1",
        "source": "user",
        "category": "harassment",
        "explanation": "insults me",
    },
    "AppealInput": {"external_id": "appeal-1", "item_id": 1, "explanation": "It was satire."},
    "WebhookInput": {"url": None},
    "BankInput": {"name": "known images", "kind": "csam"},
    "EntriesInput": {"entries": [{"algorithm": "md5", "value": "0123456789abcdef0123456789abcdef"}]},
    "EntryUpdate": {"enabled": False, "note": "false positive"},
}


def _json_body(schema: str, required: bool = True) -> dict:
    media = {"schema": ref(schema)}
    if schema in EXAMPLES:
        media["example"] = EXAMPLES[schema]
    return {"required": required, "content": {JSON: media}}


def _multipart_body(schema: str) -> dict:
    return {"required": True, "content": {"multipart/form-data": {"schema": ref(schema)}}}


def _id_param(name: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "integer", "minimum": 0}, "example": 1}


def _query(name: str, schema: dict, description: str = "", required: bool = False) -> dict:
    return {"name": name, "in": "query", "required": required, "schema": schema, "description": description}


def op(
    summary: str,
    responses: dict,
    *,
    body: dict | None = None,
    params: tuple = (),
    public: bool = False,
    operation_id: str = "",
) -> dict:
    operation = {"summary": summary, "operationId": operation_id, "responses": {**responses, **_errors(public)}}
    if params:
        operation["parameters"] = list(params)
    if body:
        operation["requestBody"] = body
    if public:
        operation["security"] = []
    return operation


BANK, ENTRY, IMPORT = _id_param("bank_id"), _id_param("entry_id"), _id_param("import_id")

PATHS: dict[str, dict] = {
    "/openapi.json": {
        "get": op("This document", _ok("200", {"type": "object"}), public=True, operation_id="openapi_document")
    },
    "/items": {
        "post": op(
            "Send an item (text as JSON, or an image/video as multipart); idempotent per external_id",
            {**_ok("201", "ItemReceipt", "created"), **_ok("200", "ItemReceipt", "already received")},
            body={
                "required": True,
                "content": {
                    JSON: {"schema": ref("ItemInput"), "example": EXAMPLES["ItemInput"]},
                    "multipart/form-data": {"schema": ref("ItemUpload")},
                },
            },
            operation_id="create_item",
        ),
        "get": op(
            "Look an item up by the platform's id",
            _ok("200", "Item"),
            params=(
                {
                    **_query("external_id", {"type": "string", "minLength": 1, "maxLength": 255}, required=True),
                    "example": "post-1",
                },
            ),
            operation_id="find_item_by_external_id",
        ),
    },
    "/items/{item_id}": {
        "get": op(
            "An item: status, hashes, signals, policy outcome, decisions",
            _ok("200", "Item"),
            params=(_id_param("item_id"),),
            operation_id="get_item",
        )
    },
    "/reports": {
        "post": op(
            "Send a user, trusted-flagger or authority report (notice) about an item",
            {**_ok("201", "Report", "created"), **_ok("200", "Report", "already received")},
            body=_json_body("ReportInput"),
            operation_id="post_report",
        )
    },
    "/appeals": {
        "post": op(
            "Send a complaint against a decision (DSA Art. 20)",
            {**_ok("201", "Appeal", "created"), **_ok("200", "Appeal", "already received")},
            body=_json_body("AppealInput"),
            operation_id="post_appeal",
        )
    },
    "/appeals/{appeal_id}": {
        "get": op(
            "An appeal's status and outcome",
            _ok("200", "Appeal"),
            params=(_id_param("appeal_id"),),
            operation_id="get_appeal_status",
        )
    },
    "/webhook": {
        "get": op("The decision webhook registration", _ok("200", "Webhook"), operation_id="get_webhook"),
        "put": op(
            "Set or clear the webhook URL (a new secret is returned once)",
            _ok("200", "Webhook"),
            body=_json_body("WebhookInput"),
            operation_id="put_webhook",
        ),
    },
    "/webhook/secret": {
        "post": op(
            "Rotate the signing secret (returned once)", _ok("200", "Webhook"), operation_id="rotate_webhook_secret"
        )
    },
    "/webhook/deliveries": {
        "get": op(
            "The last 100 webhook deliveries",
            _ok("200", "WebhookDeliveries"),
            params=(_query("status", {"enum": ["pending", "delivered", "failed"]}),),
            operation_id="list_deliveries",
        )
    },
    "/banks": {
        "get": op("Hash banks", _ok("200", "BankList"), operation_id="list_banks"),
        "post": op(
            "Create a hash bank",
            _ok("201", "Bank", "created"),
            body=_json_body("BankInput"),
            operation_id="create_bank",
        ),
    },
    "/banks/{bank_id}": {
        "get": op("A hash bank", _ok("200", "Bank"), params=(BANK,), operation_id="get_bank"),
        "patch": op(
            "Change a hash bank",
            _ok("200", "Bank"),
            params=(BANK,),
            body=_json_body("BankInput"),
            operation_id="update_bank",
        ),
    },
    "/banks/{bank_id}/entries": {
        "get": op(
            "Search a bank's entries, newest first",
            _ok("200", "EntryPage"),
            params=(
                BANK,
                _query("q", {"type": "string"}),
                _query("algorithm", {"type": "string"}),
                _query("status", {"enum": ["all", "enabled", "disabled"]}),
                _query("limit", {"type": "integer", "minimum": 1, "maximum": 500}),
                _query("before", {"type": "integer", "minimum": 1}),
            ),
            operation_id="list_entries",
        ),
        "post": op(
            "Add hashes (JSON) or hash an image (multipart)",
            {**_ok("201", "EntriesAdded", "added"), **_ok("200", "EntriesAdded", "all already present")},
            params=(BANK,),
            body={
                "required": True,
                "content": {
                    JSON: {"schema": ref("EntriesInput"), "example": EXAMPLES["EntriesInput"]},
                    "multipart/form-data": {"schema": ref("EntryImageInput")},
                },
            },
            operation_id="add_entries",
        ),
    },
    "/banks/{bank_id}/entries/{entry_id}": {
        "get": op("One entry", _ok("200", "Entry"), params=(BANK, ENTRY), operation_id="get_entry"),
        "patch": op(
            "Enable, disable or annotate an entry",
            _ok("200", "Entry"),
            params=(BANK, ENTRY),
            body=_json_body("EntryUpdate"),
            operation_id="update_entry",
        ),
        "delete": op("Remove an entry", _ok("200", "EntryRemoved"), params=(BANK, ENTRY), operation_id="delete_entry"),
    },
    "/banks/{bank_id}/export": {
        "get": op(
            "Export a bank as a hash list file",
            {
                "200": {
                    "description": "the list, as an attachment",
                    "content": {
                        "text/plain": {"schema": {"type": "string"}},
                        "text/csv": {"schema": {"type": "string"}},
                        "application/json": {"schema": {}},
                        "application/x-ndjson": {"schema": {"type": "string"}},
                    },
                }
            },
            params=(
                BANK,
                _query("format", {"type": "string"}),
                _query("algorithm", {"type": "string"}),
                _query("include_disabled", {"type": "boolean"}),
            ),
            operation_id="export_bank_list",
        )
    },
    "/banks/{bank_id}/imports": {
        "post": op(
            "Import a hash list file (large files run in the background)",
            {**_ok("201", "Import", "finished"), **_ok("202", "Import", "queued")},
            params=(BANK,),
            body=_multipart_body("ImportInput"),
            operation_id="create_bank_import",
        )
    },
    "/banks/{bank_id}/imports/{import_id}": {
        "get": op(
            "An import's progress and first errors",
            _ok("200", "Import"),
            params=(BANK, IMPORT),
            operation_id="get_bank_import",
        )
    },
    "/banks/{bank_id}/imports/{import_id}/errors": {
        "get": op(
            "An import's bad lines",
            _ok("200", "ImportErrors"),
            params=(BANK, IMPORT, _query("after_line", {"type": "integer", "minimum": 0})),
            operation_id="get_bank_import_errors",
        )
    },
    "/banks/{bank_id}/imports/{import_id}/resume": {
        "post": op(
            "Resume a failed or stalled import",
            _ok("202", "Import", "queued"),
            params=(BANK, IMPORT),
            operation_id="resume_bank_import",
        )
    },
    "/banks/compare": {
        "post": op(
            "Compare two images' perceptual hashes",
            _ok("200", "Comparison"),
            body=_multipart_body("CompareInput"),
            operation_id="compare_two_images",
        )
    },
}

DESCRIPTION = """The workbench's platform API. Authenticate every call (except this document) with
`Authorization: Bearer <API key>`; an admin creates keys under Admin → API clients.

Errors are JSON `{"error": {"code", "message", "field"}}` with a 4xx status (503 when the
database is down); a refused request writes nothing.

Decisions are sent to the client's webhook URL as a POST of a `DecisionEvent`, signed with
the header `X-Workbench-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>`
(see the `webhook_signature` security scheme); reject a timestamp older than five minutes."""


def openapi_document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Trust & Safety Workbench API",
            "version": "1",
            "description": DESCRIPTION + scopes_description(),
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": with_scopes(PATHS),  # each operation's scope, from its route's decorator
        "webhooks": {
            "decision": {
                "post": {
                    "summary": "A decision on one of the client's items (sent by the workbench)",
                    "security": [{"webhook_signature": []}],
                    "parameters": [
                        {
                            "name": "X-Workbench-Signature",
                            "in": "header",
                            "required": True,
                            "schema": {"type": "string", "pattern": "^t=[0-9]+,v1=[0-9a-f]{64}$"},
                        }
                    ],
                    "requestBody": {"required": True, "content": {JSON: {"schema": ref("DecisionEvent")}}},
                    "responses": {"2XX": {"description": "received; any other status is retried with backoff"}},
                }
            }
        },
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "an API key: wb_<prefix>_<secret>"},
                "webhook_signature": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "X-Workbench-Signature",
                    "description": "t=<unix seconds>,v1=<hex HMAC-SHA256(webhook secret, "
                    '"<t>." + raw body)>; sent by the workbench to the client',
                },
            },
        },
    }


@bp.get("/openapi.json")
def openapi_json():
    """Public: the document describes the API, not any client's data."""
    return current_app.response_class(current_app.json.dumps(openapi_document()), mimetype=JSON)
