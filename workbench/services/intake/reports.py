"""Receiving notices about items (DSA Art. 16 notices, trusted flaggers, authority orders)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from policies import Report as ReportFacts
from policies import default_catalogue
from workbench import audit
from workbench.audit import Actor
from workbench.models import Item, Report, ReportContact
from workbench.services.intake.submissions import ReportSubmission
from workbench.services.privacy.pseudonyms import pseudonymise


class ItemNotFound(LookupError):
    pass


class AuthorityOrderRefused(ValueError):
    """The order cannot be acted on under its jurisdiction's rules (e.g. an officer below the
    rank the law requires); `problem` is the catalogue's AuthorityProblem (code, rule, citation)."""

    def __init__(self, problem):
        super().__init__(problem.message)
        self.problem = problem


@dataclass(frozen=True)
class ReportResult:
    report: Report
    created: bool


def _find_report(session: Session, client_id: int, external_id: str | None) -> Report | None:
    if external_id is None:
        return None
    return session.scalar(select(Report).where(Report.client_id == client_id, Report.external_id == external_id))


def _resolve_item(session: Session, client_id: int, submission: ReportSubmission) -> Item:
    if submission.item_id is not None:
        item = session.get(Item, submission.item_id)
    else:
        item = session.scalar(
            select(Item).where(Item.client_id == client_id, Item.external_id == submission.item_external_id)
        )
    # A client only ever sees its own items: someone else's id is simply not found.
    if item is None or item.client_id != client_id:
        raise ItemNotFound("no such item for this API client")
    return item


def _check_authority(submission: ReportSubmission) -> None:
    """Before anything is written: an order the law says not to act on is refused whole."""
    if submission.source != "authority_order":
        return
    problem = default_catalogue().check_authority(
        ReportFacts(
            submission.source,
            submission.category,
            issuing_jurisdiction=submission.issuing_jurisdiction,
            authority=submission.authority,
            authority_rank=submission.authority_rank,
        )
    )
    if problem is not None:
        raise AuthorityOrderRefused(problem)


def create_report(
    session: Session, *, client_id: int, submission: ReportSubmission, pseudonym_key: str
) -> ReportResult:
    existing = _find_report(session, client_id, submission.external_id)
    if existing is not None:
        return ReportResult(existing, created=False)
    _check_authority(submission)
    item = _resolve_item(session, client_id, submission)
    report = Report(
        item_id=item.id,
        client_id=client_id,
        external_id=submission.external_id,
        source=submission.source,
        category=submission.category,
        explanation=submission.explanation,
        authority=submission.authority,
        order_reference=submission.order_reference,
        issuing_jurisdiction=submission.issuing_jurisdiction,
        authority_rank=submission.authority_rank,
        reporter_pseudonym=(
            pseudonymise(pseudonym_key, client_id, submission.reporter_id) if submission.reporter_id else None
        ),
    )
    if submission.reporter_name or submission.reporter_email:
        report.contact = ReportContact(name=submission.reporter_name, email=submission.reporter_email)
    session.add(report)
    try:
        session.flush()
        audit.record(
            session,
            Actor.api_client(client_id),
            "report.received",
            "report",
            report.id,
            item_id=item.id,
            source=report.source,
            category=report.category,
            issuing_jurisdiction=report.issuing_jurisdiction,
            authority_rank=report.authority_rank,
            has_contact=report.contact is not None,
        )
        session.commit()
    except IntegrityError:
        session.rollback()
        existing = _find_report(session, client_id, submission.external_id)
        if existing is None:
            raise
        return ReportResult(existing, created=False)
    return ReportResult(report, created=True)
