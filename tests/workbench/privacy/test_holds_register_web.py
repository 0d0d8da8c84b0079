"""The legal team's register (/holds): holds across items, filtered and paged, and the reports to
authorities still waiting for a reference; the reader's region is kept; a moderator may not see it."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from tests.support.accounts import make_items, text_of
from tests.workbench.privacy.test_holds_web import scoped
from workbench.audit import Actor
from workbench.extensions import db
from workbench.models import Item, User
from workbench.models.base import utcnow
from workbench.services.privacy.holds import place_bank_match_holds, place_manual_hold, release_hold
from workbench.services.review.authority_reports import record_authority_report, request_authority_report
from workbench.services.review.evidence_register import HOLDS_PER_PAGE

HOSTILE = '<script>alert("held")</script>'


def manual_hold(app, item_id: int, *, days: int = 30, reason: str = "Preservation request", by: str | None = None):
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.username == by)) if by else None
        actor = Actor.user(user_id) if user_id else Actor.system("test")
        hold = place_manual_hold(
            db.session,
            db.session.get(Item, item_id),
            actor,
            reason=reason,
            citation=f"StPO s. 94; ref {item_id}-{days}",
            jurisdiction="DE",
            ends_at=utcnow() + timedelta(days=days),
        )
        db.session.commit()
        return hold.id


def csam_match(app, item_id: int) -> None:
    """A CSAM bank match: a provisional catalogue hold (US) and a pending report to NCMEC."""
    with app.app_context():
        item = db.session.get(Item, item_id)
        place_bank_match_holds(db.session, item, ["csam"])
        request_authority_report(db.session, item, "NCMEC", rule="US@1:us.ncmec.csam-hash-match")
        db.session.commit()


def reported(app, item_id: int) -> None:
    """A CSAM match whose report to NCMEC is made: no longer pending."""
    csam_match(app, item_id)
    with app.app_context():
        item = db.session.get(Item, item_id)
        record_authority_report(db.session, item, Actor.system("test"), "NCMEC", "CT-77", utcnow())
        db.session.commit()


def hold_items(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<td><a href="/items/(\d+)/evidence">Item', html)]


def test_legal_sees_holds_and_pending_reports_of_its_region_only(app, client, auth):
    de, other_de, done, india = make_items(app, [("DE", "de"), ("DE", "de"), ("DE", "de"), ("IN", "hi")])
    auth.login("legal", username="counsel")
    scoped(app, "counsel", ("DE",))
    manual_hold(app, de, by="counsel")
    csam_match(app, other_de)
    reported(app, done)
    manual_hold(app, india, reason="Hidden elsewhere")
    csam_match(app, india)

    home = text_of(client.get("/"))
    assert 'href="/holds">Evidence holds</a>' in home
    page = client.get("/holds")
    html = text_of(page)
    assert page.status_code == 200
    assert sorted(hold_items(html)) == [de, other_de, done]
    assert "StPO s. 94" in html and "counsel" in html and "csam_report" in html and "18 U.S.C. 2258A" in html
    assert "Preservation request" in html and "the workbench" in html  # reason of a manual hold; system placer
    pending = re.findall(r'id="pending-report-\d+">\s*<td><a href="([^"]+)"', html)
    assert pending == [f"/items/{other_de}/evidence#record-report"]
    assert "NCMEC" in html and "1 pending" in html
    assert "Hidden elsewhere" not in html and f"/items/{india}/" not in html


def test_a_moderator_may_not_see_the_register(app, client, auth):
    [item_id] = make_items(app, [("DE", "de")])
    manual_hold(app, item_id)
    auth.login("moderator", username="mod")
    assert client.get("/holds").status_code == 403
    assert 'href="/holds"' not in text_of(client.get("/"))


def test_filters(app, client, auth):
    soon, later, released, matched = make_items(app, [("DE", "de")] * 4)
    auth.login("admin", username="boss")
    manual_hold(app, soon, days=10)
    manual_hold(app, later, days=200)
    gone = manual_hold(app, released, days=50)
    csam_match(app, matched)
    with app.app_context():
        release_hold(db.session, gone, Actor.system("test"), reason="request withdrawn")
        db.session.commit()

    def shown(query: str) -> list[int]:
        response = client.get(f"/holds?{query}")
        assert response.status_code == 200, (query, response.status_code)
        return sorted(hold_items(text_of(response)))

    assert shown("") == sorted([soon, later, matched])  # active only, by default
    assert shown("origin=manual") == sorted([soon, later])
    assert shown("origin=catalogue") == [matched]
    assert shown("jurisdiction=us") == [matched]
    assert shown("jurisdiction=DE&within=30") == [soon]
    assert shown("status=inactive") == [released]
    assert shown("status=all&origin=manual") == sorted([soon, later, released])
    for bad in ("status=deleted", "origin=x", "within=0", "within=abc", "jurisdiction=D%3CE", "page=-1"):
        response = client.get(f"/holds?{bad}")
        assert response.status_code == 400 and "not valid" in text_of(response), bad
    # Unknown parameters are ignored, and never reach the paging links' url_for.
    assert client.get("/holds?_scheme=ftp&_external=1").status_code == 200


def test_hostile_reason_is_escaped(app, client, auth):
    [item_id] = make_items(app, [("DE", "de")])
    manual_hold(app, item_id, reason=HOSTILE)
    auth.login("legal", username="counsel")
    html = text_of(client.get("/holds"))
    assert HOSTILE not in html
    assert "&lt;script&gt;alert(&#34;held&#34;)&lt;/script&gt;" in html


def test_pages_are_capped(app, client, auth):
    items = make_items(app, [("DE", "de")] * (HOLDS_PER_PAGE + 1))
    for days, item_id in enumerate(items, start=1):
        manual_hold(app, item_id, days=days)
    auth.login("legal", username="counsel")
    first = text_of(client.get("/holds?origin=manual"))
    assert hold_items(first) == items[:HOLDS_PER_PAGE]  # the one ending soonest first
    assert 'id="next-page" href="/holds?page=2&amp;origin=manual"' in first
    second = text_of(client.get("/holds?origin=manual&page=2"))
    assert hold_items(second) == items[HOLDS_PER_PAGE:] and 'id="next-page"' not in second
    assert 'id="previous-page"' in second
