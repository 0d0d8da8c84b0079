"""DSA statements of reasons: schema-valid for every outcome the packs allow, batched, no personal data."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from tests.support.reference import dsa_transparency_db_enums
from tests.workbench.regulator_exports.helpers import (
    AUTHOR_PLATFORM_ID,
    ITEM_TEXT,
    REPORTER_EMAIL,
    add_report,
    decide,
    every_rule_outcome,
    item_of_case,
)
from tests.workbench.review.helpers import make_case, user
from workbench import settings as workbench_settings
from workbench.audit import Actor
from workbench.extensions import db
from workbench.models import AuditEvent, Decision

ACTOR = Actor.system("tests")
ENUM_FIELDS = {  # statement field → the reference's enum
    "decision_visibility": "DECISION_VISIBILITIES",
    "decision_monetary": "DECISION_MONETARIES",
    "decision_provision": "DECISION_PROVISIONS",
    "decision_account": "DECISION_ACCOUNTS",
    "account_type": "ACCOUNT_TYPES",
    "decision_ground": "DECISION_GROUNDS",
    "category": "STATEMENT_CATEGORIES",
    "category_addition": "STATEMENT_CATEGORIES",
    "category_specification": "KEYWORDS",
    "content_type": "CONTENT_TYPES",
    "content_language": "LANGUAGES",
    "source_type": "SOURCE_TYPES",
    "automated_detection": "AUTOMATED_DETECTIONS",
    "automated_decision": "AUTOMATED_DECISIONS",
    "territorial_scope": "COUNTRIES",
    "incompatible_content_illegal": "INCOMPATIBLE_CONTENT_ILLEGALS",
}


def export(app, path, **kwargs) -> list[dict]:
    from workbench.services.exports.sor import write_sor_export

    with app.app_context():
        write_sor_export(db.session, path, puid_key=workbench_settings.current().pseudonym_key, actor=ACTOR, **kwargs)
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def statements(batches: list[dict]) -> list[dict]:
    return [s for batch in batches for s in batch["statements"]]


def check_against_reference(statement: dict) -> None:
    from workbench.services.exports.sor import statement_errors

    assert statement_errors(statement) == [], statement
    enums = dsa_transparency_db_enums()
    for field, enum in ENUM_FIELDS.items():
        if field in statement:
            values = statement[field] if isinstance(statement[field], list) else [statement[field]]
            assert set(values) <= set(enums[enum]), (field, values)


def test_every_outcome_the_packs_allow_exports_a_valid_statement(app, tmp_path):
    moderator = user(app, "mod-sor")
    combos = every_rule_outcome(app, "DE")
    assert {outcome for _, outcome, _ in combos} >= {"remove", "geo_restrict", "age_restrict", "demote", "label"}
    sources = [None, "user", "trusted_flagger", "authority_order"]
    decided = []
    for index, (rule, outcome, scope) in enumerate(combos):
        case_id = make_case(app, country="DE", language="de-DE" if index % 2 else "fr")
        source = sources[index % len(sources)]
        if source:
            add_report(app, item_of_case(app, case_id), source)
        decided.append(decide(app, moderator, case_id, rule=rule, outcome=outcome, scope=scope))
    no_action = make_case(app, country="DE")
    decide(app, moderator, no_action, rule=combos[0][0], outcome="no_action")
    outside_eu = make_case(app, country="US", language="en")
    decide(app, moderator, outside_eu, rule="GLOBAL@1:global.reports.user-volume", outcome="remove")

    batches = export(app, tmp_path / "sor.jsonl")
    out = statements(batches)
    assert len(out) == len(decided)  # no statement for "no violation" nor for an item outside the EU/EEA
    for statement in out:
        check_against_reference(statement)
        assert statement["automated_decision"] == "AUTOMATED_DECISION_NOT_AUTOMATED"
    assert {s["source_type"] for s in out} == set(dsa_transparency_db_enums()["SOURCE_TYPES"])
    assert {s["decision_ground"] for s in out} == set(dsa_transparency_db_enums()["DECISION_GROUNDS"])
    for statement in out:
        assert ("source_identity" in statement) == (statement["source_type"] == "SOURCE_TYPE_OTHER_NOTIFICATION")
        assert statement["automated_detection"] == ("Yes" if statement["source_type"] == "SOURCE_VOLUNTARY" else "No")
    assert {s.get("content_language") for s in out} == {"DE", "FR"}
    assert len({s["puid"] for s in out}) == len(out)
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "export.sor"))
        assert json.loads(event.payload)["statements"] == len(out)


def test_automated_decisions_from_the_pipeline(app, api, run_worker, tmp_path):
    from tests.support.factories import image_bytes, text_item
    from tests.support.policies import known_image, report

    data = image_bytes("PNG", color=(1, 2, 3))
    known_image(app, data, "terrorism")
    assert api.post_image(data, external_id="auto-1", author_id="u1", country="DE").status_code == 201
    response = api.post_json("/items", text_item("auto-2", country="FR", text="text"))
    report(
        api, response.get_json()["id"], "authority_order", "terrorism", external_id="order-1", issuing_jurisdiction="DE"
    )  # a removal order from a Member State's authority (TCO Reg. 2021/784)
    run_worker()
    with app.app_context():
        automated = db.session.scalars(select(Decision).where(Decision.automated.is_(True))).all()
        assert len(automated) == 2
    out = statements(export(app, tmp_path / "auto.jsonl"))
    assert len(out) == 2
    for statement in out:
        check_against_reference(statement)
        assert statement["automated_decision"] == "AUTOMATED_DECISION_FULLY"
        assert statement["automated_detection"] == ("Yes" if statement["source_type"] == "SOURCE_VOLUNTARY" else "No")
    by_source = {s["source_type"]: s for s in out}
    assert by_source["SOURCE_TYPE_OTHER_NOTIFICATION"]["source_identity"] == "Test authority"
    assert by_source["SOURCE_TYPE_OTHER_NOTIFICATION"]["category_specification"] == ["KEYWORD_TERRORIST_CONTENT"]
    assert by_source["SOURCE_VOLUNTARY"]["territorial_scope"] == ["DE"]
    assert "source_identity" not in by_source["SOURCE_VOLUNTARY"]


def _bulk_decisions(app, count: int, decided_at: datetime) -> None:
    """`count` human-style decisions with a statement of reasons, inserted in one go (the batch test
    needs many rows; the statements are built the way decide_case stores them)."""
    from tests.workbench.review.helpers import client_id
    from workbench.models import Item

    cid = client_id(app)
    sor = {
        "decision_ground": "DECISION_GROUND_INCOMPATIBLE_CONTENT",
        "incompatible_content_ground": "Rules, 3",
        "category": "STATEMENT_CATEGORY_VIOLENCE",
        "content_type": ["CONTENT_TYPE_TEXT"],
        "decision_visibility": ["DECISION_VISIBILITY_CONTENT_REMOVED"],
        "territorial_scope": ["DE"],
        "content_date": "2025-01-01",
        "decision_facts": "Threat.",
        "automated_decision": "AUTOMATED_DECISION_NOT_AUTOMATED",
        "rule": {"jurisdiction": "GLOBAL", "pack_version": "1", "rule_id": "global.threat"},
    }
    with app.app_context():
        items = [
            Item(
                client_id=cid,
                external_id=f"bulk-{decided_at:%Y%m%d}-{n}",
                kind="text",
                author_pseudonym="a" * 64,
                country="DE",
                language="de",
                text="x",
                status="processed",
            )
            for n in range(count)
        ]
        db.session.add_all(items)
        db.session.flush()
        db.session.add_all(
            [
                Decision(
                    item_id=item.id,
                    automated=False,
                    outcome="remove",
                    actions=[],
                    visibility="removed",
                    rule_jurisdiction="GLOBAL",
                    rule_pack_version=1,
                    rule_id="global.threat",
                    statement_of_reasons=sor,
                    decided_by="user:1",
                    decided_at=decided_at,
                    user_explanation="Threat.",
                )
                for item in items
            ]
        )
        db.session.commit()


def test_250_decisions_make_three_batches_and_progress_is_reported(app, tmp_path):
    _bulk_decisions(app, 250, datetime(2026, 3, 1, 12, tzinfo=UTC))
    from workbench.services.exports.sor import write_sor_export

    seen = []
    path = tmp_path / "many.jsonl"
    with app.app_context():
        count = write_sor_export(
            db.session,
            str(path),
            puid_key=workbench_settings.current().pseudonym_key,
            actor=ACTOR,
            progress=lambda done, total: seen.append((done, total)),
        )
    batches = [json.loads(line) for line in path.read_text().splitlines()]
    assert count == 250 and [len(b["statements"]) for b in batches] == [100, 100, 50]
    assert all(set(b) == {"statements"} for b in batches)
    assert seen == [(0, 250), (100, 250), (200, 250), (250, 250)]
    assert not list(tmp_path.glob("*.partial"))


def test_since_and_until_select_decisions_by_day(app, tmp_path):
    for day in (1, 2, 3):
        _bulk_decisions(app, day, datetime(2026, 4, day, 23, 59, tzinfo=UTC))
    assert len(statements(export(app, tmp_path / "a.jsonl", since=date(2026, 4, 2)))) == 5
    assert len(statements(export(app, tmp_path / "b.jsonl", until=date(2026, 4, 2)))) == 3
    assert len(statements(export(app, tmp_path / "c.jsonl", since=date(2026, 4, 2), until=date(2026, 4, 2)))) == 2
    assert statements(export(app, tmp_path / "d.jsonl", since=date(2026, 5, 1))) == []
    out = statements(export(app, tmp_path / "e.jsonl", since=date(2026, 4, 3)))
    assert {s["application_date"] for s in out} == {"2026-04-03"}


def test_no_personal_data_in_the_export(app, tmp_path):
    from flask import current_app

    from workbench.services.privacy.pseudonyms import pseudonymise

    with app.app_context():
        pseudonym = pseudonymise(workbench_settings.of(current_app).pseudonym_key, 1, AUTHOR_PLATFORM_ID)
    moderator = user(app, "mod-privacy")
    case_id = make_case(app, country="DE", text=ITEM_TEXT, author=pseudonym)
    item_id = item_of_case(app, case_id)
    add_report(app, item_id, "user")
    decide(
        app,
        moderator,
        case_id,
        rule="GLOBAL@1:global.reports.user-volume",
        outcome="remove",
        explanation=f'You wrote "{ITEM_TEXT}". Reported by {REPORTER_EMAIL} and @rita_r, '
        f"see https://platform.example/u/{AUTHOR_PLATFORM_ID}.",
    )
    path = tmp_path / "private.jsonl"
    export(app, path)
    text = path.read_text(encoding="utf-8")
    for secret in (
        AUTHOR_PLATFORM_ID,
        pseudonym,
        REPORTER_EMAIL,
        "Rita Reporter",
        "rita_r",
        ITEM_TEXT,
        "Hauptstrasse",
        "internal only",
        f"user:{moderator.id}",
    ):
        assert secret not in text, secret
    statement = statements([json.loads(text)])[0]
    check_against_reference(statement)
    assert statement["puid"].startswith("wb-") and len(statement["puid"]) == 67
    assert "[e-mail]" in statement["decision_facts"] and "[link]" in statement["decision_facts"]


def test_an_invalid_statement_stops_the_export_and_writes_nothing(app, tmp_path):
    from workbench.services.exports.sor import InvalidStatement, write_sor_export

    _bulk_decisions(app, 3, datetime(2026, 3, 2, tzinfo=UTC))
    out_dir = tmp_path / "exports"
    out_dir.mkdir()
    with app.app_context():
        broken = db.session.scalars(select(Decision).order_by(Decision.id.desc())).first()
        broken.statement_of_reasons = {**broken.statement_of_reasons, "category": "STATEMENT_CATEGORY_MADE_UP"}
        db.session.commit()
        with pytest.raises(InvalidStatement) as raised:
            write_sor_export(
                db.session, out_dir / "x.jsonl", puid_key=workbench_settings.current().pseudonym_key, actor=ACTOR
            )
        assert raised.value.decision_id == broken.id and "category" in str(raised.value)
        db.session.rollback()
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "export.sor")) is None
    assert list(out_dir.iterdir()) == []


def test_cli_writes_the_export(app, tmp_path):
    _bulk_decisions(app, 2, datetime(2026, 3, 3, tzinfo=UTC))
    out = tmp_path / "cli.jsonl"
    result = app.test_cli_runner().invoke(args=["export", "sor", "--out", str(out), "--since", "2026-03-03"])
    assert result.exit_code == 0, result.output
    assert "2 statements" in result.output and len(statements([json.loads(out.read_text())])) == 2
    bad = app.test_cli_runner().invoke(args=["export", "sor", "--out", str(out), "--since", "March"])
    assert bad.exit_code != 0 and "YYYY-MM-DD" in bad.output
