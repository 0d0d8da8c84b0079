"""Forward-pass planning: the cheapest split of length-sorted texts, and chunks that follow it."""

import itertools
import random

import pytest

from classifiers.base import Signal, classify_isolating_failures
from classifiers.text.passes import plan_passes


def _cost(counts, sizes, pass_cost):
    total, start = 0, 0
    for size in sizes:
        total += pass_cost + size * counts[start + size - 1]
        start += size
    return total


def _every_split(n, max_size):
    for cuts in itertools.product([False, True], repeat=n - 1):
        sizes, run = [], 1
        for cut in cuts:
            if cut:
                sizes.append(run)
                run = 1
            else:
                run += 1
        sizes.append(run)
        if max(sizes) <= max_size:
            yield sizes


@pytest.mark.parametrize("seed", range(12))
def test_the_plan_is_the_cheapest_split(seed):
    rng = random.Random(seed)
    n, max_size, pass_cost = rng.randint(1, 10), rng.randint(1, 6), rng.choice([0, 8, 48, 200])
    counts = sorted(rng.randint(1, 120) for _ in range(n))
    sizes = plan_passes(counts, max_size, pass_cost)
    assert sum(sizes) == n and max(sizes) <= max_size and min(sizes) >= 1
    assert _cost(counts, sizes, pass_cost) == min(_cost(counts, s, pass_cost) for s in _every_split(n, max_size))


def test_short_comments_are_not_padded_to_a_long_caption():
    counts = [8] * 24 + [120] * 8
    assert plan_passes(counts, 32, 48) == [24, 8]
    assert plan_passes([10] * 32, 32, 48) == [32]  # alike lengths: one pass
    assert plan_passes([10] * 40, 32, 48)[0] <= 32
    assert plan_passes([], 32) == []


def test_unsorted_counts_are_refused():
    with pytest.raises(ValueError):
        plan_passes([5, 3], 8)


def test_chunks_follow_the_planned_sizes_and_a_failure_stays_in_its_chunk():
    seen = []

    def run(chunk):
        seen.append(list(chunk))
        if "bad" in chunk:
            raise RuntimeError("model error")
        return [[Signal("x", 0.5)] for _ in chunk]

    items = ["a", "b", "c", "bad", "d", "e"]
    results = classify_isolating_failures(items, run, chunk_sizes=[2, 3, 1])
    assert seen[:2] == [["a", "b"], ["c", "bad", "d"]]
    assert seen[2:5] == [["c"], ["bad"], ["d"]]  # the failed chunk, one by one
    assert seen[5] == ["e"]
    assert [r[0].is_error for r in results] == [False, False, False, True, False, False]
    with pytest.raises(ValueError):
        classify_isolating_failures(items, run, chunk_sizes=[2, 2])
