"""Building policy ItemFacts from stored rows, for one item or for a hundred thousand.

Four set-based queries per chunk (items, signals, hash matches with their bank, reports),
whatever the chunk size: the pipeline loads one item this way, backtests thousands at a time.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from policies import ItemFacts
from workbench.models import HashBank, HashMatch, Item, ItemSignal, Report

CHUNK_SIZE = 5000


@dataclass(frozen=True)
class ItemScope:
    """Which stored items: the last N, or those received in [since, until); optionally only
    from some countries (a country or EU pack applies to nothing else)."""

    last_n: int | None = None
    since: datetime | None = None
    until: datetime | None = None
    countries: frozenset[str] | None = None

    def where(self, statement):
        if self.since is not None:
            statement = statement.where(Item.created_at >= self.since)
        if self.until is not None:
            statement = statement.where(Item.created_at < self.until)
        if self.countries is not None:
            statement = statement.where(Item.country.in_(sorted(self.countries)))
        return statement


def item_ids_in_scope(session: Session, scope: ItemScope) -> list[int]:
    """Ascending ids. For last_n, the newest N items (of those countries)."""
    statement = scope.where(select(Item.id))
    if scope.last_n is not None:
        ids = list(session.scalars(statement.order_by(Item.id.desc()).limit(scope.last_n)))
        ids.reverse()
        return ids
    return list(session.scalars(statement.order_by(Item.id)))


def _content_date(value: datetime | None) -> str | None:
    return value.date().isoformat() if value else None


def load_facts(session: Session, item_ids: Sequence[int]) -> dict[int, ItemFacts]:
    """Facts for the given items (ascending or not), keyed by item id."""
    if not item_ids:
        return {}
    wanted = set(item_ids)
    lo, hi = min(wanted), max(wanted)
    dense = len(wanted) * 2 > hi - lo + 1

    def among(column):
        # A range when the ids are mostly contiguous (rows of other items are dropped below),
        # else the ids themselves (a country pack's items are scattered among the others).
        return column.between(lo, hi) if dense else column.in_(sorted(wanted))

    # Core execution on the session's connection: plain tuples, without the ORM's row loading.
    connection = session.connection()
    items = connection.execute(
        select(
            Item.id,
            Item.kind,
            Item.country,
            Item.language,
            Item.account_age_days,
            Item.content_date,
            Item.created_at,
            Item.visible_in,
        ).where(among(Item.id))
    ).all()
    signals: dict[int, dict[str, float]] = {}
    for item_id, label, score in connection.execute(
        select(ItemSignal.item_id, ItemSignal.label, ItemSignal.score).where(
            among(ItemSignal.item_id), ItemSignal.error.is_(None)
        )
    ):
        scores = signals.get(item_id)
        if scores is None:
            signals[item_id] = {label: score}
        elif score > scores.get(label, -1.0):  # two classifiers with one label: the higher score
            scores[label] = score
    matches: dict[int, list] = {}
    for item_id, algorithm, bank_name, bank_kind, distance in connection.execute(
        select(HashMatch.item_id, HashMatch.algorithm, HashBank.name, HashBank.kind, HashMatch.distance)
        .join(HashBank, HashBank.id == HashMatch.bank_id)
        .where(among(HashMatch.item_id))
    ):
        matches.setdefault(item_id, []).append((algorithm, bank_name, bank_kind, distance))
    reports: dict[int, list] = {}
    for item_id, *report in connection.execute(
        select(
            Report.item_id,
            Report.source,
            Report.category,
            Report.issuing_jurisdiction,
            Report.authority,
            Report.authority_rank,
        )
        .where(among(Report.item_id))
        .order_by(Report.id)
    ):
        reports.setdefault(item_id, []).append(tuple(report))
    facts = {}
    for item_id, kind, country, language, account_age_days, content_date, created_at, visible_in in items:
        if item_id not in wanted:
            continue
        facts[item_id] = ItemFacts(
            kind=kind,
            country=country,
            language=language,
            account_age_days=account_age_days,
            signals=signals.get(item_id, {}),
            hash_matches=matches.get(item_id, ()),
            reports=reports.get(item_id, ()),
            content_date=_content_date(content_date or created_at),
            item_id=str(item_id),
            visible_in=visible_in,  # None (everywhere) for items stored before audiences
        )
    return facts


def iter_fact_chunks(
    session: Session, item_ids: Sequence[int], chunk_size: int = CHUNK_SIZE
) -> Iterator[dict[int, ItemFacts]]:
    """Facts chunk by chunk; the caller may commit between chunks (progress) without harm."""
    for start in range(0, len(item_ids), chunk_size):
        yield load_facts(session, item_ids[start : start + chunk_size])


def facts_as_of(session: Session, item: Item) -> datetime:
    """When the newest fact arrived: the item itself, or its latest report."""
    latest_report = session.scalar(select(func.max(Report.received_at)).where(Report.item_id == item.id))
    return max(item.created_at, latest_report) if latest_report else item.created_at


def flatten(chunks: Iterable[dict[int, ItemFacts]]) -> Iterator[tuple[int, ItemFacts]]:
    for chunk in chunks:
        yield from chunk.items()
