"""What one YAML document may cost to load: its size, the values it builds, the aliases it expands.

YAML anchors and aliases let a few hundred bytes stand for millions of values ("billion
laughs": each level lists the previous one nine times). Every loader of pack text goes
through these bounds:
- the size is checked before the parser sees a byte;
- the composer stops at `max_depth` levels (deeper nesting would exhaust Python's stack) and
  at `max_nodes` values written out in the text;
- the builder counts every value it builds and every alias (or `<<` merge) it expands, and stops
  at the first one over the bound, so a bomb costs at most the bound, never its expansion.

The defaults leave a wide margin over real packs: the largest default pack (GLOBAL) is about
10 KiB, builds about 600 values and uses no alias. Any bound that is hit is reported as a
normal validation issue with the line of the alias (or value) where loading stopped.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import Issue, PackInvalid


@dataclass(frozen=True)
class YamlLimits:
    max_bytes: int = 128 * 1024  # UTF-8 size of the text; ~12x the largest default pack
    max_nodes: int = 20_000  # values built, aliases expanded included; ~30x GLOBAL's ~600
    max_aliases: int = 1_000  # alias and merge expansions, nested ones included; the packs use none
    max_depth: int = 64  # nesting; packs are about 8 levels deep


DEFAULT_LIMITS = YamlLimits()


class DocumentTooComplex(PackInvalid):
    """The text is over one of the YamlLimits: refused before (or while) loading, never expanded."""

    def __init__(self, issue: Issue, limit: str, nodes: int = 0, aliases: int = 0):
        super().__init__([issue])
        self.limit = limit  # "bytes", "nodes", "aliases", "depth" or "cycle"
        self.nodes, self.aliases = nodes, aliases  # what loading had built when it stopped


def check_size(text: str, limits: YamlLimits) -> None:
    """Refuses a text over max_bytes without parsing it; the issue names the line where it crosses the limit."""
    if len(text) <= limits.max_bytes // 4:  # at most 4 bytes per character: no need to encode
        return
    # Only the head is encoded: a text of many megabytes costs no more than one at the limit.
    head = text[: limits.max_bytes + 1].encode("utf-8", "surrogatepass")
    if len(head) <= limits.max_bytes:
        return
    size = f"{len(head):,} bytes" if len(text) <= limits.max_bytes + 1 else f"{len(text):,} characters"
    line = head.count(b"\n", 0, limits.max_bytes) + 1
    raise DocumentTooComplex(
        Issue(
            line,
            1,
            "",
            f"document larger than {limits.max_bytes:,} bytes ({size}; the "
            "limit is passed on this line): split the pack or remove what it does not need",
        ),
        "bytes",
    )


class Budget:
    """Counts what loading builds; raises DocumentTooComplex at the first value over a bound."""

    def __init__(self, limits: YamlLimits):
        self.limits = limits
        self.nodes = 0
        self.aliases = 0

    def add_nodes(self, count: int, where: tuple[int, int]) -> None:
        self.nodes += count
        if self.nodes > self.limits.max_nodes:
            raise DocumentTooComplex(
                Issue(
                    *where,
                    "",
                    f"too many values: the document builds more than "
                    f"{self.limits.max_nodes:,} (aliases expanded); a pack needs far fewer",
                ),
                "nodes",
                self.nodes,
                self.aliases,
            )

    def add_alias(self, where: tuple[int, int]) -> None:
        self.aliases += 1
        if self.aliases > self.limits.max_aliases:
            raise DocumentTooComplex(
                Issue(
                    *where,
                    "",
                    f"too many aliases: expanding the document's `*` references "
                    f"(and `<<` merges) takes more than {self.limits.max_aliases:,} "
                    "expansions; write the values out or use fewer anchors",
                ),
                "aliases",
                self.nodes,
                self.aliases,
            )

    def check_depth(self, depth: int, where: tuple[int, int]) -> None:
        if depth > self.limits.max_depth:
            raise DocumentTooComplex(
                Issue(*where, "", f"document nests more than {self.limits.max_depth} levels deep"),
                "depth",
                self.nodes,
                self.aliases,
            )


def cycle_error(where: tuple[int, int]) -> DocumentTooComplex:
    return DocumentTooComplex(
        Issue(*where, "", "an alias refers to the value that contains it (endless expansion)"), "cycle"
    )
