"""Chunked and parallel verification gives exactly what a one-by-one walk gives: the same
verdict, the same first broken event, at every chunk size and on worker processes."""

from __future__ import annotations

import json
import random

import pytest

from tests.support.factories import text_item
from tests.workbench.audit.test_chain import _bundle, raw_sql
from workbench.audit import verifier
from workbench.audit.checkpoints import create_checkpoint, verify_log
from workbench.audit.keys import signer_key
from workbench.extensions import db


def walk_one_by_one(events: list[dict], checkpoints: list[dict]) -> tuple[int | None, int]:
    """The plain definition: (first broken event or None, events verified), no signatures.
    A wrong checkpoint is noted and the walk goes on; a broken event ends it."""
    pending = sorted(checkpoints, key=lambda c: c["tree_size"])
    accumulator, prev, expected, first_bad = verifier.MerkleAccumulator(), verifier.GENESIS, 1, None
    for event in events:
        if type(event["id"]) is not int or event["id"] != expected:
            return first_bad or expected, expected - 1
        if event["prev_hash"] != prev or verifier.chain_hash(prev, event) != event["event_hash"]:
            return first_bad or expected, expected - 1
        accumulator.add(verifier.leaf_hash(event["event_hash"]))
        prev, expected = event["event_hash"], expected + 1
        while pending and pending[0]["tree_size"] == accumulator.size:
            checkpoint = pending.pop(0)
            if (accumulator.root().hex(), prev) != (checkpoint["root_hash"], checkpoint["head_hash"]):
                first_bad = first_bad or checkpoint["tree_size"]
    return first_bad or (accumulator.size + 1 if pending else None), accumulator.size


def synthetic_log(count: int, rng: random.Random) -> list[dict]:
    events, prev = [], verifier.GENESIS
    for seq in range(1, count + 1):
        event = {
            "id": seq,
            "occurred_at": f"2026-01-01T00:00:{seq % 60:02d}.{seq:06d}Z",
            "actor_type": "user",
            "actor_id": str(rng.randint(1, 9)),
            "action": "decision.human",
            "object_type": "decision",
            "object_id": str(seq),
            "payload": json.dumps({"note": rng.choice(['ä\n"x"', "\u2028", "ok"])}),
            "prev_hash": prev,
        }
        event["event_hash"] = prev = verifier.chain_hash(prev, event)
        events.append(event)
    return events


def checkpoint_at(events: list[dict], size: int) -> dict:
    leaves = [verifier.leaf_hash(e["event_hash"]) for e in events[:size]]
    return {
        "tree_size": size,
        "root_hash": verifier.merkle_root(leaves).hex(),
        "head_hash": events[size - 1]["event_hash"],
    }


def tampered(events: list[dict], how: str, at: int) -> list[dict]:
    events = [dict(e) for e in events]
    if how == "edit":
        events[at]["actor_id"] = "forged"
    elif how == "delete":
        del events[at]
    elif how == "reorder":
        events[at], events[at + 1] = events[at + 1], events[at]
    elif how == "relink":  # a consistent chain from `at` on: only a checkpoint can tell
        events[at]["payload"] = "{}"
        prev = events[at - 1]["event_hash"] if at else verifier.GENESIS
        for event in events[at:]:
            event["prev_hash"], event["event_hash"] = prev, verifier.chain_hash(prev, event)
            prev = event["event_hash"]
    elif how == "bool_id":
        events[at]["id"] = True if events[at]["id"] == 1 else float(events[at]["id"])
    elif how == "truncate":
        events = events[:at]
    return events


@pytest.mark.parametrize("how", ["none", "edit", "delete", "reorder", "relink", "bool_id", "truncate"])
def test_every_chunk_size_agrees_with_the_one_by_one_walk(how):
    rng = random.Random(how)
    events = synthetic_log(40, rng)
    checkpoints = [checkpoint_at(events, size) for size in (1, 8, 13, 32, 40)]
    for _ in range(12):
        at = rng.randrange(0, 39)
        log = events if how == "none" else tampered(events, how, at)
        expected = walk_one_by_one(log, checkpoints)
        for chunk_size in (1, 2, 4, 8, 64):
            result = verifier.verify(log, checkpoints, None, chunk_size=chunk_size)
            assert (result.first_bad_event, result.events) == expected, (how, at, chunk_size, result.problems)
            assert result.ok == (expected[0] is None)


