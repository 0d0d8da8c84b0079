#!/usr/bin/env python3
"""Standalone verifier for the workbench's audit log (Python standard library + `cryptography`).

An auditor runs it on an exported bundle, without the workbench:

    python verifier.py BUNDLE_DIR [--processes N]   # events.jsonl, checkpoints.jsonl, public_key.pem

It recomputes the SHA-256 hash chain over every event, checks that sequence numbers have
no gaps and no reordering, recomputes the RFC 6962 Merkle tree head at every signed
checkpoint and checks its Ed25519 signature. It names the first event that is broken.

Every event stores the hash of its predecessor, so each event's own hash can be recomputed
on its own: the log is checked in chunks of CHUNK events (a power of two, so every full
chunk is one perfect subtree of the Merkle tree), on several processes if there are cores,
and the chunks are then joined in order — each chunk's first `prev_hash` must be the
previous chunk's last `event_hash` — which gives exactly what a one-by-one walk gives.

The workbench itself verifies with these same functions, so there is one definition of
"valid" — and this file is copied into every audit bundle as it is.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from json.encoder import encode_basestring as _quote  # json.dumps' own string quoting (C)
from operator import itemgetter
from pathlib import Path

GENESIS = "0" * 64
EVENT_FIELDS = ("id", "occurred_at", "actor_type", "actor_id", "action", "object_type", "object_id", "payload")
ROW_FIELDS = EVENT_FIELDS + ("prev_hash", "event_hash")  # a row: these values, in this order
CHUNK = 1 << 16
PARALLEL_FROM = 4 * CHUNK  # smaller logs are checked in this process
_sha256 = hashlib.sha256


def event_line(event: dict) -> bytes:
    """The canonical bytes of one event: a JSON array in a fixed field order."""
    return canonical_line([event[name] for name in EVENT_FIELDS])


def canonical_line(values) -> bytes:
    """json.dumps(values, ensure_ascii=False, separators=(",", ":")) as UTF-8, for the 8 EVENT_FIELDS
    values; the usual case (an int and seven strings) is built directly, byte for byte the same."""
    if type(values[0]) is int and len(values) == 8:
        try:
            return (
                "[%d,%s,%s,%s,%s,%s,%s,%s]"  # noqa: UP031 - %-formatting is the fastest join here
                % (
                    values[0],
                    _quote(values[1]),
                    _quote(values[2]),
                    _quote(values[3]),
                    _quote(values[4]),
                    _quote(values[5]),
                    _quote(values[6]),
                    _quote(values[7]),
                )
            ).encode("utf-8")
        except TypeError:  # not a string somewhere: the general form decides
            pass
    return json.dumps(list(values), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def chain_hash(prev_hash: str, event: dict) -> str:
    return _sha256(bytes.fromhex(prev_hash) + event_line(event)).hexdigest()


# --- RFC 6962 Merkle tree over the event hashes -------------------------------------------


def leaf_hash(event_hash: str) -> bytes:
    return _sha256(b"\x00" + bytes.fromhex(event_hash)).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return _sha256(b"\x01" + left + right).digest()


class MerkleAccumulator:
    """Streams leaves (or aligned perfect subtrees) and gives the tree head of any prefix,
    keeping O(log n) hashes."""

    def __init__(self):
        self.size = 0
        self._stack: list[tuple[int, bytes]] = []  # perfect subtrees, sizes decreasing

    def add(self, leaf: bytes) -> None:
        self.add_subtree(1, leaf)

    def add_subtree(self, size: int, root: bytes) -> None:
        """Append a perfect subtree of `size` leaves; `self.size` must be a multiple of `size`."""
        if self.size % size or size & (size - 1):
            raise ValueError(f"a subtree of {size} leaves cannot start at leaf {self.size}")
        self.size += size
        node = (size, root)
        while self._stack and self._stack[-1][0] == node[0]:
            left_size, left = self._stack.pop()
            node = (left_size * 2, node_hash(left, node[1]))
        self._stack.append(node)

    def root(self, then: list[tuple[int, bytes]] = ()) -> bytes:
        """The tree head; with `then`, of this prefix followed by those smaller subtrees."""
        stack = self._stack + list(then)
        if not stack:
            return _sha256(b"").digest()
        # Folding the perfect subtrees from the right gives RFC 6962's split at the
        # largest power of two below n.
        result = stack[-1][1]
        for _, left in reversed(stack[:-1]):
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
    """RFC 9162 section 2.1.3.2: does `proof` place `leaf` at `index` under `root`? Every hash
    is a SHA-256 digest: anything of another length is refused, as the RFC's verifiers do."""
    if index >= size or any(len(value) != 32 for value in (leaf, root, *proof)):
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


