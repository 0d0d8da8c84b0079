"""Policy packs: drafts, validation, publishing, rollback, and the default packs of a new install.

Publishing is the only way a text becomes a version, and it refuses any text with an error:
a broken draft can never replace the version in force.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, replace

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from policies import DEFAULT_LIMITS, Issue, ValidationReport, default_pack_texts, validate_pack_text
from policies.vocabulary import JURISDICTION_PATTERN
from workbench import audit
from workbench.audit import Actor
from workbench.models import PolicyDraft, PolicyPack, PolicyVersion
from workbench.models.base import utcnow

SEED_ACTOR = Actor.system("policy-seed")
# The library refuses a text over DEFAULT_LIMITS.max_bytes (UTF-8) before parsing it; no text
# it accepts has more characters than that, so forms can refuse longer ones outright.
MAX_PACK_CHARS = DEFAULT_LIMITS.max_bytes
# Validation results by (text SHA-256, jurisdiction): viewing a draft again costs no parse.
_REPORT_CACHE_SIZE = 64
_reports: OrderedDict[tuple[str, str | None], ValidationReport] = OrderedDict()
_reports_lock = threading.Lock()
_JURISDICTION_LINE = re.compile(r"^jurisdiction\s*:", re.MULTILINE)


class PackNotFound(LookupError):
    pass


class DraftNotFound(LookupError):
    pass


class DraftClosed(ValueError):
    """The draft was already published; start a new one."""


class PublishRefused(ValueError):
    def __init__(self, report: ValidationReport):
        self.report = report
        super().__init__(str(report.errors[0]) if report.errors else "the pack is invalid")


class InvalidJurisdiction(ValueError):
    pass


@dataclass(frozen=True)
class SavedDraft:
    draft: PolicyDraft
    report: ValidationReport
    stored: bool = True  # False: over a size or complexity limit, nothing was written


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def actor_label(actor: Actor) -> str:
    return f"{actor.type}:{actor.id}"


def _user_id(actor: Actor) -> int | None:
    return int(actor.id) if actor.type == "user" and actor.id.isdigit() else None


def validate_for_pack(text: str, jurisdiction: str | None) -> ValidationReport:
    """The library's validation, plus: the text must be for this pack's jurisdiction.

    Its cost is bounded by the library's YAML limits, and a text seen recently is not parsed
    again (drafts are re-validated on every view)."""
    if len(text) > MAX_PACK_CHARS:  # refused before parsing: not worth hashing or keeping
        return _validate_for_pack(text, jurisdiction)
    key = (sha256_text(text), jurisdiction)
    with _reports_lock:
        cached = _reports.get(key)
        if cached is not None:
            _reports.move_to_end(key)
            return replace(cached, issues=list(cached.issues))
    report = _validate_for_pack(text, jurisdiction)
    with _reports_lock:
        _reports[key] = report
        while len(_reports) > _REPORT_CACHE_SIZE:
            _reports.popitem(last=False)
    return replace(report, issues=list(report.issues))


def _validate_for_pack(text: str, jurisdiction: str | None) -> ValidationReport:
    report = validate_pack_text(text)
    if jurisdiction and report.data is not None and report.data.get("jurisdiction") not in (None, jurisdiction):
        match = _JURISDICTION_LINE.search(text)
        line = text.count("\n", 0, match.start()) + 1 if match else 1
        report.issues.append(
            Issue(line, 1, "jurisdiction", f"this is the {jurisdiction} pack: jurisdiction must be {jurisdiction}")
        )
        report.issues.sort(key=lambda i: (i.line, i.column))
        report.pack = None
    return report


# --- reading -------------------------------------------------------------------------------


def list_packs(session: Session) -> list[tuple[PolicyPack, PolicyVersion | None, int]]:
    """Every pack with its version in force and its number of open drafts."""
    packs = session.scalars(select(PolicyPack).order_by(PolicyPack.jurisdiction)).all()
    current = {
        v.pack_id: v
        for v in session.scalars(
            select(PolicyVersion).where(
                PolicyVersion.id.in_(select(func.max(PolicyVersion.id)).group_by(PolicyVersion.pack_id))
            )
        )
    }
    drafts = dict(
        session.execute(
            select(PolicyDraft.pack_id, func.count())
            .where(PolicyDraft.published_version_id.is_(None))
            .group_by(PolicyDraft.pack_id)
        ).all()
    )
    order = {"GLOBAL": 0, "EU": 1}
    packs = sorted(packs, key=lambda p: (order.get(p.jurisdiction, 2), p.jurisdiction))
    return [(p, current.get(p.id), drafts.get(p.id, 0)) for p in packs]


def get_pack(session: Session, jurisdiction: str) -> PolicyPack:
    pack = session.scalar(select(PolicyPack).where(PolicyPack.jurisdiction == jurisdiction))
    if pack is None:
        raise PackNotFound(f"no {jurisdiction} pack")
    return pack


def current_version(session: Session, pack: PolicyPack) -> PolicyVersion | None:
    return session.scalar(
        select(PolicyVersion).where(PolicyVersion.pack_id == pack.id).order_by(PolicyVersion.number.desc()).limit(1)
    )


def versions_of(session: Session, pack: PolicyPack) -> list[PolicyVersion]:
    return list(
        session.scalars(
            select(PolicyVersion).where(PolicyVersion.pack_id == pack.id).order_by(PolicyVersion.number.desc())
        )
    )


def get_version(session: Session, pack: PolicyPack, number: int) -> PolicyVersion:
    version = session.scalar(
        select(PolicyVersion).where(PolicyVersion.pack_id == pack.id, PolicyVersion.number == number)
    )
    if version is None:
        raise PackNotFound(f"{pack.jurisdiction} has no version {number}")
    return version


def drafts_of(session: Session, pack: PolicyPack) -> list[PolicyDraft]:
    return list(
        session.scalars(select(PolicyDraft).where(PolicyDraft.pack_id == pack.id).order_by(PolicyDraft.id.desc()))
    )


def get_draft(session: Session, pack: PolicyPack, draft_id: int) -> PolicyDraft:
    draft = session.get(PolicyDraft, draft_id)
    if draft is None or draft.pack_id != pack.id:
        raise DraftNotFound(f"no draft {draft_id} of the {pack.jurisdiction} pack")
    return draft


# --- writing -------------------------------------------------------------------------------


def _publish(
    session: Session, pack: PolicyPack, text: str, actor: Actor, note: str, rollback_of: int | None = None
) -> PolicyVersion:
    """Adds the next version (no commit). The caller has validated the text."""
    # Lock the pack row: two editors publishing at once get consecutive numbers, not a clash.
    session.scalar(select(PolicyPack.id).where(PolicyPack.id == pack.id).with_for_update())
    last = session.scalar(select(func.max(PolicyVersion.number)).where(PolicyVersion.pack_id == pack.id)) or 0
    version = PolicyVersion(
        pack_id=pack.id,
        jurisdiction=pack.jurisdiction,
        number=last + 1,
        text=text,
        sha256=sha256_text(text),
        note=note.strip(),
        published_by=actor_label(actor),
        published_by_user_id=_user_id(actor),
        published_at=utcnow(),
        rollback_of=rollback_of,
    )
    session.add(version)
    session.flush()
    audit.record(
        session,
        actor,
        "policy.published",
        "policy_version",
        version.id,
        jurisdiction=pack.jurisdiction,
        number=version.number,
        sha256=version.sha256,
        note=version.note,
        rollback_of=rollback_of,
    )
    return version


def _ensure_pack(session: Session, jurisdiction: str, title: str, actor: Actor) -> PolicyPack:
    pack = session.scalar(select(PolicyPack).where(PolicyPack.jurisdiction == jurisdiction))
    if pack is None:
        pack = PolicyPack(jurisdiction=jurisdiction, title=title)
        session.add(pack)
        session.flush()
        audit.record(session, actor, "policy.pack_created", "policy_pack", pack.id, jurisdiction=jurisdiction)
    return pack


def seed_default_packs(session: Session, actor: Actor = SEED_ACTOR) -> list[PolicyVersion]:
    """Publishes each default pack that has no version yet as version 1. No commit."""
    published = []
    for jurisdiction, text in default_pack_texts().items():
        report = validate_pack_text(text)
        if not report.valid:  # the library's own tests keep this from happening
            raise PublishRefused(report)
        pack = _ensure_pack(session, jurisdiction, report.pack.name, actor)
        if current_version(session, pack) is None:
            published.append(_publish(session, pack, text, actor, "Default pack shipped with the workbench."))
    return published


def ensure_default_packs(session: Session, actor: Actor = SEED_ACTOR) -> list[PolicyVersion]:
    """Idempotent: `flask policies seed`, `make run` and first use."""
    published = seed_default_packs(session, actor)
    session.commit()
    return published


def create_pack(session: Session, jurisdiction: str, actor: Actor) -> PolicyPack:
    """A new, empty pack (e.g. FR) with a starter draft; it applies once a version is published."""
    jurisdiction = jurisdiction.strip().upper()
    if not re.fullmatch(JURISDICTION_PATTERN, jurisdiction):
        raise InvalidJurisdiction("GLOBAL, EU or a two-letter ISO 3166-1 code such as FR")
    report = validate_pack_text(starter_text(jurisdiction))
    if not report.valid:
        raise InvalidJurisdiction(str(report.errors[0].message))
    if session.scalar(select(PolicyPack).where(PolicyPack.jurisdiction == jurisdiction)) is not None:
        raise InvalidJurisdiction(f"there is already a {jurisdiction} pack")
    pack = _ensure_pack(session, jurisdiction, jurisdiction, actor)
    _new_draft(session, pack, None, starter_text(jurisdiction), actor)
    session.commit()
    return pack


def starter_text(jurisdiction: str) -> str:
    return f'jurisdiction: {jurisdiction}\nname: {jurisdiction}\nversion: "1"\nchangelog: First version.\nrules: []\n'


def _new_draft(session: Session, pack: PolicyPack, base: PolicyVersion | None, text: str, actor: Actor) -> PolicyDraft:
    report = validate_for_pack(text, pack.jurisdiction)
    draft = PolicyDraft(
        pack_id=pack.id,
        base_version_id=base.id if base else None,
        text=text,
        sha256=sha256_text(text),
        valid=report.valid,
        error_count=len(report.errors),
        created_by=actor_label(actor),
        updated_by=actor_label(actor),
    )
    session.add(draft)
    session.flush()
    audit.record(
        session,
        actor,
        "policy.draft_created",
        "policy_draft",
        draft.id,
        jurisdiction=pack.jurisdiction,
        base_version=base.number if base else None,
    )
    return draft


def create_draft(session: Session, pack: PolicyPack, actor: Actor, from_number: int | None = None) -> PolicyDraft:
    """A draft starting from the version in force (or the given one)."""
    base = get_version(session, pack, from_number) if from_number else current_version(session, pack)
    draft = _new_draft(session, pack, base, base.text if base else starter_text(pack.jurisdiction), actor)
    session.commit()
    return draft


def save_draft(session: Session, draft: PolicyDraft, text: str, actor: Actor) -> SavedDraft:
    """Keeps the text even when invalid (work in progress) and returns its issues."""
    if not draft.is_open:
        raise DraftClosed(f"draft {draft.id} was published as version {draft.published_version.number}")
    text = text.replace("\r\n", "\n")
    report = validate_for_pack(text, draft.pack.jurisdiction)
    if report.limit is not None:  # too large or an alias bomb: never stored, so never loaded again
        return SavedDraft(draft, report, stored=False)
    changed = text != draft.text
    draft.text = text
    draft.sha256 = sha256_text(text)
    draft.valid = report.valid
    draft.error_count = len(report.errors)
    draft.updated_by = actor_label(actor)
    draft.updated_at = utcnow()
    if changed:
        audit.record(
            session,
            actor,
            "policy.draft_saved",
            "policy_draft",
            draft.id,
            jurisdiction=draft.pack.jurisdiction,
            sha256=draft.sha256,
            valid=report.valid,
        )
    session.commit()
    return SavedDraft(draft, report)


def publish_draft(session: Session, draft: PolicyDraft, actor: Actor, note: str) -> PolicyVersion:
    if not draft.is_open:
        raise DraftClosed(f"draft {draft.id} was already published")
    report = validate_for_pack(draft.text, draft.pack.jurisdiction)
    if not report.valid:
        raise PublishRefused(report)
    version = _publish(session, draft.pack, draft.text, actor, note)
    draft.published_version_id = version.id
    session.commit()
    return version


def publish_text(session: Session, jurisdiction: str, text: str, actor: Actor, note: str) -> PolicyVersion:
    """Publishes a text directly (the CLI); same checks as a draft."""
    text = text.replace("\r\n", "\n")
    report = validate_for_pack(text, jurisdiction)
    if not report.valid:
        raise PublishRefused(report)
    pack = _ensure_pack(session, jurisdiction, report.pack.name, actor)
    version = _publish(session, pack, text, actor, note)
    session.commit()
    return version


def rollback_to(session: Session, pack: PolicyPack, number: int, actor: Actor, note: str = "") -> PolicyVersion:
    """Publishes version `number`'s text again as a new version."""
    old = get_version(session, pack, number)
    report = validate_for_pack(old.text, pack.jurisdiction)
    if not report.valid:  # e.g. the catalogue dropped a content class the old text used
        raise PublishRefused(report)
    version = _publish(session, pack, old.text, actor, note or f"Rollback to version {number}.", rollback_of=number)
    session.commit()
    return version
