"""Transparency figures against a hand-built period with known counts and medians; CSV; the page."""

from __future__ import annotations

import csv
import json
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from tests.workbench.review.helpers import client_id, publish_default_packs
from workbench.audit import Actor
from workbench.extensions import db
from workbench.models import Appeal, AuditEvent, Decision, Item, Report
from workbench.models.appeal import DecisionReversal

FEB = date(2026, 2, 1), date(2026, 2, 28)


def at(day: int, hour: float = 0, month: int = 2) -> datetime:
    return datetime(2026, month, day, tzinfo=UTC) + timedelta(hours=hour)


def _sor(ground: str, category: str) -> dict:
    key = "illegal_content_legal_ground" if ground.endswith("ILLEGAL_CONTENT") else "incompatible_content_ground"
    return {
        "decision_ground": ground,
        key: "x",
        "category": category,
        "content_type": ["CONTENT_TYPE_TEXT"],
        "decision_visibility": ["DECISION_VISIBILITY_CONTENT_REMOVED"],
        "territorial_scope": ["DE"],
        "content_date": "2026-01-01",
    }


ILLEGAL, INCOMPATIBLE = "DECISION_GROUND_ILLEGAL_CONTENT", "DECISION_GROUND_INCOMPATIBLE_CONTENT"


def build_period(app) -> None:
    """Notices with known delays to the first decision: user 2 h and 10 h (and one undecided),
    trusted flagger 4 h, authority order 1 h; two appeals decided in 6 h and 2 h; one outside."""
    publish_default_packs(app)
    cid = client_id(app)
    with app.app_context():

        def item(name, country="DE"):
            row = Item(
                client_id=cid,
                external_id=name,
                kind="text",
                author_pseudonym="a" * 64,
                country=country,
                language="de",
                text="t",
                status="processed",
            )
            db.session.add(row)
            db.session.flush()
            return row.id

        def notice(item_id, source, category, when):
            db.session.add(
                Report(
                    item_id=item_id,
                    client_id=cid,
                    external_id=f"r-{item_id}-{source}",
                    source=source,
                    category=category,
                    received_at=when,
                )
            )

        def decision(item_id, outcome, when, *, automated, sor=None, rule=("GLOBAL", "global.threat")):
            row = Decision(
                item_id=item_id,
                automated=automated,
                outcome=outcome,
                actions=[],
                visibility="removed",
                rule_jurisdiction=rule[0],
                rule_pack_version=1,
                rule_id=rule[1],
                statement_of_reasons=sor,
                decided_by="system:route" if automated else "user:1",
                decided_at=when,
            )
            db.session.add(row)
            db.session.flush()
            return row.id

        i1, i2, i3, i4, i5, i6, i7 = (item(f"tr-{n}") for n in range(1, 8))
        us = item("tr-us", "US")
        notice(i1, "user", "illegal_hate_speech", at(1, 10))
        d1 = decision(
            i1, "remove", at(1, 12), automated=False, sor=_sor(ILLEGAL, "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH")
        )
        notice(i2, "trusted_flagger", "terrorism", at(2))
        d2 = decision(
            i2,
            "geo_restrict",
            at(2, 4),
            automated=True,
            sor=_sor(INCOMPATIBLE, "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY"),
        )
        notice(i3, "user", "nudity", at(3))
        decision(i3, "no_action", at(3, 10), automated=False)
        notice(i4, "user", "illegal_hate_speech", at(4))  # never decided
        notice(i5, "authority_order", "terrorism", at(5))
        d5 = decision(
            i5, "remove", at(5, 1), automated=True, sor=_sor(ILLEGAL, "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY")
        )
        decision(us, "remove", at(9), automated=False)  # no statement: the rule's ground (terms of service)
        notice(i6, "user", "spam", at(31, 12, month=1))  # before the period
        decision(
            i6, "remove", at(1, 0, month=3), automated=False, sor=_sor(ILLEGAL, "STATEMENT_CATEGORY_SCAMS_AND_FRAUD")
        )
        decision(
            i7, "label", at(28, 23.5), automated=True, sor=_sor(INCOMPATIBLE, "STATEMENT_CATEGORY_OTHER_VIOLATION_TC")
        )

        def appeal(decision_id, item_id, received, decided=None, outcome=None):
            row = Appeal(
                client_id=cid,
                external_id=f"ap-{decision_id}",
                item_id=item_id,
                decision_id=decision_id,
                explanation="please",
                status="decided" if decided else "open",
                outcome=outcome,
                decided_at=decided,
                received_at=received,
            )
            db.session.add(row)
            db.session.flush()
            return row.id

        a1 = appeal(d1, i1, at(6), at(6, 6), "overturn")
        restore = decision(i1, "restore", at(6, 6), automated=False)
        db.session.add(
            DecisionReversal(decision_id=d1, reversed_by_decision_id=restore, appeal_id=a1, reversed_at=at(6, 6))
        )
        appeal(d5, i5, at(7), at(7, 2), "uphold")
        appeal(d2, i2, at(8))
        db.session.commit()


