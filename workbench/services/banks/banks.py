"""Creating, editing, finding and listing hash banks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from classifiers.hashing.distance import DEFAULT_THRESHOLDS
from workbench import audit
from workbench.audit import Actor
from workbench.models import BANK_KINDS, BankChangeOp, BankEntry, HashBank
from workbench.models.base import utcnow
from workbench.services.banks.errors import BankNameTaken, BankNotFound
from workbench.services.banks.feed import record_change
from workbench.services.validation import ValidationFailed, choice_field, reject_unknown_fields, string_field

# Beyond these distances a perceptual hash matches unrelated pictures (PDQ: 256 bits,
# HMA uses 31; pHash/dHash: 64 bits, 8 is imagehash's usual cut-off).
THRESHOLD_LIMITS = {"pdq_threshold": 64, "phash_threshold": 16, "dhash_threshold": 16}
BANK_FIELDS = {"name", "description", "kind", "enabled", *THRESHOLD_LIMITS}
MAX_DESCRIPTION_CHARS = 5000


@dataclass(frozen=True)
class BankSummary:
    bank: HashBank
    entries: int
    enabled_entries: int


def parse_bank_fields(data: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    """Validated bank fields from JSON-like data (forms convert their strings first).

    `partial` (an edit): only the fields present are checked and returned.
    """
    reject_unknown_fields(data, BANK_FIELDS)
    fields: dict[str, Any] = {}
    if not partial or "name" in data:
        fields["name"] = string_field(data, "name", required=True, max_chars=100)
    if "description" in data:
        fields["description"] = (
            string_field(data, "description", required=False, max_chars=MAX_DESCRIPTION_CHARS, multiline=True) or ""
        )
    if not partial or "kind" in data:
        fields["kind"] = choice_field(data, "kind", BANK_KINDS)
    if "enabled" in data:
        if not isinstance(data["enabled"], bool):
            raise ValidationFailed("invalid_type", "'enabled' must be true or false", "enabled")
        fields["enabled"] = data["enabled"]
    for name, limit in THRESHOLD_LIMITS.items():
        if name in data:
            value = data[name]
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValidationFailed("invalid_type", f"'{name}' must be an integer", name)
            if not 0 <= value <= limit:
                raise ValidationFailed("out_of_range", f"'{name}' must be between 0 and {limit}", name)
            fields[name] = value
    return fields


def default_thresholds() -> dict[str, int]:
    return {f"{algorithm}_threshold": DEFAULT_THRESHOLDS[algorithm] for algorithm in ("pdq", "phash", "dhash")}


def get_bank(session: Session, bank_id: int) -> HashBank:
    bank = session.get(HashBank, bank_id)
    if bank is None:
        raise BankNotFound(f"no hash bank {bank_id}")
    return bank


def find_bank(session: Session, name_or_id: str) -> HashBank:
    """By exact name, or by id when given digits (the CLI accepts both)."""
    bank = session.scalar(select(HashBank).where(HashBank.name == name_or_id))
    if bank is None and name_or_id.isdigit():
        bank = session.get(HashBank, int(name_or_id))
    if bank is None:
        raise BankNotFound(f"no hash bank named {name_or_id!r}")
    return bank


def _name_taken(session: Session, name: str, except_id: int | None = None) -> bool:
    query = select(HashBank.id).where(HashBank.name == name)
    if except_id is not None:
        query = query.where(HashBank.id != except_id)
    return session.scalar(query) is not None


def create_bank(session: Session, fields: dict[str, Any], actor: Actor) -> HashBank:
    values = {**default_thresholds(), "description": "", "enabled": True, **fields}
    if _name_taken(session, values["name"]):
        raise BankNameTaken(f"a bank named {values['name']!r} exists", "name")
    now = utcnow()
    bank = HashBank(**values, created_at=now, updated_at=now)
    session.add(bank)
    try:
        session.flush()
    except IntegrityError as exc:  # created by someone else in the meantime
        session.rollback()
        raise BankNameTaken(f"a bank named {values['name']!r} exists", "name") from exc
    audit.record(
        session,
        actor,
        "bank.created",
        "hash_bank",
        bank.id,
        bank=bank.name,
        kind=bank.kind,
        enabled=bank.enabled,
        visibility=bank.visibility,
        owner_client_id=bank.owner_client_id,
        **{k: getattr(bank, k) for k in THRESHOLD_LIMITS},
    )
    record_change(session, bank.id, BankChangeOp.BANK_CHANGED)
    session.commit()
    return bank


def update_bank(session: Session, bank: HashBank, fields: dict[str, Any], actor: Actor) -> HashBank:
    """Apply the changed fields; thresholds and `enabled` reach every worker via the feed."""
    if "name" in fields and _name_taken(session, fields["name"], except_id=bank.id):
        raise BankNameTaken(f"a bank named {fields['name']!r} exists", "name")
    changes = {key: [getattr(bank, key), value] for key, value in fields.items() if getattr(bank, key) != value}
    if not changes:
        return bank
    for key, (_, new) in changes.items():
        setattr(bank, key, new)
    bank.updated_at = utcnow()
    # The description can be long; the log keeps that it changed, not its text twice.
    if "description" in changes:
        changes["description"] = "changed"
    audit.record(session, actor, "bank.updated", "hash_bank", bank.id, bank=bank.name, changes=changes)
    record_change(session, bank.id, BankChangeOp.BANK_CHANGED)
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise BankNameTaken(f"a bank named {fields.get('name')!r} exists", "name") from exc
    return bank


def list_banks(session: Session, *where) -> list[BankSummary]:
    """Every bank with its entry counts (`where`: SQL conditions on HashBank, e.g. what a client may see)."""
    counts = dict(
        (bank_id, (total, enabled))
        for bank_id, total, enabled in session.execute(
            select(
                BankEntry.bank_id, func.count(), func.sum(case((BankEntry.disabled_at.is_(None), 1), else_=0))
            ).group_by(BankEntry.bank_id)
        )
    )
    banks = session.scalars(select(HashBank).where(*where).order_by(HashBank.name)).all()
    return [BankSummary(bank, *(int(n or 0) for n in counts.get(bank.id, (0, 0)))) for bank in banks]


def bank_summary(session: Session, bank: HashBank) -> BankSummary:
    total, enabled = session.execute(
        select(func.count(), func.sum(case((BankEntry.disabled_at.is_(None), 1), else_=0))).where(
            BankEntry.bank_id == bank.id
        )
    ).one()
    return BankSummary(bank, int(total or 0), int(enabled or 0))
