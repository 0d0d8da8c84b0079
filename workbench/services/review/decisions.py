"""A moderator's decision on a claimed case.

`decide_case` refuses (named exceptions, services/review/errors.py) a claim the user no
longer holds, a rule outside the packs that apply to the item, and an outcome or territorial
scope the rule does not allow. In one transaction it writes the Decision, closes the case
(a conditional UPDATE that restates the claim: a lost lease can never close it), runs
DECISION_HOOKS (QA sampling registers there), writes the audit event and queues the
webhook delivery (outbox); the delivery job is enqueued after the commit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session, lazyload

from policies.catalogue import default_catalogue
from policies.dsa import eu_eea_countries
from policies.plan import SEVERITY, VISIBILITY_BY_ACTION
from policies.vocabulary import RESTRICTING_ACTIONS
from workbench import audit
from workbench.audit import Actor
from workbench.models import Case, CaseStatus, Decision, Item
from workbench.models.base import utcnow
from workbench.services.policy.facts import load_facts
from workbench.services.review import packs_in_force
from workbench.services.review.claims import _mine, _require_decider, lease_lost
from workbench.services.review.errors import (
    CaseClosed,
    CaseNotFound,
    InvalidDecision,
    OutcomeNotAllowed,
    RuleNotAllowed,
)
from workbench.services.validation import COUNTRY_CODES
from workbench.services.webhooks.delivery import notify_decision
from workbench.settings import Settings

NO_ACTION = "no_action"  # reviewed: the content stays up
OUTCOME_LABELS = {
    "remove": "Remove everywhere",
    "geo_restrict": "Restrict in some countries",
    "age_restrict": "Age-restrict",
    "demote": "Demote",
    "label": "Label",
    NO_ACTION: "No violation (keep)",
}
VISIBILITY = {
    "remove": "removed",
    "geo_restrict": "geo_restricted",
    "age_restrict": "age_restricted",
    "demote": "demoted",
    "label": "labelled",
    NO_ACTION: "visible",
}
MAX_NOTE = 5000
# Called inside the decision's transaction, after the decision row is flushed:
# fn(session, decision, settings).
DECISION_HOOKS: list[Callable[[Session, Decision, Settings], None]] = []


@dataclass(frozen=True)
class AllowedRule:
    jurisdiction: str
    pack_version: int
    rule_id: str
    description: str
    outcomes: tuple[str, ...]  # in order of severity, NO_ACTION last
    territory: frozenset[str] | None  # where geo_restrict may apply; None = anywhere
    routed: bool  # the rule that routed the case

    @property
    def key(self) -> str:
        return f"{self.jurisdiction}@{self.pack_version}:{self.rule_id}"


def parse_rule(rule) -> tuple[str, int, str]:
    """ "DE@3:de.rule", {"jurisdiction", "pack_version", "rule_id"} or a 3-tuple → (j, version, id)."""
    try:
        if isinstance(rule, str):
            head, rule_id = rule.split(":", 1)
            jurisdiction, version = head.split("@", 1)
        elif isinstance(rule, dict):
            jurisdiction, version, rule_id = rule["jurisdiction"], rule["pack_version"], rule["rule_id"]
        else:
            jurisdiction, version, rule_id = rule
        return str(jurisdiction).upper(), int(version), str(rule_id)
    except (ValueError, KeyError, TypeError):
        raise RuleNotAllowed("Choose the rule the decision rests on.") from None


def _rule_outcomes(pack, rule) -> tuple[str, ...]:
    """What a human may decide under a rule: its own restricting actions; for a rule that only
    sends items to review, anything its pack can reach (a national pack: only its territory)."""
    own = [a.name for a in rule.actions if a.name in RESTRICTING_ACTIONS]
    if not own:
        own = list(RESTRICTING_ACTIONS) if pack.territory is None else ["geo_restrict"]
    return tuple(sorted(set(own), key=SEVERITY.get)) + (NO_ACTION,)


def allowed_rules(session: Session, case: Case, *, settings: Settings) -> list[AllowedRule]:
    """Enforced rules of the packs in force for the case's jurisdictions, the routing rule first."""
    published = packs_in_force.published(session, settings.review_policy_cache_s)
    rules = []
    for jurisdiction in case.jurisdictions or []:
        pack = published.pack(jurisdiction)
        if pack is None:
            continue
        for rule in pack.rules:
            if not rule.enforced:
                continue
            geo = next((a for a in rule.actions if a.name == "geo_restrict" and a.get("countries")), None)
            territory = frozenset(geo.get("countries")) if geo is not None else pack.territory
            rules.append(
                AllowedRule(
                    pack.jurisdiction,
                    int(pack.version),
                    rule.id,
                    rule.description,
                    _rule_outcomes(pack, rule),
                    territory,
                    routed=(jurisdiction, rule.id) == (case.rule_jurisdiction, case.rule_id),
                )
            )
    return sorted(rules, key=lambda r: not r.routed)


