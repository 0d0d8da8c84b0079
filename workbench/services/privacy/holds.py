"""Evidence holds (models/hold.py): placing the holds the catalogue requires, manual legal holds,
and what erasure and retention ask ("is this item held, and until when?").

Catalogue holds come from a plan's HoldRequirements (policies/holds.py) and the moments the law
counts from (`events`: removal, authority_report, order_receipt; detection when the event has
not happened yet). Placing is idempotent: the same requirement from the same moment is one row.
A hold counted provisionally from detection moves to the real event once it is known (the
2258A report's time), so the one-year period runs from the report as the law says.

Manual holds (a preservation request such as 18 U.S.C. 2703(f), TCO Art. 6(2), IT Rules
r.3(1)(g)) are placed, extended (only later) and released by people with holds.manage. Every
change writes its audit event in the same transaction; the callers commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from policies.catalogue import default_catalogue
from policies.holds import GDPR_NON_EU_LAW, GDPR_UNION_LAW, HoldRequirement, HoldRule, add_period, parse_period
from policies.model import RuleRef
from workbench import audit
from workbench.audit import Actor
from workbench.models import EvidenceHold, Item
from workbench.models.base import utcnow

HOLDS_ACTOR = Actor.system("holds")
# Hash-bank kinds whose matches are evidence, and the catalogue class that says for how long.
BANK_HOLDS = {"csam": ("US", "csam_report"), "terrorism": ("EU", "terrorist_content_removal_order")}
MAX_REASON = 2000
MAX_CITATION = 500
MAX_PERIOD_DAYS = 20 * 366  # a typo (P200Y) is refused rather than holding content for ever
STARTS_LABELS = {
    "removal": "the removal",
    "authority_report": "the report to the authority",
    "order_receipt": "the order's receipt",
    "detection": "detection",
    "manual": "placement",
}


class HoldError(ValueError):
    """Bad input for a manual hold; `field` names the form field."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message, self.field = message, field


class HoldNotFound(LookupError):
    pass


# --- reading ------------------------------------------------------------------------------


def active_holds(session: Session, item_id: int, now: datetime | None = None) -> list[EvidenceHold]:
    """The item's holds in force at `now`, the one that ends last first."""
    now = now or utcnow()
    return list(
        session.scalars(
            select(EvidenceHold)
            .where(EvidenceHold.item_id == item_id, EvidenceHold.released_at.is_(None), EvidenceHold.ends_at > now)
            .order_by(EvidenceHold.ends_at.desc(), EvidenceHold.id)
        )
    )


def hold_until(session: Session, item_id: int, now: datetime | None = None) -> datetime | None:
    """When the item's last active hold ends (None: not held)."""
    holds = active_holds(session, item_id, now)
    return holds[0].ends_at if holds else None


def holds_of_item(session: Session, item_id: int) -> list[EvidenceHold]:
    """Every hold of the item, ended and released ones too (the item page lists them)."""
    return list(
        session.scalars(
            select(EvidenceHold)
            .where(EvidenceHold.item_id == item_id)
            .order_by(EvidenceHold.starts_at, EvidenceHold.id)
        )
    )


def holds_by_item(session: Session, item_ids: list[int], now: datetime) -> dict[int, list[EvidenceHold]]:
    """Active holds of many items in one query (retention plans a batch at a time)."""
    found: dict[int, list[EvidenceHold]] = {}
    if item_ids:
        for hold in session.scalars(
            select(EvidenceHold).where(
                EvidenceHold.item_id.in_(item_ids), EvidenceHold.released_at.is_(None), EvidenceHold.ends_at > now
            )
        ):
            found.setdefault(hold.item_id, []).append(hold)
    return found


def describe(hold: EvidenceHold) -> str:
    """One line for erasure outcomes and retention plans."""
    return f"{hold.reason} (until {hold.ends_at:%Y-%m-%d}; {hold.citation})"


# --- catalogue holds ----------------------------------------------------------------------


def _requirement(raw) -> HoldRequirement:
    """A HoldRequirement, or its to_dict() form as a stored plan keeps it."""
    if isinstance(raw, HoldRequirement):
        return raw
    rule = raw.get("rule") or {}
    return HoldRequirement(
        jurisdiction=str(raw["jurisdiction"]),
        content_class=str(raw["content_class"]),
        hold=HoldRule(
            period=str(raw["period"]),
            starts=str(raw["starts"]),
            citation=str(raw.get("citation") or ""),
            gdpr_basis=str(raw.get("gdpr_basis") or ""),
            extension=raw.get("extension"),
        ),
        rule=RuleRef(
            str(rule.get("jurisdiction", "")), str(rule.get("pack_version", "")), str(rule.get("rule_id", ""))
        ),
    )


