"""Rule hit rates from stored evaluations, and the texts the diff view compares."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from policies import PackDiff, diff_pack_texts
from workbench.models import EvaluationPack, PolicyPack, RuleHit
from workbench.services.policy.packs import PackNotFound, get_draft, get_version
from workbench.services.policy.runtime import published_policies


@dataclass(frozen=True)
class RuleRate:
    jurisdiction: str
    version: int
    rule_id: str
    mode: str
    description: str
    hits: int  # distinct items the rule matched
    evaluated: int  # distinct items evaluated with this pack version

    @property
    def rate(self) -> float | None:
        return self.hits / self.evaluated if self.evaluated else None


def hit_rates(session: Session, mode: str | None = "shadow") -> list[RuleRate]:
    """Every rule (of `mode`, or all) of the versions in force, with its hits over the items
    those versions evaluated. Items evaluated again (a new report) count once."""
    published = published_policies(session)
    evaluated = {
        (j, v): n
        for j, v, n in session.execute(
            select(
                EvaluationPack.jurisdiction,
                EvaluationPack.pack_version,
                func.count(func.distinct(EvaluationPack.item_id)),
            ).group_by(EvaluationPack.jurisdiction, EvaluationPack.pack_version)
        )
    }
    statement = select(
        RuleHit.jurisdiction, RuleHit.pack_version, RuleHit.rule_id, func.count(func.distinct(RuleHit.item_id))
    ).group_by(RuleHit.jurisdiction, RuleHit.pack_version, RuleHit.rule_id)
    if mode:
        statement = statement.where(RuleHit.mode == mode)
    hits = {(j, v, r): n for j, v, r, n in session.execute(statement)}
    rows = []
    for jurisdiction, number in sorted(published.versions.items(), key=lambda kv: _pack_order(kv[0])):
        pack = published.pack(jurisdiction)
        for rule in pack.rules:
            if mode and rule.mode != mode:
                continue
            rows.append(
                RuleRate(
                    jurisdiction,
                    number,
                    rule.id,
                    rule.mode,
                    rule.description,
                    hits.get((jurisdiction, number, rule.id), 0),
                    evaluated.get((jurisdiction, number), 0),
                )
            )
    return rows


def _pack_order(jurisdiction: str) -> tuple:
    return ({"GLOBAL": 0, "EU": 1}.get(jurisdiction, 2), jurisdiction)


@dataclass(frozen=True)
class LabelledText:
    selector: str  # "v3" or "draft-5"
    label: str
    text: str


def text_for(session: Session, pack: PolicyPack, selector: str) -> LabelledText:
    """ "v3" / "3" is a published version, "draft-5" a draft of this pack."""
    selector = (selector or "").strip()
    if selector.startswith("draft-") and selector[6:].isdigit():
        draft = get_draft(session, pack, int(selector[6:]))
        return LabelledText(selector, f"{pack.jurisdiction} draft #{draft.id}", draft.text)
    number = selector[1:] if selector.startswith("v") else selector
    if not number.isdigit():
        raise PackNotFound(f"{selector!r} is neither a version (v3) nor a draft (draft-5)")
    version = get_version(session, pack, int(number))
    return LabelledText(f"v{version.number}", f"{pack.jurisdiction} version {version.number}", version.text)


def diff_texts(old: LabelledText, new: LabelledText) -> PackDiff:
    return diff_pack_texts(old.text, new.text, old.label, new.label)
