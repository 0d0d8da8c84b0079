"""JSON documents for hash banks, entries and imports."""

from __future__ import annotations

from flask import g, url_for

from workbench.models import BankEntry, BankImport, BankImportError
from workbench.models.base import iso
from workbench.services.banks.banks import BankSummary


def bank_document(summary: BankSummary) -> dict:
    bank = summary.bank
    return {
        "id": bank.id,
        "url": url_for("api_v1.get_bank", bank_id=bank.id),
        "name": bank.name,
        "description": bank.description,
        "kind": bank.kind,
        "enabled": bank.enabled,
        "pdq_threshold": bank.pdq_threshold,
        "phash_threshold": bank.phash_threshold,
        "dhash_threshold": bank.dhash_threshold,
        "entries": summary.entries,
        "enabled_entries": summary.enabled_entries,
        "visibility": bank.visibility,  # private (its owner and staff only) or shared-read
        "owned": bank.owner_client_id == g.api_client.id,  # only the owner may change it
        "created_at": iso(bank.created_at),
        "updated_at": iso(bank.updated_at),
    }


def entry_document(entry: BankEntry) -> dict:
    return {
        "id": entry.id,
        "bank_id": entry.bank_id,
        "algorithm": entry.algorithm,
        "value": entry.value,
        "enabled": entry.disabled_at is None,
        "note": entry.note,
        "source": entry.source,
        "tags": entry.tags.split(),
        "category": entry.category,
        "descriptor_id": entry.descriptor_id,
        "added_by": entry.added_by,
        "added_at": iso(entry.added_at),
        "disabled_at": iso(entry.disabled_at),
        "import_id": entry.import_id,
    }


def import_document(bank_import: BankImport) -> dict:
    return {
        "id": bank_import.id,
        "bank_id": bank_import.bank_id,
        "url": url_for("api_v1.get_bank_import", bank_id=bank_import.bank_id, import_id=bank_import.id),
        "status": bank_import.status,
        "filename": bank_import.filename,
        "format": bank_import.format,
        "algorithm": bank_import.algorithm,
        "source": bank_import.source,
        "file_sha256": bank_import.file_sha256,
        "total_lines": bank_import.total_lines,
        "lines_done": bank_import.lines_done,
        "percent": bank_import.percent,
        "added": bank_import.added,
        "already_present": bank_import.already_present,
        "duplicates_merged": bank_import.duplicates_merged,
        "bad_lines": bank_import.error_count,
        "attempts": bank_import.attempts,
        "error": bank_import.error,
        "created_at": iso(bank_import.created_at),
        "updated_at": iso(bank_import.updated_at),
        "finished_at": iso(bank_import.finished_at),
    }


def import_error_document(error: BankImportError) -> dict:
    return {"line": error.line, "reason": error.reason, "content": error.content}
