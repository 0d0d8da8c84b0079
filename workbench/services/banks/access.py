"""Which platform may see, change and be matched against which hash bank.

Staff (the web UI and the CLI) see and manage every bank. A platform's API key sees a bank
it owns (one it created through the API) or one staff shared (`visibility` shared-read);
any other bank is answered exactly like a bank that does not exist. Only the owner may
change a bank over the API. An owned bank matches only its owner's items, so a platform
cannot plant hashes of another platform's content in a list that acts on everyone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from workbench.models import ApiClient, HashBank
from workbench.models.hash_bank import BANK_VISIBILITIES
from workbench.services.banks.errors import BankError, BankNotFound
from workbench.services.validation import ValidationFailed, choice_field

PRIVATE, SHARED_READ = BANK_VISIBILITIES
SHARING_FIELDS = {"visibility", "owner_client_id"}


class BankNotOwned(BankError):
    code, status = "bank_not_owned", 403


def readable_by(client_id: int):
    """SQL condition: the banks this client may see."""
    return or_(HashBank.owner_client_id == client_id, HashBank.visibility == SHARED_READ)


def can_read(bank: HashBank, client_id: int) -> bool:
    return bank.owner_client_id == client_id or bank.visibility == SHARED_READ


def readable_bank(session: Session, client_id: int, bank_id: int) -> HashBank:
    """The bank, if the client may see it; otherwise the same 404 as for no bank at all."""
    bank = session.get(HashBank, bank_id)
    if bank is None or not can_read(bank, client_id):
        raise BankNotFound(f"no hash bank {bank_id}")
    return bank


def owned_bank(session: Session, client_id: int, bank_id: int) -> HashBank:
    """The bank, if the client owns it: 404 if it may not see it, 403 if it may only read it."""
    bank = readable_bank(session, client_id, bank_id)
    if bank.owner_client_id != client_id:
        raise BankNotOwned(f"hash bank {bank_id} is shared read-only: only its owner may change it")
    return bank


def matches_items_of(bank_owner_id: int | None, client_id: int) -> bool:
    """Staff banks match every platform's items; an owned bank only its owner's."""
    return bank_owner_id is None or bank_owner_id == client_id


def keep_matches_for_client(
    session: Session, client_id: int, hits: list, bank_of: Callable[[Any], int] = lambda hit: hit.bank_id
) -> list:
    """`hits` without those of banks another platform owns (`bank_of` reads a hit's bank id)."""
    bank_ids = sorted({bank_of(hit) for hit in hits})
    if not bank_ids:
        return hits
    owners = dict(session.execute(select(HashBank.id, HashBank.owner_client_id).where(HashBank.id.in_(bank_ids))).all())
    return [hit for hit in hits if matches_items_of(owners.get(bank_of(hit)), client_id)]


def parse_sharing_fields(session: Session, data: Mapping[str, Any]) -> dict[str, Any]:
    """Staff-only bank settings (never accepted over the API): visibility and owner."""
    fields: dict[str, Any] = {}
    if "visibility" in data:
        fields["visibility"] = choice_field(dict(data), "visibility", BANK_VISIBILITIES)
    if "owner_client_id" in data:
        owner = data["owner_client_id"]
        if owner is not None:
            if isinstance(owner, bool) or not isinstance(owner, int):
                raise ValidationFailed("invalid_type", "the owner must be an API client's id", "owner_client_id")
            if session.get(ApiClient, owner) is None:
                raise ValidationFailed("invalid_owner", f"no API client {owner}", "owner_client_id")
        fields["owner_client_id"] = owner
    return fields
