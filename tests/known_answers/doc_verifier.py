"""An audit-log verifier written from docs/audit-format.md alone, as a regulator would write one.

It shares no code with workbench/audit: the string escaping, the Merkle tree, the proof check
and the signed message are each built from the page's rules, so a test that has it accept what
the workbench writes shows the page is enough to verify the log. Python's json module is used
only to read files (a parser gives back the strings that were written); `cryptography` checks
Ed25519 signatures.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

GENESIS = "0" * 64
FIELDS = ("id", "occurred_at", "actor_type", "actor_id", "action", "object_type", "object_id", "payload")
SPKI_ED25519_PREFIX = bytes.fromhex("302a300506032b6570032100")
_SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def json_string(text: str) -> str:
    """Section 1: quote, backslash and five controls get short escapes, other controls \\u00xx
    (lowercase), everything else stays as it is."""
    out = []
    for char in text:
        if char in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[char])
        elif ord(char) < 0x20:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def canonical_line(event: dict) -> bytes:
    event_id = event["id"]
    if type(event_id) is not int or event_id < 1:
        raise ValueError(f"id must be a positive integer, got {event_id!r}")
    strings = [json_string(event[name]) for name in FIELDS[1:]]
    return ("[" + ",".join([str(event_id)] + strings) + "]").encode("utf-8")


def event_hash(prev_hash: str, event: dict) -> str:
    return sha256(bytes.fromhex(prev_hash) + canonical_line(event)).hex()


def leaf_hash(event_hash_hex: str) -> bytes:
    return sha256(b"\x00" + bytes.fromhex(event_hash_hex))


def node_hash(left: bytes, right: bytes) -> bytes:
    return sha256(b"\x01" + left + right)


def _split(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def tree_head(leaves: list[bytes]) -> bytes:
    """Section 3's MTH, recursively, over leaf hashes."""
    if not leaves:
        return sha256(b"")
    if len(leaves) == 1:
        return leaves[0]
    k = _split(len(leaves))
    return node_hash(tree_head(leaves[:k]), tree_head(leaves[k:]))


def audit_path(m: int, leaves: list[bytes]) -> list[bytes]:
    if len(leaves) == 1:
        return []
    k = _split(len(leaves))
    if m < k:
        return audit_path(m, leaves[:k]) + [tree_head(leaves[k:])]
    return audit_path(m - k, leaves[k:]) + [tree_head(leaves[:k])]


def verify_inclusion(m: int, n: int, h: bytes, proof: list[bytes], root: bytes) -> bool:
    if m >= n:
        return False
    fn, sn, r = m, n - 1, h
    for p in proof:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            r = node_hash(p, r)
            while fn % 2 == 0 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def checkpoint_message(checkpoint: dict) -> bytes:
    return (
        "workbench-audit-checkpoint-v1\n"
        f'{{"created_at":{json_string(checkpoint["created_at"])},"head_hash":"{checkpoint["head_hash"]}",'
        f'"root_hash":"{checkpoint["root_hash"]}","tree_size":{int(checkpoint["tree_size"])}}}'
    ).encode("ascii")


def raw_public_key(pem: str) -> bytes:
    body = "".join(line for line in pem.strip().splitlines() if not line.startswith("-----"))
    der = base64.b64decode(body, validate=True)
    if len(der) != 44 or not der.startswith(SPKI_ED25519_PREFIX):
        raise ValueError("not an Ed25519 SubjectPublicKeyInfo")
    return der[12:]


def key_id(pem: str) -> str:
    return hashlib.sha256(raw_public_key(pem)).hexdigest()[:16]


def signature_valid(pem: str, checkpoint: dict) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(raw_public_key(pem)).verify(
            bytes.fromhex(checkpoint["signature"]), checkpoint_message(checkpoint)
        )
        return True
    except (InvalidSignature, ValueError):
        return False


def check_log(events: list[dict], checkpoints: list[dict], pem: str) -> list[str]:
    """Sections 2 and 4: the problems found, the first broken event first (empty when valid)."""
    problems: list[str] = []
    prev, leaves = GENESIS, []
    for expected, event in enumerate(events, start=1):
        if event.get("id") != expected:
            problems.append(f"event {expected}: missing or out of order")
            break
        if event.get("prev_hash") != prev:
            problems.append(f"event {expected}: prev_hash does not link")
            break
        if event_hash(prev, event) != event.get("event_hash"):
            problems.append(f"event {expected}: edited")
            break
        prev = event["event_hash"]
        leaves.append(leaf_hash(prev))
    for checkpoint in checkpoints:
        size = checkpoint["tree_size"]
        if not 0 < size <= len(leaves):
            problems.append(f"checkpoint {size}: covers events that are not there")
        elif (tree_head(leaves[:size]).hex(), events[size - 1]["event_hash"]) != (
            checkpoint["root_hash"],
            checkpoint["head_hash"],
        ):
            problems.append(f"checkpoint {size}: tree head differs from the events")
        elif not signature_valid(pem, checkpoint) or checkpoint["key_id"] != key_id(pem):
            problems.append(f"checkpoint {size}: signature invalid")
    return problems


def read_jsonl(path: Path) -> list[dict]:
    # Lines end at 0x0A only: str.splitlines() would also break at a raw U+2028 inside a string.
    return [json.loads(line) for line in path.read_text(encoding="utf-8").split("\n") if line.strip()]


def check_bundle(folder: Path) -> tuple[list[str], int, int]:
    """(problems, events, checkpoints) for an audit bundle's folder (section 5)."""
    events = read_jsonl(folder / "events.jsonl")
    checkpoints = read_jsonl(folder / "checkpoints.jsonl")
    pem = (folder / "public_key.pem").read_text(encoding="ascii")
    return check_log(events, checkpoints, pem), len(events), len(checkpoints)