def test_figures_match_the_hand_built_period(app):
    from workbench.services.exports.transparency import transparency_figures

    build_period(app)
    with app.app_context():
        figures = transparency_figures(db.session, *FEB)
    assert figures["notices_total"] == 5
    assert figures["trusted_flagger_notices"] == 1 and figures["authority_orders"] == 1
    assert {(r["category"], r["source"]): r["notices"] for r in figures["notices_by_category_source"]} == {
        ("illegal_hate_speech", "user"): 2,
        ("nudity", "user"): 1,
        ("terrorism", "trusted_flagger"): 1,
        ("terrorism", "authority_order"): 1,
    }
    by_source = {r["source"]: r for r in figures["notices_by_source"]}
    assert by_source["user"] == {"source": "user", "notices": 3, "decided": 2, "median_hours_to_action": 6.0}
    assert by_source["trusted_flagger"]["median_hours_to_action"] == 4.0
    assert by_source["authority_order"]["median_hours_to_action"] == 1.0
    assert by_source["all"]["decided"] == 4 and figures["median_hours_to_action"] == 3.0  # median of 1, 2, 4, 10
    grounds = {r["decision_ground"]: r for r in figures["actions_by_ground"]}
    assert grounds[ILLEGAL] == {"decision_ground": ILLEGAL, "automated": 1, "human": 1, "total": 2}
    assert grounds[INCOMPATIBLE] == {"decision_ground": INCOMPATIBLE, "automated": 2, "human": 1, "total": 3}
    assert (figures["actions_total"], figures["actions_automated"], figures["actions_human"]) == (5, 3, 2)
    categories = {r["category"]: r["total"] for r in figures["actions_by_category"]}
    assert categories["STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY"] == 2
    assert categories["STATEMENT_CATEGORY_VIOLENCE"] == 1  # global.threat's category, for the US item
    outcomes = {r["outcome"]: (r["automated"], r["human"]) for r in figures["decisions_by_outcome"]}
    assert outcomes == {
        "remove": (1, 2),
        "geo_restrict": (1, 0),
        "no_action": (0, 1),
        "label": (1, 0),
        "restore": (0, 1),
    }
    days = {r["day"]: (r["automated"], r["human"]) for r in figures["decisions_per_day"]}
    assert days["2026-02-01"] == (0, 1) and days["2026-02-28"] == (1, 0) and "2026-03-01" not in days
    assert figures["complaints"] == {
        "received": 3,
        "decided": 2,
        "upheld": 1,
        "overturned": 1,
        "reversals": 1,
        "median_hours_to_decide": 4.0,
    }


def test_an_empty_period_has_zero_figures(app):
    from workbench.services.exports.transparency import transparency_figures

    with app.app_context():
        figures = transparency_figures(db.session, date(2020, 1, 1), date(2020, 1, 31))
    assert figures["notices_total"] == 0 and figures["median_hours_to_action"] is None
    assert figures["actions_by_ground"] == [] and figures["complaints"]["median_hours_to_decide"] is None


def test_csv_files_and_audit_event(app, tmp_path):
    from workbench.services.exports.transparency import write_transparency_report

    build_period(app)
    seen = []
    with app.app_context():
        paths = write_transparency_report(
            db.session,
            *FEB,
            tmp_path / "report",
            actor=Actor.system("tests"),
            progress=lambda done, total: seen.append((done, total)),
        )
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "export.transparency"))
        assert json.loads(event.payload)["notices"] == 5
    assert {p.name for p in paths} == {
        "summary.csv",
        "notices_by_category_source.csv",
        "notices_by_source.csv",
        "actions_by_ground.csv",
        "actions_by_category.csv",
        "decisions_by_outcome.csv",
        "decisions_per_day.csv",
    }
    assert seen[-1] == (7, 7)
    summary = {r["figure"]: r["value"] for r in csv.DictReader((tmp_path / "report" / "summary.csv").open())}
    assert summary["notices_total"] == "5" and summary["median_hours_to_action"] == "3.0"
    assert summary["complaints_overturned"] == "1"
    grounds = list(csv.DictReader((tmp_path / "report" / "actions_by_ground.csv").open()))
    assert {r["decision_ground"]: r["total"] for r in grounds} == {ILLEGAL: "2", INCOMPATIBLE: "3"}


def test_cli(app, tmp_path):
    build_period(app)
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["export", "transparency", "--from", "2026-02-01", "--to", "2026-02-28", "--out", str(tmp_path / "cli")]
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "cli" / "notices_by_source.csv").exists()
    bad = runner.invoke(
        args=["export", "transparency", "--from", "2026-02-28", "--to", "2026-02-01", "--out", str(tmp_path / "x")]
    )
    assert bad.exit_code != 0 and not (tmp_path / "x").exists()


def test_page_renders_for_an_auditor_and_is_denied_to_a_moderator(app, client, auth):
    build_period(app)
    auth.login("auditor")
    page = client.get("/transparency?date_from=2026-02-01&date_to=2026-02-28")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<svg" in html and "Notices by source" in html and "style=" not in html and "<script" not in html
    assert "Trusted flaggers (Art. 22)" in html and "illegal_hate_speech" in html
    assert client.get("/transparency").status_code == 200  # the default period
    bad = client.get("/transparency?date_from=2026-02-28&date_to=2026-02-01")
    assert bad.status_code == 400 and "ends before it starts" in bad.get_data(as_text=True)
    client.post("/logout", data={})
    other = app.test_client()
    from tests.support.auth import AuthHelper

    AuthHelper(other, app).login("moderator")
    assert other.get("/transparency?date_from=2026-02-01&date_to=2026-02-28").status_code == 403


def test_hostile_notice_categories_are_escaped_on_the_page(app, client, auth):
    publish_default_packs(app)
    cid = client_id(app)
    with app.app_context():
        item = Item(
            client_id=cid,
            external_id="xss",
            kind="text",
            author_pseudonym="a" * 64,
            country="DE",
            text="t",
            status="processed",
        )
        db.session.add(item)
        db.session.flush()
        db.session.add(
            Report(
                item_id=item.id, client_id=cid, source="user", category="<script>alert(1)</script>", received_at=at(3)
            )
        )
        db.session.commit()
    auth.login("auditor")
    html = client.get("/transparency?date_from=2026-02-01&date_to=2026-02-28").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