# --- Checking one chunk ---------------------------------------------------------------------


@dataclass
class ChunkResult:
    """What the join needs from a chunk of rows that should be events first_id, first_id+1, ..."""

    count: int  # rows that passed every check, from the first
    problem: tuple | None  # (event id, 0 sequence | 1 link | 2 content, message) of the first failure
    first_prev: str | None  # prev_hash of the first row, when its id was right: linked by the join
    last_hash: str | None  # event_hash of the last good row
    prefixes: dict  # k -> (Merkle subtrees of the first k rows, event_hash of row k)
    subtrees: list  # Merkle subtrees of all `count` good rows


def check_chunk(rows: list, first_id: int, prefix_sizes: Iterable[int] = ()) -> ChunkResult:
    """Check rows (ROW_FIELDS tuples) in order: each id is the next one, each prev_hash is the
    previous row's event_hash, each event_hash is the hash of prev_hash + the event's canonical
    line. Stops at the first failure. The first row's link is left to the join."""
    sha, quote, fromhex = _sha256, _quote, bytes.fromhex
    leaves: list[bytes] = []
    hashes: list[str] = []
    problem, expected, link = None, first_id, None
    for row in rows:
        event_id, prev_hash, event_hash = row[0], row[8], row[9]
        if event_id != expected or type(event_id) is not int:
            # A deleted event leaves a gap; a moved one arrives out of order. Either way the
            # first position that is wrong is the one we expected.
            problem = (expected, 0, f"event {expected}: missing or out of order (found event {event_id} in its place)")
            break
        if link is not None and prev_hash != link:
            problem = (event_id, 1, f"event {event_id}: prev_hash does not link to event {event_id - 1}")
            break
        try:
            try:
                line = (
                    "[%d,%s,%s,%s,%s,%s,%s,%s]"  # noqa: UP031 - as in event_line, for speed
                    % (
                        event_id,
                        quote(row[1]),
                        quote(row[2]),
                        quote(row[3]),
                        quote(row[4]),
                        quote(row[5]),
                        quote(row[6]),
                        quote(row[7]),
                    )
                ).encode("utf-8")
            except TypeError:
                line = canonical_line(row[:8])
            digest = sha(fromhex(prev_hash) + line).digest()
        except (TypeError, ValueError):  # a prev_hash that is not hex cannot be right
            digest = None
        if digest is None or digest.hex() != event_hash:
            problem = (event_id, 2, f"event {event_id}: content does not match its hash (edited)")
            break
        leaves.append(sha(b"\x00" + digest).digest())
        hashes.append(event_hash)
        link, expected = event_hash, expected + 1
    count = len(leaves)
    first_prev = rows[0][8] if rows and not (problem and problem[1] == 0 and problem[0] == first_id) else None
    levels = _merkle_levels(leaves)
    prefixes = {k: (_prefix_subtrees(levels, k), hashes[k - 1]) for k in prefix_sizes if 0 < k <= count}
    return ChunkResult(
        count, problem, first_prev, hashes[-1] if hashes else None, prefixes, _prefix_subtrees(levels, count)
    )


