"""Matching an item's hashes against the banks: index candidates, confirmed in the database."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from workbench.models import BankEntry, HashBank
from workbench.services.banks.matcher import PERCEPTUAL, BankMatcher

EXACT = ("md5", "sha256")
_IN_BATCH = 500


@dataclass(frozen=True, order=True)
class BankHit:
    entry_id: int
    algorithm: str
    bank_id: int
    distance: int


def find_matches(
    session: Session, matcher: BankMatcher, hashes: dict[str, str], *, pdq_matchable: bool = True
) -> list[BankHit]:
    """Every enabled entry of an enabled bank within that bank's threshold.

    `hashes` maps algorithm -> hex; PDQ is skipped when its quality is too low.
    """
    matcher.ensure_fresh()
    candidates: dict[tuple[int, str], int] = {}
    for algorithm in PERCEPTUAL:
        value = hashes.get(algorithm)
        if value is None or (algorithm == "pdq" and not pdq_matchable):
            continue
        for entry_id, distance in matcher.candidates(algorithm, value):
            candidates[(entry_id, algorithm)] = distance
    hits: list[BankHit] = []
    ids = sorted({entry_id for entry_id, _ in candidates})
    for start in range(0, len(ids), _IN_BATCH):
        rows = session.execute(
            select(BankEntry.id, BankEntry.algorithm, BankEntry.bank_id, HashBank)
            .join(HashBank, HashBank.id == BankEntry.bank_id)
            .where(
                BankEntry.id.in_(ids[start : start + _IN_BATCH]),
                BankEntry.disabled_at.is_(None),
                HashBank.enabled.is_(True),
            )
        ).all()
        for entry_id, algorithm, bank_id, bank in rows:
            distance = candidates.get((entry_id, algorithm))
            if distance is not None and distance <= bank.threshold(algorithm):
                hits.append(BankHit(entry_id, algorithm, bank_id, distance))
    for algorithm in EXACT:
        value = hashes.get(algorithm)
        if value is None:
            continue
        rows = session.execute(
            select(BankEntry.id, BankEntry.bank_id)
            .join(HashBank, HashBank.id == BankEntry.bank_id)
            .where(
                BankEntry.algorithm == algorithm,
                BankEntry.value == value,
                BankEntry.disabled_at.is_(None),
                HashBank.enabled.is_(True),
            )
        ).all()
        hits.extend(BankHit(entry_id, algorithm, bank_id, 0) for entry_id, bank_id in rows)
    return sorted(hits)