def _compiled_rule(session: Session, jurisdiction: str, rule_id: str, cache_s: float):
    pack = packs_in_force.published(session, cache_s).pack(jurisdiction)
    return pack.rule(rule_id) if pack is not None else None


def _check(case: Case, rules: list[AllowedRule], rule, outcome: str, scope) -> tuple[AllowedRule, list | None]:
    jurisdiction, version, rule_id = parse_rule(rule)
    chosen = next((r for r in rules if (r.jurisdiction, r.rule_id) == (jurisdiction, rule_id)), None)
    if chosen is None:
        raise RuleNotAllowed(
            f"{jurisdiction}:{rule_id} is not an enforced rule of the packs that apply to this "
            f"item ({', '.join(case.jurisdictions or [])})."
        )
    if chosen.pack_version != version:
        raise RuleNotAllowed(
            f"{chosen.jurisdiction} is now at version {chosen.pack_version} (the form showed "
            f"{version}); reload the case and choose the rule again."
        )
    if outcome not in chosen.outcomes:
        raise OutcomeNotAllowed(f"Rule {chosen.rule_id} allows {', '.join(chosen.outcomes)}, not {outcome!r}.")
    countries = sorted({c.strip().upper() for c in (scope or []) if c and c.strip()}) or None
    if outcome == "geo_restrict":
        if not countries:
            raise InvalidDecision("A geo-restriction needs the countries it applies to.", "territorial_scope")
        if chosen.territory is not None and not set(countries) <= chosen.territory:
            outside = sorted(set(countries) - chosen.territory)
            raise OutcomeNotAllowed(
                f"Rule {chosen.rule_id} cannot restrict in {', '.join(outside)}: outside its territory.",
                "territorial_scope",
            )
        unknown = [c for c in countries if c not in COUNTRY_CODES]
        if unknown:
            raise InvalidDecision(f"Not country codes: {', '.join(unknown)}.", "territorial_scope")
    elif countries:
        raise InvalidDecision(
            f"{OUTCOME_LABELS[outcome]} applies everywhere; leave the scope as everywhere or choose a geo-restriction.",
            "territorial_scope",
        )
    return chosen, countries


def _text(value: str | None, field: str, label: str) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidDecision(f"{label} is required.", field)
    if len(value) > MAX_NOTE:
        raise InvalidDecision(f"{label} is longer than {MAX_NOTE} characters.", field)
    return value


def _statement_of_reasons(
    session: Session,
    case: Case,
    item: Item,
    rule: AllowedRule,
    outcome: str,
    countries: list | None,
    explanation: str,
    settings: Settings,
) -> dict | None:
    """DSA Art. 17 fields for a restricting decision on an item the DSA applies to (visible in,
    or notified from, the EU/EEA: the case's jurisdictions, not the uploader's country)."""
    if outcome == NO_ACTION:
        return None
    catalogue = default_catalogue()
    if not catalogue.statement_of_reasons_required(case.jurisdictions or ["GLOBAL"]):
        return None
    eu_eea = eu_eea_countries()
    scope = sorted(eu_eea) if countries is None else sorted(eu_eea.intersection(countries))
    if not scope:
        return None
    compiled = _compiled_rule(session, rule.jurisdiction, rule.rule_id, settings.review_policy_cache_s)
    facts = load_facts(session, [item.id])[item.id]
    return {
        **compiled.legal.for_item(facts),
        "decision_visibility": [VISIBILITY_BY_ACTION[outcome]],
        "territorial_scope": scope,
        "content_date": facts.content_date,
        "decision_facts": explanation,
        "automated_decision": "AUTOMATED_DECISION_NOT_AUTOMATED",
        "rule": {"jurisdiction": rule.jurisdiction, "pack_version": str(rule.pack_version), "rule_id": rule.rule_id},
    }


