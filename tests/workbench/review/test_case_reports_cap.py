"""The case page lists at most CASE_PAGE_REPORTS reports, the newest, and counts the rest."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from tests.support.accounts import text_of
from tests.workbench.review.helpers import client_id, make_case
from workbench.extensions import db
from workbench.models import Case, Report
from workbench.models.base import utcnow
from workbench.services.review.case_view import CASE_PAGE_REPORTS


def add_reports(app, case_id: int, count: int) -> None:
    """`count` user reports, one a minute, the oldest an authority order; explanation 'report <n>'."""
    cid = client_id(app)
    with app.app_context():
        item_id = db.session.scalar(select(Case.item_id).where(Case.id == case_id))
        start = utcnow() - timedelta(minutes=count)
        db.session.add_all(
            Report(
                item_id=item_id,
                client_id=cid,
                source="authority_order" if n == 1 else "user",
                category="harassment",
                explanation=f"report {n}",
                received_at=start + timedelta(minutes=n),
            )
            for n in range(1, count + 1)
        )
        db.session.commit()


def reports_section(html: str) -> str:
    return html.split('id="reports"')[1].split("</section>")[0]


def test_a_mass_reported_case_lists_the_newest_reports_and_counts_the_rest(app, client, auth):
    case_id = make_case(app)
    total = CASE_PAGE_REPORTS + 3
    add_reports(app, case_id, total)
    auth.login("moderator")
    section = reports_section(text_of(client.get(f"/cases/{case_id}")))
    listed = re.findall(r"<td>report (\d+)</td>", section)
    assert listed == [str(n) for n in range(total, 3, -1)]  # the newest 50, newest first
    assert "… and 3 more (older) not shown." in section
    assert f"{total} reports in all — authority_order: 1, user: {total - 1}." in section


def test_a_case_under_the_cap_lists_every_report_without_a_summary(app, client, auth):
    case_id = make_case(app)
    add_reports(app, case_id, 3)
    auth.login("moderator")
    section = reports_section(text_of(client.get(f"/cases/{case_id}")))
    assert re.findall(r"<td>report (\d+)</td>", section) == ["3", "2", "1"]
    assert "more (older)" not in section and "reports in all" not in section
