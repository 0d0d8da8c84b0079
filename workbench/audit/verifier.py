#!/usr/bin/env python3
"""Standalone verifier for the workbench's audit log (Python standard library + `cryptography`).

An auditor runs it on an exported bundle, without the workbench:

    python verifier.py BUNDLE_DIR            # events.jsonl, checkpoints.jsonl, public_key.pem

It recomputes the SHA-256 hash chain over every event, checks that sequence numbers have
no gaps and no reordering, recomputes the RFC 6962 Merkle tree head at every signed
checkpoint and checks its Ed25519 signature. It names the first event that is broken.

The workbench itself verifies with these same functions, so there is one definition of
"valid" — and this file is copied into every audit bundle as it is.
"""
from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

GENESIS = "0" * 64
EVENT_FIELDS = ("id", "occurred_at", "actor_type", "actor_id", "action", "object_type", "object_id", "payload")


def event_line(event: dict) -> bytes:
    """The canonical bytes of one event: a JSON array in a fixed field order."""
    values = [event[name] for name in EVENT_FIELDS]
    return json.dumps(values, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def chain_hash(prev_hash: str, event: dict) -> str:
    return hashlib.sha256(bytes.fromhex(prev_hash) + event_line(event)).hexdigest()


# --- RFC 6962 Merkle tree over the event hashes -------------------------------------------

def leaf_hash(event_hash: str) -> bytes:
    return hashlib.sha256(b"\x00" + bytes.fromhex(event_hash)).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


class MerkleAccumulator:
    """Streams leaves and gives the tree head of any prefix, keeping O(log n) hashes."""

    def __init__(self):
        self.size = 0
        self._stack: list[tuple[int, bytes]] = []  # perfect subtrees, sizes decreasing

    def add(self, leaf: bytes) -> None:
        self.size += 1
        node = (1, leaf)
        while self._stack and self._stack[-1][0] == node[0]:
            size, left = self._stack.pop()
            node = (size * 2, node_hash(left, node[1]))
        self._stack.append(node)

    def root(self) -> bytes:
        if not self._stack:
            return hashlib.sha256(b"").digest()
        # Folding the perfect subtrees from the right gives RFC 6962's split at the
        # largest power of two below n.
        result = self._stack[-1][1]
        for _, left in reversed(self._stack[:-1]):
            result = node_hash(left, result)
        return result


def merkle_root(leaves: list[bytes]) -> bytes:
    accumulator = MerkleAccumulator()
    for leaf in leaves:
        accumulator.add(leaf)
    return accumulator.root()


def inclusion_proof(leaves: list[bytes], index: int) -> list[bytes]:
    """RFC 6962 audit path of leaf `index` in the tree of all `leaves`."""
    if len(leaves) <= 1:
        return []
    split = 1
    while split * 2 < len(leaves):
        split *= 2
    if index < split:
        return inclusion_proof(leaves[:split], index) + [merkle_root(leaves[split:])]
    return inclusion_proof(leaves[split:], index - split) + [merkle_root(leaves[:split])]


def verify_inclusion(leaf: bytes, index: int, size: int, proof: list[bytes], root: bytes) -> bool:
    """RFC 9162 section 2.1.3.2: does `proof` place `leaf` at `index` under `root`?"""
    if index >= size:
        return False
    fn, sn, result = index, size - 1, leaf
    for sibling in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            result = node_hash(sibling, result)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            result = node_hash(result, sibling)
        fn >>= 1
        sn >>= 1
    return sn == 0 and result == root


# --- Checkpoints ------------------------------------------------------------------------

def checkpoint_message(checkpoint: dict) -> bytes:
    fields = {name: checkpoint[name] for name in ("tree_size", "root_hash", "head_hash", "created_at")}
    return b"workbench-audit-checkpoint-v1\n" + json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()


def signature_valid(public_key_pem: bytes, checkpoint: dict) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.serialization import load_pem_public_key
    key = load_pem_public_key(public_key_pem)
    try:
        key.verify(bytes.fromhex(checkpoint["signature"]), checkpoint_message(checkpoint))
        return True
    except (InvalidSignature, ValueError):
        return False


# --- The walk -----------------------------------------------------------------------------

@dataclass
class Verification:
    events: int = 0
    checkpoints: int = 0
    first_bad_event: int | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def fail(self, message: str, event_id: int | None = None) -> None:
        if event_id is not None and self.first_bad_event is None:
            self.first_bad_event = event_id
        self.problems.append(message)


def verify(events: Iterable[dict], checkpoints: list[dict], public_key_pem: bytes | None) -> Verification:
    """Walk events in order; check the chain, the sequence, and every checkpoint."""
    result = Verification()
    pending = sorted(checkpoints, key=lambda c: c["tree_size"])
    accumulator = MerkleAccumulator()
    prev_hash, expected_id = GENESIS, 1
    for event in events:
        event_id = event["id"]
        if event_id != expected_id:
            # A deleted event leaves a gap; a moved one arrives out of order. Either way the
            # first position that is wrong is the one we expected.
            result.fail(f"event {expected_id}: missing or out of order (found event {event_id} in its place)",
                        expected_id)
            return result
        if event["prev_hash"] != prev_hash:
            result.fail(f"event {event_id}: prev_hash does not link to event {event_id - 1}", event_id)
            return result
        if chain_hash(prev_hash, event) != event["event_hash"]:
            result.fail(f"event {event_id}: content does not match its hash (edited)", event_id)
            return result
        prev_hash, expected_id = event["event_hash"], expected_id + 1
        accumulator.add(leaf_hash(event["event_hash"]))
        result.events += 1
        while pending and pending[0]["tree_size"] == result.events:
            _check_checkpoint(result, pending.pop(0), accumulator, prev_hash, public_key_pem)
    for checkpoint in pending:
        result.fail(f"checkpoint at size {checkpoint['tree_size']} covers events that are missing "
                    f"(the log ends at {result.events})", result.events + 1)
    return result


def _check_checkpoint(result: Verification, checkpoint: dict, accumulator: MerkleAccumulator,
                      head_hash: str, public_key_pem: bytes | None) -> None:
    size = checkpoint["tree_size"]
    if accumulator.root().hex() != checkpoint["root_hash"] or head_hash != checkpoint["head_hash"]:
        result.fail(f"checkpoint at size {size}: tree head differs from the log", size)
    elif public_key_pem is not None and not signature_valid(public_key_pem, checkpoint):
        result.fail(f"checkpoint at size {size}: signature invalid")
    else:
        result.checkpoints += 1


def read_jsonl(path: Path) -> Iterator[dict]:
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__)
        return 2
    bundle = Path(argv[1])
    checkpoints = list(read_jsonl(bundle / "checkpoints.jsonl")) if (bundle / "checkpoints.jsonl").exists() else []
    public_key = (bundle / "public_key.pem").read_bytes()
    result = verify(read_jsonl(bundle / "events.jsonl"), checkpoints, public_key)
    if result.ok:
        print(f"OK: {result.events} events, {result.checkpoints} signed checkpoints verified")
        return 0
    print(f"FAILED at event {result.first_bad_event}:")
    for problem in result.problems:
        print(f"  {problem}")
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
