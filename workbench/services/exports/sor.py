"""DSA statements of reasons in the EU Transparency Database's schema (Art. 17 and 24(5)).

One statement per decision that carries a statement of reasons (a restriction of an item from
the EU/EEA), human or automated. The file is JSONL: each line is one request body of the
database's multiple-create endpoint, `{"statements": [...]}` with 1 to 100 statements, so a
submitter can POST the lines as they are. Every statement is validated against
workbench/services/exports/schemas/dsa_sor.schema.json before it is written; the file is written to a
temporary name and renamed at the end, so a failure leaves no half-written export.

No personal data (Art. 24(5)): the puid is a keyed hash of the decision id (the author's
pseudonym never appears), reporters are named only when they are authorities, and the
moderator's explanation is cleaned of e-mail addresses, @handles, links and the item's text.
Where the workbench differs from the database's rules, docs/compliance.md says why.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import IO

from jsonschema import Draft202012Validator, FormatChecker
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from policies.dsa import ILLEGAL, INCOMPATIBLE, dsa_enums
from policies.plan import VISIBILITY_BY_ACTION
from policies.vocabulary import RESTRICTING_ACTIONS
from workbench import audit
from workbench.audit import Actor
from workbench.models import Decision, Item, Report
from workbench.services.policy.runtime import published_policies

SCHEMA_PATH = Path(__file__).parent / "schemas" / "dsa_sor.schema.json"
BATCH_SIZE = 100  # the database takes 1 to 100 statements per call
LEGAL_FIELDS = (
    "decision_ground",
    "illegal_content_legal_ground",
    "illegal_content_explanation",
    "incompatible_content_ground",
    "incompatible_content_explanation",
    "incompatible_content_illegal",
    "category",
    "category_addition",
    "category_specification",
    "category_specification_other",
    "content_type",
    "content_type_other",
    "decision_ground_reference_url",
)
# The notice a decision answers, most formal first: an authority's order, a trusted flagger, a user.
SOURCE_BY_REPORT = (
    ("authority_order", "SOURCE_TYPE_OTHER_NOTIFICATION"),
    ("trusted_flagger", "SOURCE_TRUSTED_FLAGGER"),
    ("user", "SOURCE_ARTICLE_16"),
)
MAX_FACTS, MAX_EXPLANATION, MAX_SHORT = 5000, 2000, 500
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_HANDLE = re.compile(r"(?<![\w@])@\w{2,}")
_LINK = re.compile(r"\b(?:https?://|www\.)\S+?(?=[.,;:!?)\]\"']*(?:\s|$))", re.IGNORECASE)

Progress = Callable[[int, int], None]  # (statements written, statements in the export)


class InvalidStatement(ValueError):
    """A statement the schema refuses: the export stops and writes nothing."""

    def __init__(self, decision_id: int, errors: list[str]):
        super().__init__(f"decision {decision_id}: statement of reasons is invalid: {'; '.join(errors)}")
        self.decision_id = decision_id
        self.errors = errors


@lru_cache(maxsize=1)
def sor_schema() -> dict:
    with open(SCHEMA_PATH, encoding="utf-8") as handle:
        return json.load(handle)


@lru_cache(maxsize=1)
def sor_validator() -> Draft202012Validator:
    schema = sor_schema()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=FormatChecker())


def statement_errors(statement: dict) -> list[str]:
    """Every schema violation of one statement, as '<field>: <message>' (empty: valid)."""
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '(statement)'}: {e.message}"
        for e in sorted(sor_validator().iter_errors(statement), key=lambda e: list(map(str, e.path)))
    ]


def statement_puid(key: str, decision_id: int) -> str:
    """Unique per platform and never reused, as the database asks, but not reversible to the
    decision (nor to any user) without the workbench's pseudonym key."""
    digest = hmac.new(key.encode("utf-8"), f"dsa-sor:{decision_id}".encode(), hashlib.sha256).hexdigest()
    return f"wb-{digest}"


def _bounds(since, until) -> tuple[datetime | None, datetime | None]:
    """Dates are whole UTC days (both inclusive); datetimes are [since, until)."""

    def start(value, next_day=False):
        if value is None or isinstance(value, datetime):
            return value
        day = value + timedelta(days=1) if next_day else value
        return datetime.combine(day, time.min, tzinfo=UTC)

    return start(since), start(until, next_day=True)


