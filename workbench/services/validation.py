"""Field validation shared by the API, the CLI and the demo seeder.

Everything a platform sends is hostile: each check names the field and a stable
error code, so the API can answer 4xx with JSON and nothing is half-written.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pycountry

COUNTRY_CODES = frozenset(c.alpha_2 for c in pycountry.countries)
# BCP 47 primary language (ISO 639) with optional subtags, e.g. "de", "pt-BR", "zh-Hant".
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8}){0,3}$")
# The DSA Transparency Database refuses content dates before 2000.
EARLIEST_CONTENT_DATE = datetime(2000, 1, 1, tzinfo=UTC)
MAX_ID_CHARS = 255


class ValidationFailed(ValueError):
    def __init__(self, code: str, message: str, field: str | None = None, status: int = 400):
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.status = status


def reject_unknown_fields(data: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ValidationFailed("unknown_field", f"unknown field(s): {', '.join(unknown)}", unknown[0])


def _has_bad_control_chars(value: str, allow_newlines: bool) -> bool:
    for char in value:
        if char in "\n\r\t" and allow_newlines:
            continue
        if unicodedata.category(char) == "Cc":
            return True
    return False


def string_field(
    data: dict[str, Any], field: str, *, required: bool, max_chars: int, multiline: bool = False
) -> str | None:
    value = data.get(field)
    if value is None:
        if required:
            raise ValidationFailed("missing_field", f"'{field}' is required", field)
        return None
    if not isinstance(value, str):
        raise ValidationFailed("invalid_type", f"'{field}' must be a string", field)
    if "\x00" in value or _has_surrogates(value):
        raise ValidationFailed("invalid_text", f"'{field}' contains NUL or unpaired surrogates", field)
    if _has_bad_control_chars(value, allow_newlines=multiline):
        raise ValidationFailed("invalid_text", f"'{field}' contains control characters", field)
    if not value.strip():
        if required:
            raise ValidationFailed("missing_field", f"'{field}' must not be blank", field)
        return None
    if len(value) > max_chars:
        raise ValidationFailed("too_long", f"'{field}' exceeds {max_chars} characters", field, 413)
    return value if multiline else value.strip()


def _has_surrogates(value: str) -> bool:
    return any("\ud800" <= char <= "\udfff" for char in value)


def country_field(data: dict[str, Any], field: str = "country") -> str:
    value = string_field(data, field, required=True, max_chars=2)
    code = value.upper()
    if code not in COUNTRY_CODES:
        raise ValidationFailed("invalid_country", f"'{value}' is not an ISO 3166-1 alpha-2 country code", field)
    return code


def optional_country_field(data: dict[str, Any], field: str) -> str | None:
    if data.get(field) is None or data.get(field) == "":
        return None
    return country_field(data, field)


def country_list_field(data: dict[str, Any], field: str) -> list[str] | None:
    """A list of ISO 3166-1 alpha-2 codes, sorted and without repeats; absent = None.

    JSON sends a list; a multipart form sends one comma-separated value ("DE,FR"). An empty
    list is refused: it would mean "visible nowhere", which is not an upload.
    """
    value = data.get(field)
    if value is None:
        return None
    if isinstance(value, str):
        if len(value) > 3 * len(COUNTRY_CODES):
            raise ValidationFailed("too_long", f"'{field}' names more countries than exist", field, 413)
        value = [part.strip() for part in value.split(",") if part.strip()]
    if not isinstance(value, list) or not all(isinstance(code, str) for code in value):
        raise ValidationFailed("invalid_type", f"'{field}' must be a list of country codes", field)
    if len(value) > len(COUNTRY_CODES):
        raise ValidationFailed("too_long", f"'{field}' names more countries than exist", field, 413)
    if not value:
        raise ValidationFailed(
            f"empty_{field}", f"'{field}' is empty; leave it out for an item visible everywhere", field
        )
    unknown = sorted({code for code in value if code.strip().upper() not in COUNTRY_CODES})
    if unknown:
        shown = ", ".join(repr(code[:8]) for code in unknown[:5])
        raise ValidationFailed("invalid_country", f"'{field}': not ISO 3166-1 alpha-2 country codes: {shown}", field)
    return sorted({code.strip().upper() for code in value})


def language_field(data: dict[str, Any], field: str = "language") -> str | None:
    value = string_field(data, field, required=False, max_chars=16)
    if value is None:
        return None
    if not _LANGUAGE.match(value):
        raise ValidationFailed("invalid_language", f"'{value}' is not a BCP 47 language tag", field)
    primary, _, rest = value.partition("-")
    return primary.lower() + ("-" + rest if rest else "")


def datetime_field(data: dict[str, Any], field: str, *, now: datetime | None = None) -> datetime | None:
    value = string_field(data, field, required=False, max_chars=40)
    if value is None:
        return None
    try:
        if len(value) == 10:
            parsed = datetime.combine(date.fromisoformat(value), time(0), tzinfo=UTC)
        else:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValidationFailed("invalid_date", f"'{field}' must be an ISO 8601 date or date-time", field) from exc
    if parsed.tzinfo is None:
        raise ValidationFailed("invalid_date", f"'{field}' needs a time zone (e.g. Z)", field)
    parsed = parsed.astimezone(UTC)
    now = now or datetime.now(UTC)
    if parsed > now + timedelta(days=1):
        raise ValidationFailed("invalid_date", f"'{field}' is in the future", field)
    if parsed < EARLIEST_CONTENT_DATE:
        raise ValidationFailed("invalid_date", f"'{field}' is before 2000-01-01", field)
    return parsed


def non_negative_int_field(data: dict[str, Any], field: str, *, maximum: int) -> int | None:
    value = data.get(field)
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.isdigit():  # multipart forms carry numbers as text
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationFailed("invalid_type", f"'{field}' must be a non-negative integer", field)
    if not 0 <= value <= maximum:
        raise ValidationFailed("out_of_range", f"'{field}' must be between 0 and {maximum}", field)
    return value


def choice_field(
    data: dict[str, Any], field: str, choices: tuple[str, ...] | frozenset[str], *, required: bool = True
) -> str | None:
    value = string_field(data, field, required=required, max_chars=100)
    if value is None:
        return None
    if value not in choices:
        raise ValidationFailed(f"invalid_{field}", f"'{field}' must be one of: {', '.join(sorted(choices))}", field)
    return value
