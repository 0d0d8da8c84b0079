"""The audit log's Merkle tree against the RFC 6962 / RFC 9162 vectors that Certificate
Transparency implementations publish (tests/data/rfc6962_merkle_vectors.json says where from).

Both implementations are checked: the standalone verifier (copied into every audit bundle) and
the stored-node tree (workbench/audit/tree.py), which builds the proofs the workbench hands out,
on both databases. The workbench's leaf input is an event's 32-byte event_hash; a leaf input of
any length hashes the same way, so storing the vectors' leaf inputs as event_hash gives the
reference tree. The workbench has no consistency proofs, so those vectors are not tested.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import insert

from workbench.audit import tree, verifier

DATA = json.loads((Path(__file__).parents[1] / "data" / "rfc6962_merkle_vectors.json").read_text(encoding="utf-8"))
LEAF_INPUTS = DATA["leaves"]["hex"]
LEAVES = [verifier.leaf_hash(data) for data in LEAF_INPUTS]
ROOTS = {int(size): bytes.fromhex(root) for size, root in DATA["roots"]["by_size"].items()}
PROOFS = DATA["inclusion_proofs"]["cases"]
PROOF_IDS = [f"leaf{case['index']}-of-{case['size']}" for case in PROOFS]
H = bytes.fromhex


def _proof(case) -> list[bytes]:
    return [H(node) for node in case["proof"]]


# --- The standalone verifier ------------------------------------------------------------------


def test_leaf_and_node_hashes():
    hasher = DATA["hasher"]
    assert verifier.merkle_root([]) == H(hasher["empty_root"]) == verifier.MerkleAccumulator().root()
    for case in hasher["leaf_hashes"]:
        data = case["leaf_hex"] if "leaf_hex" in case else case["leaf_ascii"].encode().hex()
        assert verifier.leaf_hash(data) == H(case["hash"])
    for case in hasher["node_hashes"]:
        assert verifier.node_hash(case["left_ascii"].encode(), case["right_ascii"].encode()) == H(case["hash"])


def test_tree_head_of_every_prefix():
    assert sorted(ROOTS) == list(range(9))
    accumulator = verifier.MerkleAccumulator()
    for size in range(9):
        assert verifier.merkle_root(LEAVES[:size]) == ROOTS[size], size
        if size:
            accumulator.add(LEAVES[size - 1])
        assert accumulator.root() == ROOTS[size], size


def test_tree_heads_the_bundle_verifier_folds_from_subtrees():
    # verify_bundle checks a checkpoint with the perfect subtrees of a chunk's prefix.
    levels = verifier._merkle_levels(LEAVES)
    for size in range(1, 9):
        assert verifier.MerkleAccumulator().root(verifier._prefix_subtrees(levels, size)) == ROOTS[size], size
    for chunk in (1, 2, 4, 8):  # and joins chunks of a power-of-two size
        accumulator = verifier.MerkleAccumulator()
        for start in range(0, 8, chunk):
            accumulator.add_subtree(chunk, verifier.merkle_root(LEAVES[start : start + chunk]))
            assert accumulator.root() == ROOTS[start + chunk], (chunk, start)


@pytest.mark.parametrize("case", PROOFS, ids=PROOF_IDS)
def test_published_inclusion_proofs(case):
    index, size = case["index"], case["size"]
    assert verifier.inclusion_proof(LEAVES[:size], index) == _proof(case)
    assert verifier.verify_inclusion(LEAVES[index], index, size, _proof(case), ROOTS[size])


def test_every_audit_path_of_the_reference_tree_leads_to_its_published_head():
    for size in range(1, 9):
        for index in range(size):
            proof = verifier.inclusion_proof(LEAVES[:size], index)
            assert verifier.verify_inclusion(LEAVES[index], index, size, proof, ROOTS[size]), (index, size)


SOME_HASH = H(DATA["refused_probes"]["some_hash"])
EMPTY_TREE = H(DATA["refused_probes"]["empty_tree"])


def _corruptions(index: int, size: int, proof: list[bytes], root: bytes, leaf: bytes):
    """The wrong inputs both CT suites try on every published proof (transparency-dev's
    corruptInclusionProof, CT's VerifierCheck), each of which must be refused."""
    yield "index - 1", (index - 1, size, proof, root, leaf)
    yield "index + 1", (index + 1, size, proof, root, leaf)
    yield "index ^ 2", (index ^ 2, size, proof, root, leaf)
    yield "size * 2", (index, size * 2, proof, root, leaf)
    yield "size / 2", (index, size // 2, proof, root, leaf)
    yield "wrong leaf", (index, size, proof, root, b"WrongLeaf")
    yield "empty root", (index, size, proof, EMPTY_TREE, leaf)
    yield "random root", (index, size, proof, SOME_HASH, leaf)
    yield "trailing garbage", (index, size, proof + [b""], root, leaf)
    yield "trailing root", (index, size, proof + [root], root, leaf)
    yield "preceding garbage", (index, size, [b""] + proof, root, leaf)
    yield "preceding root", (index, size, [root] + proof, root, leaf)
    for i in range(len(proof)):
        flipped = bytes([proof[i][0] ^ 8]) + proof[i][1:]
        yield f"proof[{i}] bit 3 flipped", (index, size, proof[:i] + [flipped] + proof[i + 1 :], root, leaf)
        yield (
            f"proof[{i}] replaced by the empty tree hash",
            (index, size, proof[:i] + [EMPTY_TREE] + proof[i + 1 :], root, leaf),
        )
    if proof:
        yield "removed component", (index, size, proof[:-1], root, leaf)
    if len(proof) > 1:
        yield "inserted component", (index, size, [proof[0], SOME_HASH] + proof[1:], root, leaf)


@pytest.mark.parametrize("case", PROOFS, ids=PROOF_IDS)
def test_corrupted_proofs_are_refused(case):
    index, size = case["index"], case["size"]
    accepted = []
    for name, (i, n, proof, root, leaf) in _corruptions(index, size, _proof(case), ROOTS[size], LEAVES[index]):
        if i < 0:
            continue  # an unsigned index in the CT suites; a negative one never reaches the verifier
        if verifier.verify_inclusion(leaf, i, n, proof, root):
            accepted.append(name)
    assert accepted == []


@pytest.mark.parametrize("case", DATA["refused_inclusion_proofs"]["cases"], ids=lambda case: case["desc"])
def test_published_wrong_proofs_are_refused(case):
    assert not verifier.verify_inclusion(
        H(case["leaf_hash"]), case["index"], case["size"], [H(node) for node in case["proof"]], H(case["root"])
    )


def test_published_refused_probes():
    for index, size in DATA["refused_probes"]["index_size"]:
        for leaf, root in ((SOME_HASH, b""), (b"", EMPTY_TREE), (SOME_HASH, EMPTY_TREE)):
            assert not verifier.verify_inclusion(leaf, index, size, [], root), (index, size, leaf, root)


SINGLE = DATA["single_entry"]
_SINGLE_HASH = verifier.leaf_hash(SINGLE["data_ascii"].encode().hex())


@pytest.mark.parametrize("case", SINGLE["cases"], ids=lambda case: f"root={case['root']}-leaf={case['leaf']}")
def test_single_entry_tree(case):
    value = {"hash": _SINGLE_HASH, "empty": b""}
    accepted = verifier.verify_inclusion(value[case["leaf"]], 0, 1, [], value[case["root"]])
    assert accepted is not case["refused"]


# --- The stored-node tree (workbench/audit/tree.py) --------------------------------------------


@pytest.mark.parametrize(
    "case", DATA["inclusion_proof_nodes"]["cases"], ids=lambda case: f"leaf{case['index']}-of-{case['size']}"
)
def test_audit_paths_are_made_of_the_published_nodes(case):
    # tree.py reads these (level, node_index) pieces, stored from level STORED_FROM_LEVEL up.
    pieces = [
        [list(piece) for piece in reversed(tree.perfect_pieces(lo, hi))]
        for lo, hi in tree.proof_ranges(case["index"], case["size"])
    ]
    assert pieces == case["elements"]


def _store_reference_leaves(app) -> None:
    """The vectors' leaf inputs as the event_hash of events 1..8 (leaf i is event i + 1)."""
    from workbench.extensions import db
    from workbench.models.audit import AuditEvent
    from workbench.models.base import utcnow

    with app.app_context():
        db.session.execute(
            insert(AuditEvent.__table__),
            [
                {
                    "id": number,
                    "occurred_at": utcnow(),
                    "actor_type": "system",
                    "actor_id": "rfc6962",
                    "action": "vector.leaf",
                    "object_type": "vector",
                    "object_id": str(number),
                    "payload": "{}",
                    "prev_hash": None,
                    "event_hash": data,
                }
                for number, data in enumerate(LEAF_INPUTS, start=1)
            ],
        )
        db.session.commit()


def test_stored_tree_heads_and_proofs_match_the_vectors(app):
    from workbench.extensions import db

    _store_reference_leaves(app)
    with app.app_context():
        connection = db.session.connection()
        tree.extend_nodes(connection, len(LEAF_INPUTS))  # as the signer does first; 8 < BLOCK: none stored
        for size in range(1, 9):
            root, head_hash = tree.tree_head(connection, size)
            assert (root, head_hash) == (ROOTS[size], LEAF_INPUTS[size - 1]), size
        for case in PROOFS:
            assert tree.inclusion_proof(connection, case["index"], case["size"]) == _proof(case), case
        for size in range(1, 9):
            for index in range(size):
                proof = tree.inclusion_proof(connection, index, size)
                assert verifier.verify_inclusion(LEAVES[index], index, size, proof, ROOTS[size]), (index, size)
        db.session.rollback()
