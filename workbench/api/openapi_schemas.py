"""The component schemas of the OpenAPI document (api/openapi.py assembles the document).

Response schemas name the fields a platform may rely on and allow more, so adding a field is
not a breaking change.
"""

from __future__ import annotations

from policies.vocabulary import REPORT_CATEGORIES
from workbench.models.hash_bank import BANK_KINDS
from workbench.models.report import REPORT_SOURCES

JSON = "application/json"
NULLABLE_STRING = {"type": ["string", "null"]}
NULLABLE_INT = {"type": ["integer", "null"]}
TIMESTAMP = {"type": ["string", "null"], "description": 'ISO 8601, UTC ("Z")'}
ID_STRING = {"type": "string", "minLength": 1, "maxLength": 255}


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(properties: dict, required: tuple[str, ...] = (), *, closed: bool = False) -> dict:
    schema = {"type": "object", "properties": properties, "required": list(required)}
    if closed:
        schema["additionalProperties"] = False
    return schema


ERROR = obj(
    {
        "error": obj(
            {
                "code": {
                    "type": "string",
                    "description": "machine-readable, e.g. missing_field, invalid_type, not_found",
                },
                "message": {"type": "string", "description": "for people"},
                "field": {"type": "string", "description": "the request field at fault, when there is one"},
                "rule": {"type": "string", "description": "a refused order: the catalogue class that refused it"},
                "citation": {"type": "string", "description": "a refused order: the legal source"},
                "errors": {
                    "type": "array",
                    "items": obj({"line": {"type": "integer"}, "reason": {"type": "string"}}),
                    "description": "per-entry errors (hash entries)",
                },
            },
            ("code", "message"),
        )
    },
    ("error",),
)

ITEM_FIELDS = {
    "external_id": {**ID_STRING, "description": "the platform's content id (idempotency key per client)"},
    "author_id": {**ID_STRING, "description": "pseudonymised on arrival"},
    "country": {"type": "string", "description": "ISO 3166-1 alpha-2", "examples": ["DE"]},
    "text": {"type": "string", "description": "required for text items"},
    "language": {"type": "string", "description": "BCP 47 tag", "examples": ["de"]},
    "content_date": {"type": "string", "description": "ISO 8601 date or date-time"},
    "account_age_days": {"type": "integer", "minimum": 0},
    "visible_in": {"type": "array", "items": {"type": "string"}, "minItems": 1, "description": "absent = everywhere"},
}

