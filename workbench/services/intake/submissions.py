"""Turning a platform's fields into validated submissions (items and reports)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from policies import default_catalogue
from policies.vocabulary import REPORT_CATEGORIES
from workbench.models.report import REPORT_SOURCES
from workbench.services.validation import (
    MAX_ID_CHARS,
    ValidationFailed,
    choice_field,
    country_field,
    country_list_field,
    datetime_field,
    language_field,
    non_negative_int_field,
    optional_country_field,
    reject_unknown_fields,
    string_field,
)

ITEM_FIELDS = {
    "external_id",
    "author_id",
    "country",
    "text",
    "language",
    "content_date",
    "account_age_days",
    "visible_in",
}
REPORT_FIELDS = {
    "item_id",
    "item_external_id",
    "external_id",
    "source",
    "category",
    "explanation",
    "reporter",
    "authority",
    "order_reference",
    "issuing_jurisdiction",
    "authority_rank",
}
REPORTER_FIELDS = {"id", "name", "email"}
_RANK = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


@dataclass(frozen=True)
class ItemSubmission:
    external_id: str
    author_id: str
    country: str
    kind: str
    text: str | None
    language: str | None
    content_date: datetime | None
    account_age_days: int | None
    visible_in: list[str] | None = None  # None = everywhere


@dataclass(frozen=True)
class ReportSubmission:
    item_id: int | None
    item_external_id: str | None
    external_id: str | None
    source: str
    category: str
    explanation: str | None
    authority: str | None
    order_reference: str | None
    reporter_id: str | None
    reporter_name: str | None
    reporter_email: str | None
    issuing_jurisdiction: str | None = None
    authority_rank: str | None = None


def parse_item_fields(data: dict[str, Any], *, kind: str, max_text_chars: int) -> ItemSubmission:
    reject_unknown_fields(data, ITEM_FIELDS)
    text = string_field(data, "text", required=(kind == "text"), max_chars=max_text_chars, multiline=True)
    return ItemSubmission(
        external_id=string_field(data, "external_id", required=True, max_chars=MAX_ID_CHARS),
        author_id=string_field(data, "author_id", required=True, max_chars=MAX_ID_CHARS),
        country=country_field(data),
        kind=kind,
        text=text,
        language=language_field(data),
        content_date=datetime_field(data, "content_date"),
        account_age_days=non_negative_int_field(data, "account_age_days", maximum=100 * 366),
        visible_in=country_list_field(data, "visible_in"),
    )


def parse_report_fields(data: dict[str, Any], *, max_explanation_chars: int) -> ReportSubmission:
    reject_unknown_fields(data, REPORT_FIELDS)
    item_id = data.get("item_id")
    if item_id is not None and (isinstance(item_id, bool) or not isinstance(item_id, int) or item_id < 1):
        raise ValidationFailed("invalid_type", "'item_id' must be a positive integer", "item_id")
    item_external_id = string_field(data, "item_external_id", required=False, max_chars=MAX_ID_CHARS)
    if (item_id is None) == (item_external_id is None):
        raise ValidationFailed("missing_field", "give exactly one of 'item_id' and 'item_external_id'", "item_id")
    source = choice_field(data, "source", REPORT_SOURCES)
    authority = string_field(data, "authority", required=(source == "authority_order"), max_chars=255)
    issuing_jurisdiction = optional_country_field(data, "issuing_jurisdiction")
    authority_rank = _authority_rank(data, source, issuing_jurisdiction)
    reporter = data.get("reporter") or {}
    if not isinstance(reporter, dict):
        raise ValidationFailed("invalid_type", "'reporter' must be an object", "reporter")
    reject_unknown_fields(reporter, REPORTER_FIELDS)
    email = string_field(reporter, "email", required=False, max_chars=320)
    if email is not None and ("@" not in email or any(c.isspace() for c in email)):
        raise ValidationFailed("invalid_email", "'reporter.email' is not an e-mail address", "reporter.email")
    return ReportSubmission(
        item_id=item_id,
        item_external_id=item_external_id,
        external_id=string_field(data, "external_id", required=False, max_chars=MAX_ID_CHARS),
        source=source,
        category=choice_field(data, "category", frozenset(REPORT_CATEGORIES)),
        explanation=string_field(data, "explanation", required=False, max_chars=max_explanation_chars, multiline=True),
        authority=authority,
        order_reference=string_field(data, "order_reference", required=False, max_chars=255),
        reporter_id=string_field(reporter, "id", required=False, max_chars=MAX_ID_CHARS),
        reporter_name=string_field(reporter, "name", required=False, max_chars=255),
        reporter_email=email,
        issuing_jurisdiction=issuing_jurisdiction,
        authority_rank=authority_rank,
    )


def _authority_rank(data: dict[str, Any], source: str, issuing_jurisdiction: str | None) -> str | None:
    """A rank code of the catalogue's vocabulary for the issuing jurisdiction (when it has one)."""
    rank = string_field(data, "authority_rank", required=False, max_chars=64)
    if rank is None:
        return None
    if source != "authority_order":
        raise ValidationFailed(
            "invalid_authority_rank", "'authority_rank' is for authority orders only", "authority_rank"
        )
    known = default_catalogue().rank_codes(issuing_jurisdiction) if issuing_jurisdiction else ()
    if (known and rank not in known) or not _RANK.match(rank):
        expected = f"one of: {', '.join(known)}" if known else "a rank code such as joint_secretary"
        raise ValidationFailed("invalid_authority_rank", f"'authority_rank' must be {expected}", "authority_rank")
    return rank
