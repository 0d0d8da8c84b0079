"""The Hamming index must return exactly what brute force returns."""

import numpy as np
import pytest

from classifiers.hashing import index as index_module
from classifiers.hashing.index import ExactIndex, HammingIndex


def brute_force(entries: dict[int, str], query_hex: str, max_distance: int) -> list[tuple[int, int]]:
    """Independent reference: Python integers and bit_count, no numpy."""
    q = int(query_hex, 16)
    hits = [(eid, (int(h, 16) ^ q).bit_count()) for eid, h in entries.items()]
    return sorted(((e, dist) for e, dist in hits if dist <= max_distance), key=lambda p: (p[1], p[0]))


def flip(rng, hex_value: str, count: int) -> str:
    bits = len(hex_value) * 4
    value = int(hex_value, 16)
    for bit in rng.choice(bits, size=count, replace=False).tolist():
        value ^= 1 << bit
    return f"{value:0{len(hex_value)}x}"


def random_hex(rng, bits: int) -> str:
    return rng.integers(0, 256, bits // 8, dtype=np.uint8).tobytes().hex()


def clustered_entries(rng, n: int, bits: int, spread: int) -> dict[int, str]:
    """Random hashes plus near-duplicates of some of them, so matches exist at many distances."""
    entries = {}
    ids = rng.choice(10 * n, size=n, replace=False).tolist()
    for i, eid in enumerate(ids):
        if i >= 10 and rng.random() < 0.4:
            source = entries[ids[int(rng.integers(0, i))]]
            entries[eid] = flip(rng, source, int(rng.integers(0, spread + 1)))
        else:
            entries[eid] = random_hex(rng, bits)
    return entries


def queries_for(rng, entries: dict[int, str], bits: int, count: int, spread: int) -> list[str]:
    stored = list(entries.values())
    out = [random_hex(rng, bits) for _ in range(count // 4)]
    while len(out) < count:
        out.append(flip(rng, stored[int(rng.integers(0, len(stored)))], int(rng.integers(0, spread + 1))))
    return out


def build(entries: dict[int, str], bits: int, **kwargs) -> HammingIndex:
    index = HammingIndex(bits=bits, **kwargs)
    index.build(list(entries), list(entries.values()))
    return index


@pytest.mark.parametrize("bits, thresholds", [(256, [0, 15, 31, 47, 90]), (64, [0, 3, 8, 12, 30])])
def test_build_then_query_equals_brute_force(bits, thresholds):
    rng = np.random.default_rng(bits)
    entries = clustered_entries(rng, 3000, bits, spread=bits // 6)
    index = build(entries, bits)
    total_matches = 0
    for q in queries_for(rng, entries, bits, 60, spread=bits // 6):
        for t in thresholds:
            expected = brute_force(entries, q, t)
            assert index.query(q, t) == expected, (q, t)
            total_matches += len(expected)
    assert total_matches > 100  # the data really has neighbours


def test_results_stay_exact_through_adds_removes_merges_and_compaction(monkeypatch):
    monkeypatch.setattr(index_module, "_MIN_DEAD", 50)
    rng = np.random.default_rng(11)
    entries = clustered_entries(rng, 2000, 256, spread=40)
    index = build(entries, 256, merge_every=64)
    next_id = 10**7
    for round_number in range(6):
        for _ in range(150):  # adds: some near existing entries
            source = list(entries.values())[int(rng.integers(0, len(entries)))]
            value = flip(rng, source, int(rng.integers(0, 40)))
            index.add(next_id, value)
            entries[next_id] = value
            next_id += 1
        for eid in rng.choice(list(entries), size=120, replace=False).tolist():
            assert index.remove(eid) is True
            del entries[eid]
        for eid in rng.choice(list(entries), size=20, replace=False).tolist():
            value = random_hex(rng, 256)  # replace an existing entry's hash
            index.add(eid, value)
            entries[eid] = value
        assert len(index) == len(entries)
        for q in queries_for(rng, entries, 256, 25, spread=35):
            assert index.query(q, 31) == brute_force(entries, q, 31), round_number


def test_add_is_visible_immediately_and_remove_hides_it():
    index = HammingIndex(bits=256)
    value = "ab" * 32
    assert index.query(value, 31) == []
    index.add(7, value)
    assert index.query(value, 0) == [(7, 0)]
    assert 7 in index and index.get(7) == value
    assert index.remove(7) is True
    assert index.query(value, 31) == []
    assert index.remove(7) is False
    assert 7 not in index and index.get(7) is None


def test_removing_a_bulk_built_entry_then_re_adding_it():
    index = build({1: "00" * 32, 2: "ff" * 32}, 256)
    assert index.remove(1)
    assert index.query("00" * 32, 10) == []
    index.add(1, "00" * 31 + "01")
    assert index.query("00" * 32, 10) == [(1, 1)]
    assert sorted(index.entry_ids().tolist()) == [1, 2]


def test_identical_hashes_under_different_ids_all_match():
    index = build({5: "11" * 8, 3: "11" * 8, 9: "11" * 7 + "10"}, 64)
    assert index.query("11" * 8, 1) == [(3, 0), (5, 0), (9, 1)]


def test_build_from_uint8_array():
    rng = np.random.default_rng(3)
    hashes = rng.integers(0, 256, size=(500, 32), dtype=np.uint8)
    ids = np.arange(1000, 1500)
    index = HammingIndex(bits=256)
    index.build(ids, hashes)
    entries = {int(i): h.tobytes().hex() for i, h in zip(ids, hashes)}
    q = hashes[17].tobytes().hex()
    assert index.query(q, 31) == brute_force(entries, q, 31)
    assert index.query(hashes[17].tobytes(), 31) == [(1017, 0)]


def test_bad_input_is_rejected():
    index = HammingIndex(bits=256)
    with pytest.raises(ValueError):
        index.build([1, 1], ["00" * 32, "ff" * 32])  # duplicate ids
    with pytest.raises(ValueError):
        index.build([1, 2], ["00" * 32])
    with pytest.raises(ValueError):
        index.add(1, "00" * 8)  # a 64-bit hash in a 256-bit index
    with pytest.raises(ValueError):
        index.query("zz" * 32, 31)
    with pytest.raises(ValueError):
        HammingIndex(bits=100)


def test_negative_threshold_matches_nothing():
    index = build({1: "00" * 32}, 256)
    assert index.query("00" * 32, -1) == []


def test_memory_footprint_is_compact():
    rng = np.random.default_rng(5)
    index = HammingIndex(bits=256)
    index.build(np.arange(20000), rng.integers(0, 256, size=(20000, 32), dtype=np.uint8))
    # 32 bytes of hash + 8 of id + 1 alive + 16 chunks * 4 bytes of postings, plus fixed offsets.
    per_entry = (index.memory_bytes - 16 * 65537 * 4) / 20000
    assert per_entry < 120


def test_for_algorithm_picks_the_width():
    assert HammingIndex.for_algorithm("pdq").bits == 256
    assert HammingIndex.for_algorithm("phash").bits == 64


def test_exact_index():
    index = ExactIndex()
    index.build([(1, "AA" * 16), (2, "aa" * 16), (3, "bb" * 16)])
    assert index.query("aa" * 16) == [1, 2]
    assert index.remove(1) and not index.remove(1)
    assert index.query("aa" * 16) == [2]
    index.add(2, "cc" * 16)  # moving an entry to a new hash drops the old one
    assert index.query("aa" * 16) == []
    assert index.query("CC" * 16) == [2]
    assert len(index) == 2 and 3 in index
