"""Splitting a batch of texts, sorted by length, into transformer forward passes.

A pass costs a fixed part (every layer's kernels are dispatched whatever the batch holds)
plus a part that grows with the padded tokens: the texts in it times the longest one's
token count. One pass over a whole batch pads every short comment to the batch's longest
caption; a pass per text pays the fixed part every time. `plan_passes` picks the cut points
that minimise the sum, by dynamic programming over the sorted lengths (n x max_size steps,
microseconds for a batch of 32, against hundreds of milliseconds of inference).
"""

from __future__ import annotations

from collections.abc import Sequence

# The fixed cost of one pass, in padded tokens' worth of compute. Measured for a
# bert-base-sized Detoxify on a 2-core CPU (bench/classifiers.py): 48 put the cuts where
# timed passes were fastest; anything from 32 to 96 was within a few per cent.
DEFAULT_PASS_COST_TOKENS = 48


def plan_passes(
    token_counts: Sequence[int], max_size: int, pass_cost_tokens: int = DEFAULT_PASS_COST_TOKENS
) -> list[int]:
    """Sizes of consecutive passes (at most `max_size` texts each) over texts whose token
    counts are `token_counts`, ascending; the sizes add up to len(token_counts)."""
    counts = list(token_counts)
    if any(later < earlier for earlier, later in zip(counts, counts[1:])):
        raise ValueError("token counts must be sorted ascending")
    size_limit = max(1, int(max_size))
    total = len(counts)
    best = [0.0] + [float("inf")] * total  # best[end]: cheapest plan for the first `end` texts
    cut = [0] * (total + 1)
    for end in range(1, total + 1):
        longest = counts[end - 1]  # sorted: the last text of a pass is its longest
        for start in range(max(0, end - size_limit), end):
            cost = best[start] + pass_cost_tokens + (end - start) * longest
            if cost < best[end]:
                best[end], cut[end] = cost, start
    sizes = []
    end = total
    while end > 0:
        sizes.append(end - cut[end])
        end = cut[end]
    return sizes[::-1]