def decide_case(
    session: Session,
    case_id: int,
    user,
    *,
    settings: Settings,
    outcome: str,
    rule,
    territorial_scope=None,
    internal_note: str,
    user_explanation: str,
    claim_token: int | None = None,
    now: datetime | None = None,
    bulk_source_case_id: int | None = None,
    _require_claim: bool = True,
    _commit: bool = True,
) -> Decision:
    """Record the user's decision on a case they hold. `claim_token` (from the form) refuses a
    decision made under an earlier claim of the same case. `settings` reach the packs' cache and
    DECISION_HOOKS (QA's sample rate). Commits (unless _commit=False)."""
    _require_decider(user)
    now = now or utcnow()
    # The case and its item in one query (the item's hashes are not needed here).
    found = session.execute(
        select(Case, Item).join(Item, Item.id == Case.item_id).where(Case.id == case_id).options(lazyload(Item.hashes))
    ).first()
    if found is None:
        raise CaseNotFound(f"No case {case_id}.")
    case, item = found
    if not case.is_open:
        raise CaseClosed(f"Case {case_id} was already decided or closed; nothing was saved.")
    internal_note = _text(internal_note, "internal_note", "The internal note")
    user_explanation = _text(user_explanation, "user_explanation", "The explanation for the user")
    chosen, countries = _check(case, allowed_rules(session, case, settings=settings), rule, outcome, territorial_scope)
    ref = {"jurisdiction": chosen.jurisdiction, "pack_version": str(chosen.pack_version), "rule_id": chosen.rule_id}
    action = {"action": outcome, "rule": ref, "superseded_by": None}
    if countries:
        action["countries"] = countries
    decision = Decision(
        item_id=item.id,
        case_id=case.id,
        evaluation_id=case.evaluation_id,
        automated=False,
        outcome=outcome,
        actions=[action],
        visibility=VISIBILITY[outcome],
        territorial_scope=countries,
        rule_jurisdiction=chosen.jurisdiction,
        rule_pack_version=chosen.pack_version,
        rule_id=chosen.rule_id,
        statement_of_reasons=_statement_of_reasons(
            session, case, item, chosen, outcome, countries, user_explanation, settings
        ),
        decided_by=f"user:{user.id}",
        decided_by_user_id=user.id,
        decided_at=now,
        internal_note=internal_note,
        user_explanation=user_explanation,
        bulk_source_case_id=bulk_source_case_id,
    )
    session.add(decision)
    session.flush()
    # The claim is checked by the UPDATE that closes the case: a lost lease closes nothing, and
    # the decision row above goes with the rollback.
    guard = [Case.id == case_id, Case.status == CaseStatus.OPEN]
    if _require_claim:
        guard.append(_mine(user, now))
        if claim_token is not None:
            guard.append(Case.claim_token == int(claim_token))
    closed = session.execute(
        update(Case)
        .where(*guard)
        .values(
            status=CaseStatus.CLOSED,
            closed_at=now,
            updated_at=now,
            claimed_by_user_id=None,
            lease_expires_at=None,
            held_until=None,
            closed_by_decision_id=decision.id,
        )
        .execution_options(synchronize_session=False)
    )
    if closed.rowcount != 1:
        session.rollback()
        raise lease_lost(session, case_id, user, now)
    audit.record(
        session,
        Actor.user(user.id),
        "decision.human",
        "decision",
        decision.id,
        case_id=case.id,
        item_id=item.id,
        outcome=outcome,
        visibility=decision.visibility,
        territorial_scope=countries,
        rule=chosen.key,
        queue=case.queue,
        bulk_source_case_id=bulk_source_case_id,
    )
    for hook in DECISION_HOOKS:
        hook(session, decision, settings)
    notify_decision(session, item, decision)  # its delivery job is queued once this commits
    if _commit:
        session.flush()
        session.expunge(decision)  # flushed: the caller reads it after the commit without a reload
        session.commit()
    return decision