def _reason(requirement: HoldRequirement, starts_from: str) -> str:
    rule = requirement.rule
    source = f"rule {rule}" if rule.rule_id else "catalogue"
    return (
        f"{requirement.jurisdiction}/{requirement.content_class} ({source}): preserve for "
        f"{requirement.hold.period} from {STARTS_LABELS.get(starts_from, starts_from)}"
    )


def place_catalogue_holds(
    session: Session,
    item: Item,
    plan_holds: Iterable,
    events: Mapping[str, datetime | None],
    *,
    actor: Actor = HOLDS_ACTOR,
) -> list[EvidenceHold]:
    """Place (or move from provisional to real) the holds a plan requires; returns the rows
    placed or moved. No commit: the caller's transaction carries the rows and their events."""
    changed = []
    for raw in plan_holds:
        requirement = _requirement(raw)
        rule = requirement.hold
        start, starts_from, provisional = events.get(rule.starts), rule.starts, False
        if start is None:  # the event has not happened yet: count from detection until it does
            start, starts_from, provisional = events.get("detection") or utcnow(), "detection", True
        existing = list(
            session.scalars(
                select(EvidenceHold).where(
                    EvidenceHold.item_id == item.id,
                    EvidenceHold.origin == "catalogue",
                    EvidenceHold.jurisdiction == requirement.jurisdiction,
                    EvidenceHold.content_class == requirement.content_class,
                    EvidenceHold.released_at.is_(None),
                )
            )
        )
        if provisional and existing:
            continue  # already held (provisionally or from the real event)
        if any(hold.starts_at == start and not hold.provisional for hold in existing):
            continue  # the same requirement from the same moment: placed before
        moving = next((hold for hold in existing if hold.provisional), None)
        hold = moving or EvidenceHold(item_id=item.id, origin="catalogue", created_at=utcnow())
        previous_end = hold.ends_at if moving else None
        hold.jurisdiction, hold.content_class = requirement.jurisdiction, requirement.content_class
        hold.reason, hold.citation = _reason(requirement, rule.starts), rule.citation or requirement.content_class
        hold.gdpr_basis = rule.gdpr_basis or _gdpr_basis(requirement.jurisdiction)
        hold.starts_from, hold.period, hold.provisional = starts_from, rule.period, provisional
        hold.starts_at, hold.ends_at = start, rule.ends(start)
        if moving is None:
            session.add(hold)
        session.flush()
        audit.record(
            session,
            actor,
            "hold.placed",
            "item",
            item.id,
            hold_id=hold.id,
            origin="catalogue",
            jurisdiction=hold.jurisdiction,
            content_class=hold.content_class,
            rule=str(requirement.rule) if requirement.rule.rule_id else None,
            starts_from=starts_from,
            starts_at=hold.starts_at,
            ends_at=hold.ends_at,
            provisional=provisional,
            replaces_end=previous_end,
        )
        changed.append(hold)
    return changed


def catalogue_requirement(jurisdiction: str, content_class: str, rule: RuleRef | None = None) -> HoldRequirement | None:
    """The catalogue's hold for a class as a requirement (None when the class has no hold)."""
    hold = default_catalogue().hold_rule(jurisdiction, content_class)
    if hold is None:
        return None
    return HoldRequirement(jurisdiction, content_class, hold, rule or RuleRef("", "", ""))


def place_bank_match_holds(
    session: Session, item: Item, bank_kinds: Iterable[str], *, detected_at: datetime | None = None
) -> list[EvidenceHold]:
    """A match in a CSAM or terrorism bank is evidence: hold it under the class the bank's kind
    stands for, counted from detection until the law's own event (report, removal) is known."""
    requirements = []
    for kind in sorted(set(bank_kinds)):
        if kind in BANK_HOLDS:
            requirement = catalogue_requirement(*BANK_HOLDS[kind])
            if requirement is not None:
                requirements.append(requirement)
    return place_catalogue_holds(session, item, requirements, {"detection": detected_at or utcnow()})


# --- manual legal holds -------------------------------------------------------------------


def _gdpr_basis(jurisdiction: str) -> str:
    eu = default_catalogue().get("EU")
    union = jurisdiction == "EU" or (eu is not None and jurisdiction in eu.members)
    return GDPR_UNION_LAW if union else GDPR_NON_EU_LAW


def _text(value: str | None, field: str, label: str, limit: int) -> str:
    value = (value or "").strip()
    if not value:
        raise HoldError(f"{label} is required.", field)
    if len(value) > limit:
        raise HoldError(f"{label} is longer than {limit} characters.", field)
    return value


