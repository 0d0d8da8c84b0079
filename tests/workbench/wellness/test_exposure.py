"""The exposure log: one count per item per day, the daily budget, the team leads' page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.support.accounts import log_in, make_items, text_of
from tests.support.factories import make_user
from workbench import settings as workbench_settings
from workbench.extensions import db
from workbench.models import User
from workbench.services.wellness.exposure import exposure_report, exposure_today, over_budget, record_exposure

NOON = datetime(2031, 5, 6, 12, 0, tzinfo=UTC)


def user(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


def test_graphic_items_are_counted_once_per_day(app):
    make_user(app, "ana", "moderator")
    ids = make_items(app, [("DE", "de")] * 4)
    with app.app_context():
        ana = user("ana")
        assert record_exposure(db.session, ana.id, ids[0], "violence", True, now=NOON)
        assert not record_exposure(db.session, ana.id, ids[0], "violence", True, now=NOON + timedelta(hours=3))
        assert record_exposure(db.session, ana.id, ids[1], "nudity", True, now=NOON)
        assert record_exposure(db.session, ana.id, ids[2], "other", False, now=NOON)  # seen, not graphic
        assert record_exposure(db.session, ana.id, ids[0], "violence", True, now=NOON + timedelta(days=1))
        db.session.commit()
        assert exposure_today(ana, now=NOON) == 2
        assert exposure_today(ana, now=NOON + timedelta(days=1)) == 1
        assert exposure_today(ana, now=NOON + timedelta(days=2)) == 0


def test_record_exposure_joins_the_callers_transaction(app):
    make_user(app, "ana", "moderator")
    item_id = make_items(app, [("DE", "de")])[0]
    with app.app_context():
        ana = user("ana")
        record_exposure(db.session, ana.id, item_id, "hate", True, now=NOON)
        db.session.rollback()
        assert exposure_today(ana, now=NOON) == 0


def test_over_budget_follows_the_configuration(app):
    make_user(app, "ana", "moderator")
    ids = make_items(app, [("DE", "de")] * 3)
    workbench_settings.update(app, WORKBENCH_EXPOSURE_BUDGET=2)
    with app.app_context():
        ana = user("ana")
        budget = workbench_settings.current().exposure_budget
        record_exposure(db.session, ana.id, ids[0], "violence", True, now=NOON)
        db.session.commit()
        assert not over_budget(ana, budget, now=NOON)
        record_exposure(db.session, ana.id, ids[1], "unknown-class", True, now=NOON)
        record_exposure(db.session, ana.id, ids[2], "other", False, now=NOON)
        db.session.commit()
        assert over_budget(ana, budget, now=NOON)
        assert not over_budget(ana, budget, now=NOON + timedelta(days=1))
        assert not over_budget(ana, 0, now=NOON)  # 0: no limit


def test_the_report_aggregates_per_moderator_per_day(app):
    make_user(app, "ana", "moderator")
    make_user(app, "ben", "moderator")
    ids = make_items(app, [("DE", "de")] * 3)
    with app.app_context():
        ana, ben = user("ana"), user("ben")
        for item_id, klass, graphic in zip(ids, ("violence", "violence", "other"), (True, True, False)):
            record_exposure(db.session, ana.id, item_id, klass, graphic, now=NOON)
        record_exposure(db.session, ben.id, ids[0], "violence", True, now=NOON - timedelta(days=1))
        record_exposure(db.session, ben.id, ids[0], "violence", True, now=NOON - timedelta(days=30))
        db.session.commit()
        rows = [
            (r.day.isoformat(), r.username, r.graphic, r.total, r.graphic_by_class)
            for r in exposure_report(db.session, days=7, now=NOON)
        ]
    assert rows == [("2031-05-06", "ana", 2, 3, {"violence": 2}), ("2031-05-05", "ben", 1, 1, {"violence": 1})]


@pytest.mark.parametrize(
    "role,status",
    [("moderator", 403), ("policy_editor", 403), ("auditor", 403), ("senior_moderator", 200), ("admin", 200)],
)
def test_team_exposure_page_is_for_team_leads(app, client, role, status):
    make_user(app, "someone", role)
    log_in(client, "someone")
    assert client.get("/wellness/exposure").status_code == status


def test_team_exposure_page_shows_today(app, client):
    make_user(app, "lead", "senior_moderator")
    make_user(app, "ana", "moderator")
    item_id = make_items(app, [("DE", "de")])[0]
    workbench_settings.update(app, WORKBENCH_EXPOSURE_BUDGET=1)
    with app.app_context():
        record_exposure(db.session, user("ana").id, item_id, "nudity", True)
        db.session.commit()
    log_in(client, "lead")
    html = text_of(client.get("/wellness/exposure?days=3"))
    assert "<td>ana</td>" in html and 'class="over-budget">1</td>' in html and "nudity 1" in html
    assert client.get("/wellness/exposure?days=1000").status_code == 200  # out of range: the default
    # The moderator sees their own count and the break suggestion on their settings page.
    mod = app.test_client()
    log_in(mod, "ana")
    page = text_of(mod.get("/account/wellness"))
    assert 'id="exposure-today">1<' in page and "Time for a break" in page