def _merkle_levels(leaves: list[bytes]) -> list[list[bytes]]:
    """levels[j][i]: the root of the perfect subtree over leaves i*2^j .. (i+1)*2^j - 1."""
    sha, levels = _sha256, [leaves]
    while len(levels[-1]) > 1:
        below = levels[-1]
        levels.append([sha(b"\x01" + below[i] + below[i + 1]).digest() for i in range(0, len(below) - 1, 2)])
    return levels


def _prefix_subtrees(levels: list[list[bytes]], k: int) -> list[tuple[int, bytes]]:
    """The perfect subtrees (largest first) that make up the first k leaves."""
    subtrees, offset = [], 0
    for j in range(k.bit_length() - 1, -1, -1):
        if k >> j & 1:
            subtrees.append((1 << j, levels[j][offset >> j]))
            offset += 1 << j
    return subtrees


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


def join_chunks(
    chunks: Iterable[ChunkResult], checkpoints: list[dict], public_key_pem: bytes | None, chunk_size: int = CHUNK
) -> Verification:
    """Join checked chunks (chunk i holds events i*chunk_size+1 ...) in order, checking the links
    between them and every checkpoint, and stop at the first broken event."""
    result = Verification()
    by_size: dict[int, list[dict]] = {}
    for checkpoint in sorted(checkpoints, key=lambda c: c["tree_size"]):
        by_size.setdefault(checkpoint["tree_size"], []).append(checkpoint)
    accumulator, prev_hash = MerkleAccumulator(), GENESIS
    key = _PublicKey(public_key_pem)
    for index, chunk in enumerate(chunks):
        start = index * chunk_size  # events before this chunk
        problem = chunk.problem
        if chunk.first_prev is not None and chunk.first_prev != prev_hash:
            link = (start + 1, 1, f"event {start + 1}: prev_hash does not link to event {start}")
            problem = min(problem, link, key=lambda p: p[:2]) if problem else link
        good = problem[0] - 1 - start if problem else chunk.count
        for size in sorted(s for s in by_size if start < s <= start + good):
            subtrees, head_hash = chunk.prefixes[size - start]
            for checkpoint in by_size.pop(size):
                _check_checkpoint(result, checkpoint, accumulator.root(subtrees), head_hash, key)
        result.events = start + good
        if problem:
            result.fail(problem[2], problem[0])
            return result
        for size, root in chunk.subtrees:
            accumulator.add_subtree(size, root)
        if chunk.count:
            prev_hash = chunk.last_hash
        if chunk.count < chunk_size:
            break
    for size in sorted(by_size):
        for _ in by_size[size]:
            result.fail(
                f"checkpoint at size {size} covers events that are missing (the log ends at {result.events})",
                result.events + 1,
            )
    return result


class _PublicKey:
    """Checks checkpoint signatures, loading the key once."""

    def __init__(self, pem: bytes | None):
        self.pem, self._key = pem, None

    def valid(self, checkpoint: dict) -> bool:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.serialization import load_pem_public_key

        if self._key is None:
            self._key = load_pem_public_key(self.pem)
        try:
            self._key.verify(bytes.fromhex(checkpoint["signature"]), checkpoint_message(checkpoint))
            return True
        except (InvalidSignature, ValueError):
            return False


def _check_checkpoint(result: Verification, checkpoint: dict, root: bytes, head_hash: str, key: _PublicKey) -> None:
    size = checkpoint["tree_size"]
    if root.hex() != checkpoint["root_hash"] or head_hash != checkpoint["head_hash"]:
        result.fail(f"checkpoint at size {size}: tree head differs from the log", size)
    elif key.pem is not None and not key.valid(checkpoint):
        result.fail(f"checkpoint at size {size}: signature invalid")
    else:
        result.checkpoints += 1


def checkpoint_sizes_in(checkpoints: list[dict], index: int, chunk_size: int = CHUNK) -> list[int]:
    """Checkpoint sizes inside chunk `index`, relative to its start (what check_chunk is asked for)."""
    start = index * chunk_size
    return sorted(
        {
            c["tree_size"] - start
            for c in checkpoints
            if isinstance(c["tree_size"], int) and start < c["tree_size"] <= start + chunk_size
        }
    )


