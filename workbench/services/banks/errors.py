"""Errors of the hash-bank services. Each carries a stable code and an HTTP status, so the
API turns it into its JSON error and the web UI shows its message next to the form."""

from __future__ import annotations

from classifiers.hashing.formats import LineError
from workbench.services.validation import ValidationFailed


class BankError(ValidationFailed):
    code = "bank_error"
    status = 400

    def __init__(self, message: str, field: str | None = None):
        super().__init__(self.code, message, field, self.status)


class BankNotFound(BankError):
    code, status = "bank_not_found", 404


class EntryNotFound(BankError):
    code, status = "entry_not_found", 404


class ImportNotFound(BankError):
    code, status = "import_not_found", 404


class BankNameTaken(BankError):
    code, status = "bank_name_taken", 409


class EntryHasMatches(BankError):
    code, status = "entry_has_matches", 409


class InvalidFormat(BankError):
    code, status = "invalid_format", 400


class InvalidHashLines(BankError):
    """Pasted or posted hashes with problems: every bad line, with its number and reason."""

    code, status = "invalid_hashes", 400

    def __init__(self, errors: list[LineError], field: str = "hashes"):
        self.errors = errors
        first = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(f"line {first.line}: {first.reason}{more}", field)
