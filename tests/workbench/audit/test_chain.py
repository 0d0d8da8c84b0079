"""The hash-chained audit log: sealing, tamper detection, checkpoints, the standalone verifier."""

from __future__ import annotations

import json
import subprocess
import sys
import threading

import pytest
from sqlalchemy import select, text

from tests.support.api import ApiHelper
from tests.support.factories import text_item
from workbench.audit import Actor, record, verifier
from workbench.audit.checkpoints import create_checkpoint, iter_event_dicts, verify_log
from workbench.audit.keys import signer_key
from workbench.extensions import db
from workbench.models.audit import AuditEvent, AuditLogIsAppendOnly
from workbench.services.exports.audit_bundle import export_audit_bundle


def make_events(api, count: int = 6) -> None:
    for index in range(count):
        assert api.post_json("/items", text_item(f"p{index}")).status_code == 201


def raw_sql(app, backend, statement: str, **params) -> None:
    """Tamper with the table directly, as an attacker with database access would."""
    with app.app_context():
        with db.engine.begin() as conn:
            if backend == "postgresql":
                conn.execute(text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only"))
            conn.execute(text(statement), params)
            if backend == "postgresql":
                conn.execute(text("ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only"))


def verification(app):
    with app.app_context():
        result = verify_log(db.session, signer_key())
        db.session.rollback()
        return result


def test_events_form_an_unbroken_chain(app, api):
    make_events(api)
    with app.app_context():
        events = list(iter_event_dicts(db.session))
    assert [e["id"] for e in events] == list(range(1, len(events) + 1))
    assert events[0]["prev_hash"] == verifier.GENESIS
    assert all(later["prev_hash"] == earlier["event_hash"] for earlier, later in zip(events, events[1:]))
    result = verification(app)
    assert result.ok and result.events == len(events) >= 7


@pytest.mark.parametrize("tamper", ["edit_payload", "edit_actor", "delete", "reorder"])
def test_tampering_is_detected_and_located(app, api, backend, tamper):
    make_events(api)
    if tamper == "edit_payload":
        raw_sql(app, backend, "UPDATE audit_events SET payload = :p WHERE id = 4", p='{"forged":true}')
    elif tamper == "edit_actor":
        raw_sql(app, backend, "UPDATE audit_events SET actor_id = 'someone-else' WHERE id = 4")
    elif tamper == "delete":
        raw_sql(app, backend, "DELETE FROM audit_events WHERE id = 4")
    else:  # swap events 4 and 5, fixing up ids so each row looks in place
        raw_sql(app, backend, "UPDATE audit_events SET id = -1 WHERE id = 4")
        raw_sql(app, backend, "UPDATE audit_events SET id = 4 WHERE id = 5")
        raw_sql(app, backend, "UPDATE audit_events SET id = 5 WHERE id = -1")
    result = verification(app)
    assert not result.ok
    assert result.first_bad_event == 4, result.problems


def test_a_checkpoint_catches_a_rewritten_tail(app, api, backend):
    """Recomputing every hash after an edit makes the chain consistent again — but not the signed head."""
    make_events(api)
    with app.app_context():
        assert create_checkpoint(db.session, signer_key()).tree_size == 7
        events = list(iter_event_dicts(db.session))
    events[5]["payload"] = '{"forged":true}'
    prev = events[4]["event_hash"]
    for event in events[5:]:
        event["prev_hash"], event["event_hash"] = prev, verifier.chain_hash(prev, event)
        prev = event["event_hash"]
        raw_sql(
            app,
            backend,
            "UPDATE audit_events SET payload=:payload, prev_hash=:prev_hash, event_hash=:event_hash WHERE id=:id",
            **{k: event[k] for k in ("payload", "prev_hash", "event_hash", "id")},
        )
    result = verification(app)
    assert not result.ok and "tree head differs" in result.problems[0]


def test_the_database_and_the_orm_refuse_changes(app, api, backend):
    make_events(api, 1)
    with app.app_context():
        event = db.session.get(AuditEvent, 1)
        event.action = "changed"
        with pytest.raises(AuditLogIsAppendOnly):
            db.session.commit()
        db.session.rollback()
    if backend == "postgresql":
        from sqlalchemy.exc import DBAPIError

        for statement in ("UPDATE audit_events SET action = 'x'", "DELETE FROM audit_events"):
            with app.app_context(), pytest.raises(DBAPIError, match="append-only"):
                with db.engine.begin() as conn:
                    conn.execute(text(statement))
    assert verification(app).ok


def test_a_rolled_back_change_leaves_no_event(app):
    with app.app_context():
        record(db.session, Actor.system("test"), "thing.changed", "thing", 1, detail="x")
        db.session.rollback()
        record(db.session, Actor.system("test"), "thing.kept", "thing", 2)
        db.session.commit()
        actions = list(db.session.scalars(select(AuditEvent.action)))
    assert actions == ["thing.kept"]


def test_concurrent_writers_keep_one_chain(app, api, backend):
    errors = []

    def writer(worker: int):
        with app.test_client() as own:
            helper = ApiHelper(own, api.key)
            for index in range(5):
                response = helper.post_json("/items", text_item(f"w{worker}-{index}"))
                if response.status_code != 201:
                    errors.append(response.status_code)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    result = verification(app)
    assert result.ok and result.events == 31  # the client's creation + 30 items


def test_inclusion_proof_of_one_event(app, api):
    make_events(api)
    with app.app_context():
        root = bytes.fromhex(create_checkpoint(db.session, signer_key()).root_hash)
        leaves = [verifier.leaf_hash(e["event_hash"]) for e in iter_event_dicts(db.session)]
    proof = verifier.inclusion_proof(leaves, 3)
    assert verifier.verify_inclusion(leaves[3], 3, len(leaves), proof, root)
    assert not verifier.verify_inclusion(leaves[2], 3, len(leaves), proof, root)


def _bundle(app, api, tmp_path):
    make_events(api)
    with app.app_context():
        create_checkpoint(db.session, signer_key())
        make_events(ApiHelper(app.test_client(), api.key), 0)
        return export_audit_bundle(db.session, signer_key(), tmp_path / "bundle")


def run_verifier(bundle_dir) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(bundle_dir / "verifier.py"), str(bundle_dir)], capture_output=True, text=True, timeout=60
    )


