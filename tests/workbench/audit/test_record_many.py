"""audit.record_many: one event per object, on the same chain and in the same form as record()."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from workbench.audit import Actor, record, record_many
from workbench.audit.checkpoints import iter_event_dicts, verify_log
from workbench.audit.keys import signer_key
from workbench.audit.log import PersonalDataInAuditPayload
from workbench.extensions import db
from workbench.models.audit import AuditEvent


def test_record_many_events_are_chained_and_verify(app):
    actor = Actor.system("test")
    with app.app_context():
        record(db.session, actor, "thing.created", "thing", 1, detail="first")
        record_many(
            db.session,
            actor,
            "thing.scored",
            "thing",
            [(2, {"score": 0.5, "nested": {"b": 1, "a": "ü"}}), (3, {"score": 1})],
        )
        record(db.session, actor, "thing.closed", "thing", 3)
        db.session.commit()
        events = list(iter_event_dicts(db.session))
        result = verify_log(db.session, signer_key())
        db.session.rollback()
    assert result.ok and result.events == 4
    assert [(e["id"], e["action"], e["object_id"]) for e in events] == [
        (1, "thing.created", "1"),
        (2, "thing.scored", "2"),
        (3, "thing.scored", "3"),
        (4, "thing.closed", "3"),
    ]
    # The payload is record()'s canonical JSON: sorted keys, no spaces, UTF-8 kept.
    assert events[1]["payload"] == '{"nested":{"a":"ü","b":1},"score":0.5}'
    assert json.loads(events[2]["payload"]) == {"score": 1}
    assert {e["actor_type"] for e in events} == {"system"}


def test_record_many_is_dropped_on_rollback_and_refuses_personal_data(app):
    actor = Actor.system("test")
    with app.app_context():
        record_many(db.session, actor, "thing.dropped", "thing", [(1, {}), (2, {})])
        db.session.rollback()
        with pytest.raises(PersonalDataInAuditPayload):
            record_many(db.session, actor, "thing.leaky", "thing", [(3, {"ok": 1}), (4, {"email": "x@y"})])
        db.session.rollback()
        record_many(db.session, actor, "thing.kept", "thing", [(5, {})])
        record_many(db.session, actor, "thing.nothing", "thing", [])
        db.session.commit()
        actions = list(db.session.scalars(select(AuditEvent.action)))
    assert actions == ["thing.kept"]
