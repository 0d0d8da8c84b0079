"""Stored nodes of the audit log's Merkle tree: a tree head or an inclusion proof in O(log n) reads.

`audit_tree_nodes` holds the RFC 6962 hash of every complete, aligned perfect subtree of at
least BLOCK leaves: node (level, node_index) covers leaves node_index * 2**level ..
(node_index + 1) * 2**level - 1, and leaf i is event i + 1. A node only ever covers committed
events, which never change, so once written it is final. The checkpoint signer writes them
(checkpoints.create_checkpoint, in the transaction that signs): each new block of BLOCK events
adds one node per level it completes, fewer than two per block on average.

A tree head or an audit path is then a few perfect subtrees: the large ones are read as
stored nodes (one query, O(log n) rows), the ones smaller than a block are hashed from at most
BLOCK - 1 events on each side of the leaf's block and of the log's unfinished last block.
"""

from __future__ import annotations

from sqlalchemy import and_, func, insert, or_, select
from sqlalchemy.engine import Connection

from workbench.audit import verifier
from workbench.models.audit import AuditEvent, AuditTreeNode

STORED_FROM_LEVEL = 4
BLOCK = 1 << STORED_FROM_LEVEL  # smaller subtrees are hashed from the events
READ_CHUNK = verifier.CHUNK  # events per query while writing nodes (a multiple of BLOCK)
_nodes = AuditTreeNode.__table__
_events = AuditEvent.__table__


class TreeDataMissing(Exception):
    """An event or a stored node that the tree needs is not there (a damaged log, or nodes
    not built yet)."""


def proof_ranges(index: int, size: int, start: int = 0) -> list[tuple[int, int]]:
    """The [lo, hi) leaf ranges whose tree heads make up the audit path, deepest first."""
    if size <= 1:
        return []
    split = 1
    while split * 2 < size:
        split *= 2
    if index < split:
        return proof_ranges(index, split, start) + [(start + split, start + size)]
    return proof_ranges(index - split, size - split, start + split) + [(start, start + split)]


def perfect_pieces(lo: int, hi: int) -> list[tuple[int, int]]:
    """[lo, hi) as aligned perfect subtrees (level, node_index), largest first. For the ranges
    of a tree head or an audit path, folding their hashes from the right gives RFC 6962's hash."""
    pieces = []
    while lo < hi:
        level = (hi - lo).bit_length() - 1
        while lo % (1 << level):
            level -= 1
        pieces.append((level, lo >> level))
        lo += 1 << level
    return pieces


def _fold(hashes: list[bytes]) -> bytes:
    result = hashes[-1]
    for left in reversed(hashes[:-1]):
        result = verifier.node_hash(left, result)
    return result


def _perfect_hash(leaves: list[bytes]) -> bytes:
    while len(leaves) > 1:
        leaves = [verifier.node_hash(leaves[i], leaves[i + 1]) for i in range(0, len(leaves), 2)]
    return leaves[0]


def _event_hashes(connection: Connection, lo: int, hi: int) -> list[str]:
    """event_hash of leaves lo .. hi - 1 (events lo + 1 .. hi) as far as they run without a gap."""
    rows = connection.execute(
        select(_events.c.id, _events.c.event_hash).where(_events.c.id > lo, _events.c.id <= hi).order_by(_events.c.id)
    ).all()
    hashes = []
    for expected, (event_id, event_hash) in enumerate(rows, start=lo + 1):
        if event_id != expected or event_hash is None:
            break
        hashes.append(event_hash)
    return hashes


def _read_nodes(connection: Connection, keys) -> dict[tuple[int, int], bytes]:
    keys = sorted(set(keys))
    if not keys:
        return {}
    rows = connection.execute(
        select(_nodes.c.level, _nodes.c.node_index, _nodes.c.hash).where(
            or_(*(and_(_nodes.c.level == level, _nodes.c.node_index == index) for level, index in keys))
        )
    ).all()
    found = {(level, index): bytes.fromhex(node) for level, index, node in rows}
    missing = [key for key in keys if key not in found]
    if missing:
        level, index = missing[0]
        raise TreeDataMissing(f"no stored tree node for leaves {index << level}..{((index + 1) << level) - 1}")
    return found


def stored_leaves(connection: Connection) -> int:
    """How many leaves (from the first) the stored nodes cover."""
    last = connection.scalar(select(func.max(_nodes.c.node_index)).where(_nodes.c.level == STORED_FROM_LEVEL))
    return 0 if last is None else (last + 1) * BLOCK