def _end(start: datetime, ends_at: datetime | None, period: str | None, now: datetime) -> datetime:
    if (ends_at is None) == (not period):
        raise HoldError("Give either an end date or a period (such as P90D or P6M).", "ends_at")
    if period:
        try:
            days = parse_period(period.strip().upper())
        except ValueError as exc:
            raise HoldError(str(exc), "period") from None
        if days[0] * 366 + days[1] * 31 + days[2] * 7 + days[3] > MAX_PERIOD_DAYS:
            raise HoldError("A hold may run at most 20 years; place another when it ends.", "period")
        ends_at = add_period(start, period.strip().upper())
    if ends_at.tzinfo is None:
        raise HoldError("The end needs a time zone.", "ends_at")
    if ends_at <= now:
        raise HoldError("The end must be in the future.", "ends_at")
    if (ends_at - start).days > MAX_PERIOD_DAYS:
        raise HoldError("A hold may run at most 20 years; place another when it ends.", "ends_at")
    return ends_at


def _user_id(actor: Actor) -> int | None:
    return int(actor.id) if actor.type == "user" else None


def place_manual_hold(
    session: Session,
    item: Item,
    actor: Actor,
    *,
    reason: str,
    citation: str,
    jurisdiction: str,
    ends_at: datetime | None = None,
    period: str | None = None,
    gdpr_basis: str | None = None,
    now: datetime | None = None,
) -> EvidenceHold:
    """A legal hold placed by a person: until `ends_at`, or `period` from now. Raises HoldError."""
    now = now or utcnow()
    reason = _text(reason, "reason", "The reason", MAX_REASON)
    citation = _text(citation, "citation", "The legal basis (citation)", MAX_CITATION)
    jurisdiction = _text(jurisdiction, "jurisdiction", "The jurisdiction", 8).upper()
    if not (jurisdiction in default_catalogue().jurisdictions or (len(jurisdiction) == 2 and jurisdiction.isalpha())):
        raise HoldError(f"{jurisdiction!r} is not a country code or a catalogue jurisdiction.", "jurisdiction")
    end = _end(now, ends_at, period, now)
    hold = EvidenceHold(
        item_id=item.id,
        origin="manual",
        jurisdiction=jurisdiction,
        content_class=None,
        reason=reason,
        citation=citation,
        gdpr_basis=(gdpr_basis or "").strip()[:MAX_CITATION] or _gdpr_basis(jurisdiction),
        starts_from="manual",
        period=period.strip().upper() if period else None,
        provisional=False,
        starts_at=now,
        ends_at=end,
        placed_by_user_id=_user_id(actor),
        created_at=now,
    )
    session.add(hold)
    session.flush()
    audit.record(
        session,
        actor,
        "hold.placed",
        "item",
        item.id,
        hold_id=hold.id,
        origin="manual",
        jurisdiction=jurisdiction,
        citation=citation,
        starts_at=now,
        ends_at=end,
        reason_chars=len(reason),
    )
    return hold


def _load(session: Session, hold_id: int, item_id: int | None) -> EvidenceHold:
    hold = session.get(EvidenceHold, hold_id)
    if hold is None or (item_id is not None and hold.item_id != item_id):
        raise HoldNotFound(f"No hold {hold_id}.")
    return hold


def extend_hold(
    session: Session,
    hold_id: int,
    actor: Actor,
    *,
    ends_at: datetime | None = None,
    period: str | None = None,
    reason: str,
    item_id: int | None = None,
    now: datetime | None = None,
) -> EvidenceHold:
    """Move an active hold's end later (`ends_at`, or `period` from its current end)."""
    now = now or utcnow()
    hold = _load(session, hold_id, item_id)
    if not hold.is_active(now):
        raise HoldError("This hold has ended or was released; place a new one.", "ends_at")
    reason = _text(reason, "reason", "The reason", MAX_REASON)
    end = _end(hold.ends_at, ends_at, period, now)
    if end <= hold.ends_at:
        raise HoldError(
            f"A hold can only be extended: choose an end after {hold.ends_at:%Y-%m-%d %H:%M} UTC.", "ends_at"
        )
    previous, hold.ends_at = hold.ends_at, end
    audit.record(
        session,
        actor,
        "hold.extended",
        "item",
        hold.item_id,
        hold_id=hold.id,
        previous_end=previous,
        ends_at=end,
        reason_chars=len(reason),
    )
    return hold


def release_hold(
    session: Session,
    hold_id: int,
    actor: Actor,
    *,
    reason: str,
    item_id: int | None = None,
    now: datetime | None = None,
) -> EvidenceHold:
    """End a manual hold early. Holds the catalogue requires end when the law's period does."""
    now = now or utcnow()
    hold = _load(session, hold_id, item_id)
    if hold.origin != "manual":
        raise HoldError("Only a manual hold can be released; the law sets this one's end.", "reason")
    if not hold.is_active(now):
        raise HoldError("This hold has already ended or was released.", "reason")
    reason = _text(reason, "reason", "The reason", MAX_REASON)
    hold.released_at, hold.released_by_user_id, hold.release_reason = now, _user_id(actor), reason
    audit.record(
        session,
        actor,
        "hold.released",
        "item",
        hold.item_id,
        hold_id=hold.id,
        ends_at=hold.ends_at,
        reason_chars=len(reason),
    )
    return hold