SCHEMAS: dict[str, dict] = {
    "Error": ERROR,
    "ItemInput": obj(ITEM_FIELDS, ("external_id", "author_id", "country", "text"), closed=True),
    "ItemUpload": obj(
        {
            **{name: {"type": "string"} for name in ITEM_FIELDS},
            "visible_in": {"type": "string", "description": "comma-separated country codes, e.g. DE,FR"},
            "image": {
                "type": "string",
                "contentMediaType": "application/octet-stream",
                "description": "JPEG, PNG, GIF or WebP; size, pixel and frame limits apply",
            },
            "video": {
                "type": "string",
                "contentMediaType": "application/octet-stream",
                "description": "a video file instead of an image (send exactly one of the two)",
            },
        },
        ("external_id", "author_id", "country"),
    ),
    "ItemReceipt": obj(
        {
            "id": {"type": "integer"},
            "external_id": {"type": "string"},
            "status": {"type": "string"},
            "url": {"type": "string"},
        },
        ("id", "external_id", "status", "url"),
    ),
    "Item": obj(
        {
            "id": {"type": "integer"},
            "external_id": {"type": "string"},
            "url": {"type": "string"},
            "kind": {"type": "string"},
            "status": {"type": "string"},
            "stage": NULLABLE_STRING,
            "attempts": NULLABLE_INT,
            "error": NULLABLE_STRING,
            "author": NULLABLE_STRING,
            "country": NULLABLE_STRING,
            "visible_in": {"type": ["array", "null"], "items": {"type": "string"}, "description": "null = everywhere"},
            "language": NULLABLE_STRING,
            "language_source": NULLABLE_STRING,
            "language_confidence": {"type": ["number", "null"]},
            "account_age_days": NULLABLE_INT,
            "content_date": TIMESTAMP,
            "created_at": TIMESTAMP,
            "updated_at": TIMESTAMP,
            "finished_at": TIMESTAMP,
            "text": NULLABLE_STRING,
            "content": {
                "enum": ["stored", "purged_under_retention", "erased"],
                "description": "purged or erased: text, file and hashes are gone",
            },
            "content_purged_at": TIMESTAMP,
            "blob": {"type": ["object", "null"]},
            "hashes": {"type": "array", "items": obj({"algorithm": {"type": "string"}, "value": {"type": "string"}})},
            "signals": {"type": "object", "description": "by classifier: version, model_checksum, scores, error"},
            "report_count": {"type": "integer"},
            "policy": obj(
                {
                    "evaluation": {"type": ["object", "null"]},
                    "cases": {"type": "array"},
                    "decisions": {"type": "array"},
                },
                ("evaluation", "cases", "decisions"),
            ),
        },
        ("id", "external_id", "url", "kind", "status", "report_count", "policy"),
    ),
    "ReportInput": obj(
        {
            "item_id": {"type": "integer", "minimum": 1},
            "item_external_id": ID_STRING,
            "external_id": ID_STRING,
            "source": {"enum": list(REPORT_SOURCES)},
            "category": {"enum": list(REPORT_CATEGORIES)},
            "explanation": {"type": "string"},
            "reporter": obj(
                {"id": {"type": "string"}, "name": {"type": "string"}, "email": {"type": "string"}}, closed=True
            ),
            "authority": {"type": "string", "description": "required when source is authority_order"},
            "order_reference": {"type": "string"},
            "issuing_jurisdiction": {"type": "string", "description": "ISO 3166-1 alpha-2 code of the issuer"},
            "authority_rank": {"type": "string", "maxLength": 64, "description": "an order's rank code (docs/api.md)"},
        },
        ("source", "category"),
        closed=True,
    ),
    "Report": obj(
        {
            "id": {"type": "integer"},
            "item_id": {"type": "integer"},
            "external_id": NULLABLE_STRING,
            "source": {"type": "string"},
            "category": {"type": "string"},
            "issuing_jurisdiction": NULLABLE_STRING,
            "authority": NULLABLE_STRING,
            "authority_rank": NULLABLE_STRING,
            "received_at": TIMESTAMP,
        },
        ("id", "item_id", "source", "category"),
    ),
    "AppealInput": obj(
        {
            "external_id": ID_STRING,
            "decision_id": {"type": "integer", "minimum": 1},
            "item_id": {"type": "integer", "minimum": 1},
            "item_external_id": ID_STRING,
            "explanation": {"type": "string", "minLength": 1},
            "complainant": obj(
                {"id": {"type": "string"}, "name": {"type": "string"}, "email": {"type": "string"}}, closed=True
            ),
        },
        ("external_id", "explanation"),
        closed=True,
    ),
    "Appeal": obj(
        {
            "id": {"type": "integer"},
            "external_id": {"type": "string"},
            "url": {"type": "string"},
            "item_id": {"type": "integer"},
            "decision_id": {"type": "integer"},
            "status": {"enum": ["open", "decided"]},
            "outcome": {"enum": [None, "uphold", "overturn"]},
            "reply": NULLABLE_STRING,
            "restore_decision_id": NULLABLE_INT,
            "received_at": TIMESTAMP,
            "decided_at": TIMESTAMP,
        },
        ("id", "external_id", "url", "status"),
    ),
    "WebhookInput": obj(
        {
            "url": {
                "type": ["string", "null"],
                "description": (
                    "https URL, or null to stop; a host that resolves to a non-public address is refused with "
                    "422 webhook_url_not_allowed"
                ),
            }
        },
        closed=True,
    ),
    "Webhook": obj(
        {
            "url": NULLABLE_STRING,
            "has_secret": {"type": "boolean"},
            "secret": {"type": "string", "description": "shown once, when set or rotated"},
        },
        ("url", "has_secret"),
    ),
    "WebhookDeliveries": obj(
        {
            "deliveries": {
                "type": "array",
                "items": obj(
                    {
                        "id": {"type": "integer"},
                        "item_id": NULLABLE_INT,
                        "event": {"type": "string"},
                        "event_id": {"type": "string"},
                        "status": {"enum": ["pending", "delivered", "failed"]},
                        "attempts": {"type": "integer"},
                        "last_error": {
                            **NULLABLE_STRING,
                            "description": (
                                "timeout, connection_refused, connection_closed, connection_error, dns_error, tls_error, "
                                "address_not_allowed, invalid_url, invalid_response, redirect_not_followed, no_url or http_<status>"
                            ),
                        },
                        "created_at": TIMESTAMP,
                        "delivered_at": TIMESTAMP,
                        "next_attempt_at": TIMESTAMP,
                    },
                    ("id", "event", "status"),
                ),
            }
        },
        ("deliveries",),
    ),
    "DecisionEvent": obj(
        {
            "event": {"type": "string", "examples": ["decision.created"]},
            "id": {"type": "string", "description": "the event id, unique per event"},
            "created_at": {"type": "string"},
            "data": {"type": "object"},
        },
        ("event", "id"),
    ),
    "BankInput": obj(
        {
            "name": {"type": "string", "minLength": 1, "maxLength": 100},
            "description": {"type": "string"},
            "kind": {"enum": list(BANK_KINDS)},
            "enabled": {"type": "boolean"},
            "pdq_threshold": {"type": "integer", "minimum": 0},
            "phash_threshold": {"type": "integer", "minimum": 0},
            "dhash_threshold": {"type": "integer", "minimum": 0},
        },
        closed=True,
    ),
    "Bank": obj(
        {
            "id": {"type": "integer"},
            "url": {"type": "string"},
            "name": {"type": "string"},
            "description": NULLABLE_STRING,
            "kind": {"type": "string"},
            "enabled": {"type": "boolean"},
            "pdq_threshold": {"type": "integer"},
            "phash_threshold": {"type": "integer"},
            "dhash_threshold": {"type": "integer"},
            "entries": {"type": "integer"},
            "enabled_entries": {"type": "integer"},
            "created_at": TIMESTAMP,
            "updated_at": TIMESTAMP,
            "visibility": {"enum": ["private", "shared-read"]},
            "owned": {"type": "boolean", "description": "this key's bank: only the owner may change it"},
        },
        ("id", "url", "name", "kind", "enabled"),
    ),
    "BankList": obj({"banks": {"type": "array", "items": ref("Bank")}}, ("banks",)),
    "Entry": obj(
        {
            "id": {"type": "integer"},
            "bank_id": {"type": "integer"},
            "algorithm": {"type": "string"},
            "value": {"type": "string"},
            "enabled": {"type": "boolean"},
            "note": NULLABLE_STRING,
            "source": NULLABLE_STRING,
            "tags": {"type": "array", "items": {"type": "string"}},
            "added_at": TIMESTAMP,
            "disabled_at": TIMESTAMP,
            "import_id": NULLABLE_INT,
        },
        ("id", "bank_id", "algorithm", "value", "enabled"),
    ),
    "EntryPage": obj(
        {"entries": {"type": "array", "items": ref("Entry")}, "total": {"type": "integer"}, "next": NULLABLE_STRING},
        ("entries", "total", "next"),
    ),
    "EntriesInput": obj(
        {
            "entries": {
                "type": "array",
                "minItems": 1,
                "items": obj(
                    {
                        "algorithm": {"type": "string"},
                        "value": {"type": "string"},
                        "note": {"type": "string"},
                        "source": {"type": "string"},
                    },
                    ("algorithm", "value"),
                    closed=True,
                ),
            },
            "note": {"type": "string"},
            "source": {"type": "string"},
        },
        ("entries",),
        closed=True,
    ),
    "EntryImageInput": obj(
        {
            "image": {"type": "string", "contentMediaType": "application/octet-stream"},
            "note": {"type": "string"},
            "source": {"type": "string"},
            "algorithms": {"type": "string", "description": "comma-separated, e.g. pdq,phash"},
        },
        ("image",),
    ),
    "EntriesAdded": obj(
        {
            "added": {"type": "array", "items": ref("Entry")},
            "already_present": {"type": "array", "items": ref("Entry")},
            "change_id": {"type": ["integer", "string", "null"]},
            "warnings": {"type": "array", "items": {"type": "string"}},
        },
        ("added", "already_present", "warnings"),
    ),
    "EntryUpdate": obj({"enabled": {"type": "boolean"}, "note": {"type": ["string", "null"]}}, closed=True),
    "EntryRemoved": obj(
        {"removed": {"type": "integer"}, "change_id": {"type": ["integer", "string", "null"]}}, ("removed",)
    ),
    "ImportInput": obj(
        {
            "file": {"type": "string", "contentMediaType": "application/octet-stream"},
            "format": {"type": "string"},
            "algorithm": {"type": "string"},
            "source": {"type": "string"},
        },
        ("file",),
    ),
    "Import": obj(
        {
            "id": {"type": "integer"},
            "bank_id": {"type": "integer"},
            "url": {"type": "string"},
            "status": {"type": "string"},
            "total_lines": NULLABLE_INT,
            "lines_done": NULLABLE_INT,
            "added": NULLABLE_INT,
            "error": NULLABLE_STRING,
            "job_queued": {"type": "boolean"},
        },
        ("id", "bank_id", "url", "status"),
    ),
    "ImportErrors": obj(
        {
            "errors": {"type": "array", "items": obj({"line": {"type": "integer"}, "reason": {"type": "string"}})},
            "next": NULLABLE_STRING,
        },
        ("errors",),
    ),
    "CompareInput": obj(
        {
            "image_a": {"type": "string", "contentMediaType": "application/octet-stream"},
            "image_b": {"type": "string", "contentMediaType": "application/octet-stream"},
        },
        ("image_a", "image_b"),
    ),
    "Comparison": {"type": "object", "description": "distances per algorithm, and whether each bank would match"},
}
