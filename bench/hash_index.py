"""Benchmark the exact Hamming index against brute force and faiss (HMA's matcher).

    .venv/bin/python bench/hash_index.py                 # 1,000,000 hashes, about 30 s on 2 cores
    .venv/bin/python bench/hash_index.py --size 100000   # a quick check, a few seconds

Random 256-bit (PDQ-sized) hashes, 1% of them near copies of others; half the queries are stored hashes with up
to --threshold random bits flipped (so they have real near neighbours), half
are random. Every method answers the same queries in the same run:

- index:  classifiers.hashing.index.HammingIndex.query(hash, threshold)
- brute:  numpy XOR + popcount over every stored hash
- faiss:  faiss.IndexBinaryMultiHash(256, nhash=16, b=16), nflip = threshold // 16,
          range_search(q, threshold + 1): how HMA's PDQMultiHashIndex searches

memory_mb is the index's own footprint: bytes that tracemalloc sees the build
allocate and keep (numpy reports its buffers to tracemalloc). The last line is
one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import tracemalloc

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from classifiers.hashing.index import HammingIndex

NBYTES = 32


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=1_000_000, help="stored hashes (default 1000000)")
    parser.add_argument("--queries", type=int, default=1000, help="lookups per method (default 1000)")
    parser.add_argument("--changes", type=int, default=2000, help="single adds and removes timed (default 2000)")
    parser.add_argument("--threshold", type=int, default=31)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-faiss", action="store_true", help="skip the faiss baseline")
    return parser.parse_args()


def flip_bits(rng: np.random.Generator, row: np.ndarray, count: int) -> np.ndarray:
    out = row.copy()
    for bit in rng.choice(NBYTES * 8, size=count, replace=False):
        out[bit // 8] ^= np.uint8(1 << (bit % 8))
    return out


def make_queries(rng, hashes, count, threshold) -> np.ndarray:
    near = count // 2
    rows = rng.integers(0, len(hashes), size=near)
    near_q = [flip_bits(rng, hashes[r], int(rng.integers(0, threshold + 1))) for r in rows]
    random_q = rng.integers(0, 256, size=(count - near, NBYTES), dtype=np.uint8)
    queries = np.concatenate([np.array(near_q, dtype=np.uint8).reshape(-1, NBYTES), random_q])
    return queries[rng.permutation(len(queries))]


class BruteForce:
    """The obviously-correct baseline: distance to every stored hash."""

    def __init__(self, ids: np.ndarray, hashes: np.ndarray) -> None:
        self.ids = ids
        self.words = np.ascontiguousarray(hashes).view(np.uint64)

    def query(self, q: np.ndarray, threshold: int) -> list[tuple[int, int]]:
        counts = np.bitwise_count(self.words ^ q.view(np.uint64))
        dist = counts[:, 0].astype(np.int32)
        for column in range(1, counts.shape[1]):
            dist += counts[:, column]
        hit = np.flatnonzero(dist <= threshold)
        return sorted(zip(self.ids[hit].tolist(), dist[hit].tolist()), key=lambda p: (p[1], p[0]))


def percentile_us(samples: list[float], pct: float) -> float:
    return round(float(np.percentile(samples, pct)) * 1e6, 1)


def time_queries(fn, queries) -> tuple[list, list[float]]:
    results, times = [], []
    for q in queries:
        start = time.perf_counter()
        results.append(fn(q))
        times.append(time.perf_counter() - start)
    return results, times


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def bench_faiss(hashes, ids, queries, threshold) -> dict:
    import faiss

    rss_before = rss_mb()
    start = time.perf_counter()
    index = faiss.IndexBinaryMultiHash(NBYTES * 8, 16, 16)
    index.add(hashes)
    build_s = time.perf_counter() - start
    index.nflip = threshold // 16

    def query(q):
        lims, dist, rows = index.range_search(q[None, :], threshold + 1)
        pairs = zip(ids[rows[lims[0] : lims[1]]].tolist(), dist[lims[0] : lims[1]].astype(int).tolist())
        return sorted(pairs, key=lambda p: (p[1], p[0]))

    results, times = time_queries(query, queries)
    return {
        "build_s": build_s,
        "rss_mb": rss_mb() - rss_before,
        "results": results,
        "times": times,
        "threads": faiss.omp_get_max_threads(),
    }


def time_changes(index, rng, ids, hashes, count):
    """Time single adds of new entries, then single removes of existing ones."""
    next_id = int(ids.max()) + 1
    new_ids = np.arange(next_id, next_id + count, dtype=np.int64)
    new_hashes = rng.integers(0, 256, size=(count, NBYTES), dtype=np.uint8)
    add_times = []
    for entry_id, h in zip(new_ids.tolist(), new_hashes):
        raw = h.tobytes()
        start = time.perf_counter()
        index.add(entry_id, raw)
        add_times.append(time.perf_counter() - start)
    all_ids = np.concatenate([ids, new_ids])
    all_hashes = np.concatenate([hashes, new_hashes])
    victims = rng.choice(len(all_ids), size=count, replace=False)
    remove_times = []
    for entry_id in all_ids[victims].tolist():
        start = time.perf_counter()
        index.remove(entry_id)
        remove_times.append(time.perf_counter() - start)
    keep = np.ones(len(all_ids), dtype=bool)
    keep[victims] = False
    return add_times, remove_times, all_ids[keep], all_hashes[keep]


def main() -> None:
    args = parse_args()
    rng = np.random.default_rng(args.seed)
    t = args.threshold
    hashes = rng.integers(0, 256, size=(args.size, NBYTES), dtype=np.uint8)
    # Banks hold near-duplicates (re-encodes of one picture): make 1% of the
    # stored hashes near copies of others so queries meet several neighbours.
    for row in rng.choice(args.size, size=args.size // 100, replace=False):
        source = hashes[int(rng.integers(0, args.size))]
        hashes[row] = flip_bits(rng, source, int(rng.integers(0, t + 1)))
    ids = rng.permutation(args.size).astype(np.int64) + 1  # ids need not be in row order
    queries = make_queries(rng, hashes, args.queries, t)

    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    start = time.perf_counter()
    index = HammingIndex(bits=NBYTES * 8)
    index.build(ids, hashes)
    build_s = time.perf_counter() - start
    held, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    memory_mb = (held - base) / 1e6
    build_peak_mb = (peak - base) / 1e6
    print(
        f"index: {args.size} hashes built in {build_s:.2f} s, {memory_mb:.1f} MB "
        f"(self-reported {index.memory_bytes / 1e6:.1f} MB, build peak {build_peak_mb:.1f} MB)"
    )

    to_bytes = [q.tobytes() for q in queries]
    index_results, index_times = time_queries(lambda q: index.query(q, t), to_bytes)
    brute = BruteForce(ids, hashes)
    brute_results, brute_times = time_queries(lambda q: brute.query(q, t), queries)
    identical_fresh = index_results == brute_results
    matches = sum(len(r) for r in brute_results)
    print(
        f"index p50 {percentile_us(index_times, 50)} us, p99 {percentile_us(index_times, 99)} us; "
        f"brute p50 {percentile_us(brute_times, 50)} us; {matches} matches; identical: {identical_fresh}"
    )

    faiss_figures = None
    if not args.no_faiss:
        faiss_figures = bench_faiss(hashes, ids, queries, t)
        faiss_identical = faiss_figures["results"] == brute_results
        print(
            f"faiss IndexBinaryMultiHash: build {faiss_figures['build_s']:.2f} s, "
            f"p50 {percentile_us(faiss_figures['times'], 50)} us, identical to brute: {faiss_identical}"
        )

    add_times, remove_times, live_ids, live_hashes = time_changes(index, rng, ids, hashes, args.changes)
    check = queries[: min(200, len(queries))]
    after = BruteForce(live_ids, live_hashes)
    after_results, after_times = time_queries(lambda q: index.query(q.tobytes(), t), check)
    identical_after = after_results == [after.query(q, t) for q in check]
    print(
        f"{args.changes} adds: mean {np.mean(add_times) * 1e6:.1f} us, max {max(add_times) * 1e3:.1f} ms; "
        f"{args.changes} removes: mean {np.mean(remove_times) * 1e6:.1f} us; "
        f"identical after changes: {identical_after}"
    )

    figures = {
        "size": args.size,
        "threshold": t,
        "queries": len(queries),
        "build_s": round(build_s, 3),
        "memory_mb": round(memory_mb, 1),
        "build_peak_mb": round(build_peak_mb, 1),
        "add_us": round(float(np.mean(add_times)) * 1e6, 1),
        "add_p99_us": percentile_us(add_times, 99),
        "add_max_us": round(max(add_times) * 1e6, 1),
        "remove_us": round(float(np.mean(remove_times)) * 1e6, 1),
        "remove_p99_us": percentile_us(remove_times, 99),
        "p50_us": percentile_us(index_times, 50),
        "p99_us": percentile_us(index_times, 99),
        "p50_after_changes_us": percentile_us(after_times, 50),
        "brute_p50_us": percentile_us(brute_times, 50),
        "faiss_p50_us": percentile_us(faiss_figures["times"], 50) if faiss_figures else None,
        "faiss_p99_us": percentile_us(faiss_figures["times"], 99) if faiss_figures else None,
        "faiss_build_s": round(faiss_figures["build_s"], 3) if faiss_figures else None,
        "faiss_rss_mb": round(faiss_figures["rss_mb"], 1) if faiss_figures else None,
        "faiss_identical_to_brute": faiss_identical if faiss_figures else None,
        "matches": matches,
        "identical_to_brute": bool(identical_fresh and identical_after),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