def _scrub(text: str, item_text: str | None) -> str:
    """Free text written for the user, made fit for a public database."""
    if item_text and len(item_text.strip()) >= 8:
        text = text.replace(item_text.strip(), "[content]")
    text = _EMAIL.sub("[e-mail]", text)
    text = _LINK.sub("[link]", text)
    return _HANDLE.sub("[user]", text).strip()


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _language(tag: str | None) -> str | None:
    primary = (tag or "").split("-")[0].split("_")[0].upper()
    return primary if primary in dsa_enums()["LANGUAGES"] else None


def _source(reports: list[tuple]) -> tuple[str, str | None]:
    sources = {source: authority for source, authority in reports}
    for report_source, source_type in SOURCE_BY_REPORT:
        if report_source in sources:
            authority = sources[report_source] if report_source == "authority_order" else None
            return source_type, _clip(authority.strip(), MAX_SHORT) if authority and authority.strip() else None
    return "SOURCE_VOLUNTARY", None


class _RuleTexts:
    """Descriptions of published rules, looked up once per rule per export."""

    def __init__(self, session: Session):
        self.session, self.cache = session, {}

    def __call__(self, jurisdiction: str, rule_id: str) -> str | None:
        key = (jurisdiction, rule_id)
        if key not in self.cache:
            pack = published_policies(self.session).pack(jurisdiction)
            try:
                self.cache[key] = pack.rule(rule_id).description if pack is not None else None
            except KeyError:
                self.cache[key] = None
        return self.cache[key]


def build_statement(
    decision: Decision, item: dict, reports: list[tuple], puid_key: str, rule_text: Callable[[str, str], str | None]
) -> dict:
    """The database's fields for one decision. `item`: language, content_date, created_at, text;
    `reports`: (source, authority) of the notices received before the decision."""
    sor = decision.statement_of_reasons or {}
    statement = {key: sor[key] for key in LEGAL_FIELDS if sor.get(key) not in (None, "", [])}
    source_type, source_identity = _source(reports)
    if decision.automated:
        description = rule_text(decision.rule_jurisdiction, decision.rule_id) or "a published moderation rule"
        facts = (
            f"Automated decision under rule {decision.rule_jurisdiction}:{decision.rule_id} "
            f"(version {decision.rule_pack_version}): {description}"
        )
    else:
        facts = _scrub(decision.user_explanation or sor.get("decision_facts") or "", item.get("text"))
        facts = facts or f"Decided on review under rule {decision.rule_jurisdiction}:{decision.rule_id}."
    facts = _clip(facts, MAX_FACTS)
    ground = statement.get("decision_ground")
    if ground == ILLEGAL:
        statement.setdefault("illegal_content_explanation", _clip(facts, MAX_EXPLANATION))
    elif ground == INCOMPATIBLE:
        statement.setdefault("incompatible_content_explanation", _clip(facts, MAX_EXPLANATION))
    visibility = sor.get("decision_visibility") or [VISIBILITY_BY_ACTION[decision.outcome]]
    countries = set(dsa_enums()["COUNTRIES"])
    content_date = sor.get("content_date") or (item.get("content_date") or item["created_at"]).date().isoformat()
    statement.update(
        {
            "decision_visibility": sorted(set(visibility)),
            "decision_facts": facts,
            "content_date": str(content_date)[:10],
            "application_date": decision.decided_at.astimezone(UTC).date().isoformat(),
            "source_type": source_type,
            # Content nobody notified us of was found by the pipeline (hash banks, classifiers).
            "automated_detection": "Yes" if source_type == "SOURCE_VOLUNTARY" else "No",
            "automated_decision": (
                "AUTOMATED_DECISION_FULLY"
                if decision.automated
                else "AUTOMATED_DECISION_PARTIALLY"
                if decision.bulk_source_case_id
                else "AUTOMATED_DECISION_NOT_AUTOMATED"
            ),
            "puid": statement_puid(puid_key, decision.id),
        }
    )
    scope = sorted(countries.intersection(sor.get("territorial_scope") or ()))
    if scope:
        statement["territorial_scope"] = scope
    language = _language(item.get("language"))
    if language:
        statement["content_language"] = language
    if source_identity:
        statement["source_identity"] = source_identity
    return statement