def test_standalone_verifier_accepts_a_real_bundle(app, api, tmp_path):
    summary = _bundle(app, api, tmp_path)
    result = run_verifier(tmp_path / "bundle")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"OK: {summary['events']} events, 1 signed checkpoints" in result.stdout


@pytest.mark.parametrize("tamper", ["payload", "drop_line", "other_key"])
def test_standalone_verifier_rejects_a_tampered_bundle(app, api, tmp_path, tamper):
    _bundle(app, api, tmp_path)
    bundle = tmp_path / "bundle"
    lines = (bundle / "events.jsonl").read_text().splitlines()
    if tamper == "payload":
        event = json.loads(lines[2])
        event["payload"] = event["payload"].replace("DE", "FR")
        lines[2] = json.dumps(event)
        (bundle / "events.jsonl").write_text("\n".join(lines) + "\n")
    elif tamper == "drop_line":
        (bundle / "events.jsonl").write_text("\n".join(lines[:2] + lines[3:]) + "\n")
    else:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        from workbench.audit.keys import public_key_pem

        (bundle / "public_key.pem").write_bytes(public_key_pem(Ed25519PrivateKey.generate()))
    result = run_verifier(bundle)
    assert result.returncode == 1
    expected = "signature invalid" if tamper == "other_key" else "FAILED at event 3"
    assert expected in result.stdout, result.stdout


def test_cli_verify(app, api, backend):
    make_events(api)
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["audit", "verify"])
    assert ok.exit_code == 0 and "OK: 7 events" in ok.output
    raw_sql(app, backend, "UPDATE audit_events SET object_id = '999' WHERE id = 2")
    broken = runner.invoke(args=["audit", "verify"])
    assert broken.exit_code == 1 and "first broken event 2" in broken.output
