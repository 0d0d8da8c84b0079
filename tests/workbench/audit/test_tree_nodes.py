"""The stored Merkle tree nodes: written incrementally by each checkpoint, equal to the tree the
standalone verifier computes, built for a log that has none, and never past a missing event."""

from __future__ import annotations

from sqlalchemy import func, select, text

from tests.workbench.audit.test_chain import raw_sql
from workbench import audit
from workbench.audit import Actor, tree, verifier
from workbench.audit.checkpoints import create_checkpoint, iter_event_dicts, verify_log
from workbench.audit.keys import signer_key
from workbench.extensions import db
from workbench.models.audit import AuditCheckpoint, AuditEvent, AuditTreeNode


def grow_log_to(app, size: int) -> None:
    with app.app_context():
        have = db.session.scalar(select(func.max(AuditEvent.id))) or 0
        audit.record_many(
            db.session, Actor.system("tests"), "thing.done", "thing", ((n, {"n": n}) for n in range(have, size))
        )
        db.session.commit()


def leaves(app) -> list[bytes]:
    with app.app_context():
        found = [verifier.leaf_hash(e["event_hash"]) for e in iter_event_dicts(db.session)]
        db.session.rollback()
    return found


def stored_nodes(app) -> dict[tuple[int, int], str]:
    with app.app_context():
        rows = db.session.execute(select(AuditTreeNode.level, AuditTreeNode.node_index, AuditTreeNode.hash)).all()
        db.session.rollback()
    return {(level, index): node for level, index, node in rows}


def test_checkpoints_store_the_verifiers_tree_incrementally(app):
    for size in (5, 17, 40, 70):  # a checkpoint after each: the nodes grow with the log
        grow_log_to(app, size)
        with app.app_context():
            assert create_checkpoint(db.session, signer_key()).tree_size == size
    all_leaves = leaves(app)
    expected = {
        (level, index): verifier.merkle_root(all_leaves[index << level : (index + 1) << level]).hex()
        for level in range(tree.STORED_FROM_LEVEL, 7)
        for index in range(64 >> level)
    }
    assert stored_nodes(app) == expected  # every complete aligned subtree of >= 16 leaves, once
    with app.app_context():
        assert verify_log(db.session, signer_key()).checkpoints == 4
        connection = db.session.connection()
        for size in (1, 2, 3, 15, 16, 17, 31, 33, 48, 63, 64, 65, 70):
            assert tree.tree_head(connection, size)[0] == verifier.merkle_root(all_leaves[:size])
            for index in sorted({*range(0, size, 5), *range(max(0, size - 18), size)}):
                assert tree.inclusion_proof(connection, index, size) == verifier.inclusion_proof(
                    all_leaves[:size], index
                ), (index, size)
        db.session.rollback()


def test_a_log_without_nodes_gets_them_from_the_signer(app, auth, client):
    auth.login("auditor")
    grow_log_to(app, 40)
    with app.app_context():
        signed_root = create_checkpoint(db.session, signer_key()).root_hash
        db.session.execute(text("DELETE FROM audit_tree_nodes"))  # as a log from before the nodes
        db.session.commit()
    missing = client.get("/audit/events/3/proof.json")
    assert missing.status_code == 200 and "No proof can be built" in missing.get_json()["note"]
    result = app.test_cli_runner().invoke(args=["audit", "checkpoint"])  # the sweeper's round
    assert result.exit_code == 0 and "no new checkpoint" in result.output, result.output
    document = client.get("/audit/events/3/proof.json").get_json()
    assert document["verifies"] is True and document["checkpoint"]["root_hash"] == signed_root
    assert len(stored_nodes(app)) >= 3


def test_the_signer_stops_at_a_missing_event(app, backend, auth, client):
    grow_log_to(app, 10)
    with app.app_context():
        assert create_checkpoint(db.session, signer_key()).tree_size == 10
    grow_log_to(app, 40)
    raw_sql(app, backend, "DELETE FROM audit_events WHERE id = 20")
    with app.app_context():
        assert create_checkpoint(db.session, signer_key()) is None  # nothing signed over the gap
        assert tree.stored_leaves(db.session.connection()) == 16  # the block before it is right
        assert db.session.scalar(select(func.max(AuditCheckpoint.tree_size))) == 10
        db.session.rollback()
    auth.login("auditor")
    assert client.get("/audit/events/5/proof.json").get_json()["verifies"] is True