def _decision_filter(since, until) -> list:
    start, end = _bounds(since, until)
    # Rows holding JSON `null` (no statement was due) are not SQL NULL: test a required field.
    where = [
        Decision.outcome.in_(RESTRICTING_ACTIONS),
        Decision.statement_of_reasons["decision_ground"].as_string().is_not(None),
    ]
    if start is not None:
        where.append(Decision.decided_at >= start)
    if end is not None:
        where.append(Decision.decided_at < end)
    return where


def count_statements(session: Session, *, since=None, until=None) -> int:
    """How many statements the export will write (the progress bar's total)."""
    return session.scalar(select(func.count(Decision.id)).where(*_decision_filter(since, until))) or 0


def iter_statements(
    session: Session, *, since=None, until=None, puid_key: str, page_size: int = BATCH_SIZE
) -> Iterator[tuple[int, dict]]:
    """(decision id, statement) in decision id order, one keyset page in memory at a time."""
    where = _decision_filter(since, until)
    rule_text = _RuleTexts(session)
    last_id = 0
    while True:  # the identity map holds rows weakly: a page is freed once the next one is read
        decisions = session.scalars(
            select(Decision).where(*where, Decision.id > last_id).order_by(Decision.id).limit(page_size)
        ).all()
        if not decisions:
            return
        last_id = decisions[-1].id
        item_ids = {d.item_id for d in decisions}
        items = {
            row.id: row._asdict()
            for row in session.execute(
                select(Item.id, Item.language, Item.content_date, Item.created_at, Item.text).where(
                    Item.id.in_(item_ids)
                )
            )
        }
        reports: dict[int, list] = {}
        for item_id, source, authority, received_at in session.execute(
            select(Report.item_id, Report.source, Report.authority, Report.received_at).where(
                Report.item_id.in_(item_ids)
            )
        ):
            reports.setdefault(item_id, []).append((source, authority, received_at))
        for decision in decisions:
            if not decision.statement_of_reasons:
                continue
            before = [(s, a) for s, a, at in reports.get(decision.item_id, ()) if at <= decision.decided_at]
            yield decision.id, build_statement(decision, items[decision.item_id], before, puid_key, rule_text)


def _batches(statements: Iterator[tuple[int, dict]]) -> Iterator[list[dict]]:
    batch = []
    for decision_id, statement in statements:
        errors = statement_errors(statement)
        if errors:
            raise InvalidStatement(decision_id, errors)
        batch.append(statement)
        if len(batch) == BATCH_SIZE:
            yield batch
            batch = []
    if batch:
        yield batch


def write_sor_export(
    session: Session, out, *, puid_key: str, since=None, until=None, actor: Actor, progress: Progress | None = None
) -> int:
    """Write the statements of decisions made in [since, until] to `out` (a path, or a text
    file opened for writing) as JSONL batches; record the export in the audit log (commits).
    `puid_key` keys the statements' puids (Settings.pseudonym_key).
    Returns the number of statements written. Raises InvalidStatement: a path is then left
    untouched (written as <name>.partial, renamed at the end); a file object may hold the batches
    written before the invalid one, so the caller should discard it."""
    total = count_statements(session, since=since, until=until)
    statements = iter_statements(session, since=since, until=until, puid_key=puid_key)
    digest, written, batches = hashlib.sha256(), 0, 0
    if progress:
        progress(0, total)

    def write_to(handle: IO[str]) -> None:
        nonlocal written, batches
        for batch in _batches(statements):
            line = json.dumps({"statements": batch}, ensure_ascii=False, separators=(",", ":")) + "\n"
            handle.write(line)
            digest.update(line.encode("utf-8"))
            written += len(batch)
            batches += 1
            if progress:
                progress(written, max(total, written))

    if hasattr(out, "write"):
        write_to(out)
        name = getattr(out, "name", None)
    else:
        path = Path(out)
        partial = path.with_name(path.name + ".partial")
        try:
            with open(partial, "w", encoding="utf-8") as handle:
                write_to(handle)
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)
        name = path.name
    audit.record(
        session,
        actor,
        "export.sor",
        "export",
        f"sor-{digest.hexdigest()[:16]}",
        statements=written,
        batches=batches,
        since=_iso(since),
        until=_iso(until),
        sha256=digest.hexdigest(),
        file=os.path.basename(str(name)) if name else None,
    )
    session.commit()
    return written


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