def test_canonical_line_is_json_dumps():
    for values in (
        [1, "ä", "\u2028", "\x00\x1f\x7f", '"\\/', "\ud7ff", "x" * 300, "{}"],
        [2, None, 3, True, "a", "b", "c", "d"],
        [True, "a", "b", "c", "d", "e", "f", "g"],
    ):
        assert verifier.canonical_line(values) == json.dumps(values, ensure_ascii=False, separators=(",", ":")).encode()


def _chunked(app, processes: int):
    with app.app_context():
        result = verify_log(db.session, signer_key(), processes=processes, chunk_size=2)
        db.session.rollback()
        return result


def _log_of_eleven(app, api):
    for index in range(10):  # 11 events with the client's creation: chunks of 2, the last one short
        assert api.post_json("/items", text_item(f"c{index}")).status_code == 201
        if index == 7:
            with app.app_context():
                create_checkpoint(db.session, signer_key())  # at 9: inside a chunk


def _tamper(app, backend, tamper):
    if tamper == "edit":
        raw_sql(
            app,
            backend,
            "UPDATE audit_events SET occurred_at = occurred_at + 0 WHERE id = 5"
            if backend == "sqlite"
            else "UPDATE audit_events SET action = 'x' WHERE id = 5",
        )
    elif tamper == "delete":
        raw_sql(app, backend, "DELETE FROM audit_events WHERE id = 5")
    elif tamper == "reorder":
        raw_sql(app, backend, "UPDATE audit_events SET id = -1 WHERE id = 5")
        raw_sql(app, backend, "UPDATE audit_events SET id = 5 WHERE id = 6")
        raw_sql(app, backend, "UPDATE audit_events SET id = 6 WHERE id = -1")


@pytest.mark.parametrize("tamper", ["none", "edit", "delete", "reorder"])
def test_database_log_in_small_chunks(app, api, backend, tamper):
    _log_of_eleven(app, api)
    _tamper(app, backend, tamper)
    result = _chunked(app, 1)
    if tamper == "none":
        assert result.ok and result.events == 11 and result.checkpoints == 1, result.problems
    else:
        assert not result.ok and result.first_bad_event == 5, result.problems


@pytest.mark.slow
def test_database_log_on_worker_processes(app, api, backend):
    _log_of_eleven(app, api)
    result = _chunked(app, 2)
    assert result.ok and result.events == 11 and result.checkpoints == 1, result.problems
    _tamper(app, backend, "reorder")
    result = _chunked(app, 2)
    assert not result.ok and result.first_bad_event == 5, result.problems


@pytest.mark.parametrize("tamper", ["payload", "drop_line"])
def test_bundle_in_small_chunks(app, api, tmp_path, tamper):
    _bundle(app, api, tmp_path)
    bundle = tmp_path / "bundle"
    lines = (bundle / "events.jsonl").read_text().splitlines()
    if tamper == "payload":
        event = json.loads(lines[4])
        event["payload"] = event["payload"].replace("DE", "FR")
        lines[4] = json.dumps(event)
    else:
        del lines[4]
    (bundle / "events.jsonl").write_text("\n".join(lines) + "\n")
    result = verifier.verify_bundle(bundle, processes=1, chunk_size=2)
    assert not result.ok and result.first_bad_event == 5, result.problems


@pytest.mark.slow
def test_bundle_on_worker_processes(app, api, tmp_path):
    summary = _bundle(app, api, tmp_path)
    bundle = tmp_path / "bundle"
    result = verifier.verify_bundle(bundle, processes=2, chunk_size=2)
    assert result.ok and result.events == summary["events"] and result.checkpoints == 1, result.problems
    lines = (bundle / "events.jsonl").read_text().splitlines()
    (bundle / "events.jsonl").write_text("\n".join(lines[:4] + lines[5:]) + "\n")
    result = verifier.verify_bundle(bundle, processes=2, chunk_size=2)
    assert not result.ok and result.first_bad_event == 5, result.problems