def extend_nodes(connection: Connection, through: int) -> int:
    """Store the nodes of every complete block of the first `through` leaves that has none yet,
    and the larger nodes they complete. Stops before a missing event. Returns the leaves covered."""
    done = stored_leaves(connection)
    target = through - through % BLOCK
    if done >= target:
        return done
    # The frontier: the perfect subtrees over [0, done), largest first, as a merge stack.
    frontier = perfect_pieces(0, done)
    stored = _read_nodes(connection, frontier)
    stack = [(level, index, stored[level, index]) for level, index in frontier]
    while done < target:
        start, wanted = done, min(target - done, READ_CHUNK)  # both multiples of BLOCK
        hashes = _event_hashes(connection, start, start + wanted)
        usable = len(hashes) - len(hashes) % BLOCK
        level_hashes = [verifier.leaf_hash(h) for h in hashes[:usable]]
        for _ in range(STORED_FROM_LEVEL):
            level_hashes = [
                verifier.node_hash(level_hashes[i], level_hashes[i + 1]) for i in range(0, len(level_hashes), 2)
            ]
        rows = []
        for offset, block_hash in enumerate(level_hashes):
            node = (STORED_FROM_LEVEL, start // BLOCK + offset, block_hash)
            rows.append(node)
            while stack and stack[-1][0] == node[0]:
                left = stack.pop()
                node = (node[0] + 1, left[1] >> 1, verifier.node_hash(left[2], node[2]))
                rows.append(node)
            stack.append(node)
        if rows:
            connection.execute(
                insert(_nodes),
                [{"level": level, "node_index": index, "hash": node.hex()} for level, index, node in rows],
            )
        done = start + usable
        if usable < wanted:
            break  # a missing event: nothing after it can be hashed
    return done


def tree_head(connection: Connection, size: int) -> tuple[bytes, str]:
    """(RFC 6962 root over the first `size` leaves, event_hash of event `size`), from the stored
    nodes and the events of the unfinished last block. Needs extend_nodes(size) first."""
    pieces = perfect_pieces(0, size)
    hashes, event_hashes = _piece_hashes(connection, pieces)
    head_hash = event_hashes.get(size - 1) or connection.scalar(
        select(_events.c.event_hash).where(_events.c.id == size)
    )
    if head_hash is None:
        raise TreeDataMissing(f"event {size} is missing")
    return _fold([hashes[piece] for piece in pieces]), head_hash


def inclusion_proof(connection: Connection, index: int, size: int) -> list[bytes]:
    """RFC 6962 audit path of leaf `index` in the tree of the first `size` leaves: O(log n) stored
    nodes plus at most two blocks' worth of events."""
    range_pieces = [perfect_pieces(lo, hi) for lo, hi in proof_ranges(index, size)]
    hashes, _ = _piece_hashes(connection, {piece for pieces in range_pieces for piece in pieces})
    return [_fold([hashes[piece] for piece in pieces]) for pieces in range_pieces]


def _piece_hashes(connection: Connection, pieces) -> tuple[dict, dict[int, str]]:
    """The hash of each perfect subtree (level, node_index): stored nodes for the large ones in
    one query, the small ones hashed from their events (also returned, by leaf)."""
    hashes = _read_nodes(connection, [piece for piece in pieces if piece[0] >= STORED_FROM_LEVEL])
    small = sorted(piece for piece in pieces if piece[0] < STORED_FROM_LEVEL)
    event_hashes: dict[int, str] = {}
    for lo, hi in _spans([(i << level, (i + 1) << level) for level, i in small]):
        found = _event_hashes(connection, lo, hi)
        if len(found) != hi - lo:
            raise TreeDataMissing(f"event {lo + len(found) + 1} is missing")
        event_hashes.update(zip(range(lo, hi), found))
    for level, i in small:
        first = i << level
        hashes[level, i] = _perfect_hash(
            [verifier.leaf_hash(event_hashes[leaf]) for leaf in range(first, first + (1 << level))]
        )
    return hashes, event_hashes


def _spans(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted [lo, hi) ranges merged where they touch: one query each."""
    spans: list[list[int]] = []
    for lo, hi in sorted(ranges):
        if spans and lo <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], hi)
        else:
            spans.append([lo, hi])
    return [(lo, hi) for lo, hi in spans]