def verify(
    events: Iterable[dict], checkpoints: list[dict], public_key_pem: bytes | None, chunk_size: int = CHUNK
) -> Verification:
    """Walk events (dicts with ROW_FIELDS) in order; check the chain, the sequence, and every checkpoint."""

    def chunks() -> Iterator[ChunkResult]:
        rows = (tuple(event[name] for name in ROW_FIELDS) for event in events)
        index = 0
        while True:
            batch = list(islice(rows, chunk_size))
            yield check_chunk(batch, index * chunk_size + 1, checkpoint_sizes_in(checkpoints, index, chunk_size))
            if len(batch) < chunk_size:
                return
            index += 1

    return join_chunks(chunks(), checkpoints, public_key_pem, chunk_size)


def map_in_order(function: Callable, tasks: Iterable, processes: int) -> Iterator:
    """function(task) for each task, in order; on `processes` worker processes when above 1.
    Workers are spawned, not forked: a fork of a process with threads (a web server, a test
    run) can inherit a lock held by another thread and hang."""
    if processes <= 1:
        yield from map(function, tasks)
        return
    import multiprocessing

    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        yield from pool.imap(function, tasks)


def default_processes() -> int:
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 1
    return max(1, min(cores, 8))


# --- The bundle ---------------------------------------------------------------------------

_row_of = itemgetter(*ROW_FIELDS)


def _row_from_line(line: str) -> tuple:
    try:
        return _row_of(json.loads(line))
    except (ValueError, KeyError, TypeError):
        pass
    try:  # a field missing: None in its place fails the check
        event = json.loads(line)
        return tuple(event.get(name) for name in ROW_FIELDS)
    except (ValueError, AttributeError):  # unreadable: a row that fails the sequence check
        return (None,) * len(ROW_FIELDS)


def _check_lines(task: tuple) -> ChunkResult:
    lines, first_id, sizes = task
    return check_chunk([_row_from_line(line) for line in lines], first_id, sizes)


def verify_bundle(bundle: Path, processes: int | None = None, chunk_size: int = CHUNK) -> Verification:
    bundle = Path(bundle)
    checkpoints_path = bundle / "checkpoints.jsonl"
    checkpoints = (
        [json.loads(line) for line in checkpoints_path.read_text(encoding="utf-8").splitlines() if line.strip()]
        if checkpoints_path.exists()
        else []
    )
    public_key = (bundle / "public_key.pem").read_bytes()
    events_path = bundle / "events.jsonl"
    if processes is None:
        processes = default_processes() if events_path.stat().st_size > PARALLEL_FROM * 200 else 1

    def tasks() -> Iterator[tuple]:
        with open(events_path, encoding="utf-8") as handle:
            lines = (line for line in handle if line.strip())
            index = 0
            while True:
                batch = list(islice(lines, chunk_size))
                yield batch, index * chunk_size + 1, checkpoint_sizes_in(checkpoints, index, chunk_size)
                if len(batch) < chunk_size:
                    return
                index += 1

    return join_chunks(map_in_order(_check_lines, tasks(), processes), checkpoints, public_key, chunk_size)


def read_jsonl(path: Path) -> Iterator[dict]:
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def main(argv: list[str]) -> int:
    args = argv[1:]
    processes = None
    if len(args) == 3 and args[1] == "--processes" and args[2].isdigit():
        processes = int(args[2])
        args = args[:1]
    if len(args) != 1:
        print(__doc__)
        return 2
    result = verify_bundle(Path(args[0]), processes)
    if result.ok:
        print(f"OK: {result.events} events, {result.checkpoints} signed checkpoints verified")
        return 0
    print(f"FAILED at event {result.first_bad_event}:")
    for problem in result.problems:
        print(f"  {problem}")
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
