"""docs/audit-format.md is exact: its worked example is recomputed from the page's own values, by
a verifier written from the page alone (doc_verifier.py) and by the workbench's verifier, and
that page-only verifier accepts what the real workbench writes (bundle and proof.json) on both
databases. Change the format and this fails until the page says what the code does."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.known_answers import doc_verifier as doc
from workbench.audit import verifier

PAGE = (Path(__file__).parents[2] / "docs" / "audit-format.md").read_text(encoding="utf-8")
EXAMPLES = dict(re.findall(r"<!-- example: (\S+) -->\n```[a-z]*\n(.*?)\n```", PAGE, flags=re.DOTALL))
EVENTS = [json.loads(line) for line in EXAMPLES["events.jsonl"].split("\n")]
CHECKPOINT = json.loads(EXAMPLES["checkpoints.jsonl"])
PEM = EXAMPLES["public_key.pem"] + "\n"
PROOF = json.loads(EXAMPLES["proof.json"])


def _named_values(block: str) -> dict[str, str]:
    return {name.strip(): value.strip() for name, value in (line.split("=", 1) for line in block.splitlines())}


def test_the_page_has_every_example():
    assert set(EXAMPLES) == {
        "test-key",
        "events.jsonl",
        "checkpoints.jsonl",
        "public_key.pem",
        "canonical-lines",
        "hash-input-3",
        "tree",
        "signed-message",
        "proof.json",
    }


def test_canonical_lines_and_chain():
    lines = [line.encode("utf-8") for line in EXAMPLES["canonical-lines"].splitlines()]
    assert [doc.canonical_line(event) for event in EVENTS] == lines
    assert [verifier.event_line(event) for event in EVENTS] == lines
    sizes = re.search(r"They are (\d+), (\d+) and (\d+) bytes long", PAGE).groups()
    assert [len(line) for line in lines] == [int(size) for size in sizes]
    previous = doc.GENESIS
    for event in EVENTS:
        assert event["prev_hash"] == previous
        assert doc.event_hash(previous, event) == verifier.chain_hash(previous, event) == event["event_hash"]
        previous = event["event_hash"]
    hash_input = bytes.fromhex(EXAMPLES["hash-input-3"])
    assert hash_input == bytes.fromhex(EVENTS[2]["prev_hash"]) + lines[2]
    assert hashlib.sha256(hash_input).hexdigest() == EVENTS[2]["event_hash"]


def test_tree_heads():
    values = _named_values(EXAMPLES["tree"])
    leaves = [doc.leaf_hash(event["event_hash"]) for event in EVENTS]
    assert [values[f"leaf_hash(event {n})"] for n in (1, 2, 3)] == [leaf.hex() for leaf in leaves]
    assert [verifier.leaf_hash(event["event_hash"]) for event in EVENTS] == leaves
    assert values["MTH(events 1..2)"] == doc.node_hash(leaves[0], leaves[1]).hex() == doc.tree_head(leaves[:2]).hex()
    assert (
        values["MTH(events 1..3)"]
        == doc.tree_head(leaves).hex()
        == verifier.merkle_root(leaves).hex()
        == CHECKPOINT["root_hash"]
    )


def test_signed_checkpoint():
    message = EXAMPLES["signed-message"].encode("ascii")
    assert doc.checkpoint_message(CHECKPOINT) == verifier.checkpoint_message(CHECKPOINT) == message
    assert len(message) == int(re.search(r"no newline after the `}`\), (\d+) bytes", PAGE).group(1))
    assert CHECKPOINT["tree_size"] == len(EVENTS) and CHECKPOINT["head_hash"] == EVENTS[-1]["event_hash"]
    keys = _named_values(EXAMPLES["test-key"])
    private = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(keys["private key (seed)"]))
    assert private.public_key().public_bytes_raw().hex() == keys["public key (raw)"] == doc.raw_public_key(PEM).hex()
    assert private.sign(message).hex() == CHECKPOINT["signature"]  # Ed25519 is deterministic
    raw_key = bytes.fromhex(keys["public key (raw)"])
    assert doc.key_id(PEM) == CHECKPOINT["key_id"] == hashlib.sha256(raw_key).hexdigest()[:16]
    assert f"`{CHECKPOINT['key_id']}`" in PAGE
    assert doc.signature_valid(PEM, CHECKPOINT) and verifier.signature_valid(PEM.encode(), CHECKPOINT)
    forged = dict(CHECKPOINT, tree_size=2)
    assert not doc.signature_valid(PEM, forged) and not verifier.signature_valid(PEM.encode(), forged)


def test_proof_of_event_2():
    event = PROOF["event"]
    assert event == EVENTS[1] and PROOF["chain_position"] == event["id"] and PROOF["leaf_index"] == event["id"] - 1
    assert PROOF["checkpoint"] == CHECKPOINT and PROOF["public_key_pem"] == PEM
    leaf = doc.leaf_hash(event["event_hash"])
    assert PROOF["leaf_hash"] == leaf.hex()
    leaves = [doc.leaf_hash(e["event_hash"]) for e in EVENTS]
    proof = [bytes.fromhex(node) for node in PROOF["inclusion_proof"]]
    assert proof == doc.audit_path(1, leaves) == verifier.inclusion_proof(leaves, 1)
    root = bytes.fromhex(CHECKPOINT["root_hash"])
    assert doc.verify_inclusion(1, 3, leaf, proof, root) and verifier.verify_inclusion(leaf, 1, 3, proof, root)
    assert not doc.verify_inclusion(1, 3, leaf, proof[::-1], root)
    assert PROOF["verifies"] is True and PROOF["signature_valid"] is True


def _write_bundle(folder: Path, events_text: str) -> Path:
    folder.mkdir()
    (folder / "events.jsonl").write_text(events_text + "\n", encoding="utf-8")
    (folder / "checkpoints.jsonl").write_text(EXAMPLES["checkpoints.jsonl"] + "\n", encoding="utf-8")
    (folder / "public_key.pem").write_text(PEM, encoding="ascii")
    return folder


def test_hashes_shortened_in_the_prose_are_the_example_s():
    full = set(re.findall(r"[0-9a-f]{64}", "\n".join(EXAMPLES.values())))
    shortened = re.findall(r"\b([0-9a-f]{4,8})…([0-9a-f]{4})\b", PAGE)
    assert len(shortened) >= 8
    for head, tail in shortened:
        assert any(value.startswith(head) and value.endswith(tail) for value in full), f"{head}…{tail}"


def test_the_example_is_a_valid_bundle_and_an_edit_is_caught(tmp_path):
    bundle = _write_bundle(tmp_path / "bundle", EXAMPLES["events.jsonl"])
    assert doc.check_bundle(bundle) == ([], 3, 1)
    result = verifier.verify_bundle(bundle)
    assert (result.ok, result.events, result.checkpoints) == (True, 3, 1)
    edited = _write_bundle(tmp_path / "edited", EXAMPLES["events.jsonl"].replace("zweiter Absatz", "zweiter absatz"))
    assert doc.check_bundle(edited)[0][0] == "event 2: edited"
    assert verifier.verify_bundle(edited).first_bad_event == 2


# Every character the escaping rules single out, and some they leave alone.
_TRICKY = "".join(map(chr, range(0x80))) + "\x85é–ü€😀\u2028\u2029\ufeff/"


@pytest.mark.parametrize("field", doc.FIELDS[1:])
def test_the_escaping_rules_are_the_workbench_s(field):
    event = {name: f"{name}-value" for name in doc.FIELDS[1:]} | {"id": 12345, field: _TRICKY}
    line = doc.canonical_line(event)
    assert line == verifier.event_line(event)
    assert b"\\u001b" in line and b"\\n" in line and "\u2028".encode() in line and "😀".encode() in line


# --- What the real workbench writes --------------------------------------------------------

PROOF_KEYS = {
    "event",
    "chain_position",
    "leaf_hash",
    "checkpoint",
    "inclusion_proof",
    "public_key_pem",
    "leaf_index",
    "verifies",
    "how_to_verify",
    "signature_valid",
    "note",
    "public_key_note",
}


def _record_tricky_events(app) -> None:
    from workbench import audit
    from workbench.audit import Actor
    from workbench.extensions import db

    with app.app_context():
        audit.record(
            db.session,
            Actor.user(1),
            "policy.published",
            "policy_version",
            12,
            summary='Näher an "DSA" – Art. 17\nzweiter Absatz\t\x1b/\u2028',
            version=3,
        )
        audit.record_many(
            db.session, Actor.system("retention"), "item.content_purged", "item", [(7, {"basis": "retention"}), (8, {})]
        )
        db.session.commit()


def test_a_page_only_verifier_accepts_the_workbench_s_bundle_and_proof(app, auth, client, tmp_path):
    auth.login("auditor")
    _record_tricky_events(app)
    out = tmp_path / "bundle"
    result = app.test_cli_runner().invoke(args=["export", "audit", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert {"events.jsonl", "checkpoints.jsonl", "public_key.pem", "verifier.py", "README.txt"} <= {
        path.name for path in out.iterdir()
    }
    problems, events, checkpoints = doc.check_bundle(out)
    assert problems == [] and events >= 4 and checkpoints >= 1
    lines = (out / "events.jsonl").read_text(encoding="utf-8").split("\n")[:-1]
    assert all(list(json.loads(line)) == list(doc.FIELDS) + ["prev_hash", "event_hash"] for line in lines)
    assert any("Näher" in line and "\u2028" in line for line in lines)  # as themselves, not \u-escaped

    written = {event["action"]: event for event in doc.read_jsonl(out / "events.jsonl")}
    event_id = written["policy.published"]["id"]
    response = client.get(f"/audit/events/{event_id}/proof.json")
    assert response.status_code == 200
    proof = json.loads(response.get_data(as_text=True))
    assert set(proof) <= PROOF_KEYS and "note" not in proof
    assert proof["event"] == written["policy.published"]
    checkpoint, pem = proof["checkpoint"], proof["public_key_pem"]
    assert pem == (out / "public_key.pem").read_text(encoding="ascii")
    assert doc.event_hash(proof["event"]["prev_hash"], proof["event"]) == proof["event"]["event_hash"]
    leaf = doc.leaf_hash(proof["event"]["event_hash"])
    assert proof["leaf_hash"] == leaf.hex() and proof["leaf_index"] == event_id - 1
    assert doc.verify_inclusion(
        proof["leaf_index"],
        checkpoint["tree_size"],
        leaf,
        [bytes.fromhex(node) for node in proof["inclusion_proof"]],
        bytes.fromhex(checkpoint["root_hash"]),
    )
    assert doc.signature_valid(pem, checkpoint) and checkpoint["key_id"] == doc.key_id(pem)
