"""Turning a platform's appeal fields into a validated AppealSubmission (POST /api/v1/appeals)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from workbench.services.validation import MAX_ID_CHARS, ValidationFailed, reject_unknown_fields, string_field

APPEAL_FIELDS = {"external_id", "decision_id", "item_id", "item_external_id", "explanation", "complainant"}
COMPLAINANT_FIELDS = {"id", "name", "email"}


@dataclass(frozen=True)
class AppealSubmission:
    external_id: str
    decision_id: int | None
    item_id: int | None
    item_external_id: str | None
    explanation: str
    complainant_id: str | None
    complainant_name: str | None
    complainant_email: str | None


def _positive_int(data: dict[str, Any], field: str) -> int | None:
    value = data.get(field)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise ValidationFailed("invalid_type", f"'{field}' must be a positive integer", field)
    return value


def parse_appeal_fields(data: dict[str, Any], *, max_explanation_chars: int) -> AppealSubmission:
    reject_unknown_fields(data, APPEAL_FIELDS)
    decision_id = _positive_int(data, "decision_id")
    item_id = _positive_int(data, "item_id")
    item_external_id = string_field(data, "item_external_id", required=False, max_chars=MAX_ID_CHARS)
    if sum(x is not None for x in (decision_id, item_id, item_external_id)) != 1:
        raise ValidationFailed(
            "missing_field", "give exactly one of 'decision_id', 'item_id' and 'item_external_id'", "decision_id"
        )
    complainant = data.get("complainant") or {}
    if not isinstance(complainant, dict):
        raise ValidationFailed("invalid_type", "'complainant' must be an object", "complainant")
    reject_unknown_fields(complainant, COMPLAINANT_FIELDS)
    email = string_field(complainant, "email", required=False, max_chars=320)
    if email is not None and ("@" not in email or any(c.isspace() for c in email)):
        raise ValidationFailed("invalid_email", "'complainant.email' is not an e-mail address", "complainant.email")
    return AppealSubmission(
        external_id=string_field(data, "external_id", required=True, max_chars=MAX_ID_CHARS),
        decision_id=decision_id,
        item_id=item_id,
        item_external_id=item_external_id,
        explanation=string_field(data, "explanation", required=True, max_chars=max_explanation_chars, multiline=True),
        complainant_id=string_field(complainant, "id", required=False, max_chars=MAX_ID_CHARS),
        complainant_name=string_field(complainant, "name", required=False, max_chars=255),
        complainant_email=email,
    )
