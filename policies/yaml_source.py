"""Parse pack YAML into plain data while remembering where every value came from.

Schema errors arrive as a path (`rules/2/condition/op`); the marks recorded here turn that path
back into a line and column of the editor's text.

The loader is deliberately stricter than PyYAML's `safe_load`:
- only `true`/`false` are booleans (YAML 1.1 would read the country code `NO` as False, and the
  DSA value `No` too);
- dates stay strings (JSON Schema checks them as `format: date` text);
- duplicate keys are an error instead of silently keeping the last one;
- the document's size, depth, values built and aliases expanded are bounded (yaml_limits.py):
  aliases and `<<` merges are expanded here, one counted value at a time, never by PyYAML.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import yaml

from .errors import Issue, PackInvalid
from .yaml_limits import DEFAULT_LIMITS, Budget, YamlLimits, check_size, cycle_error

_BOOL_TAG = "tag:yaml.org,2002:bool"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_VALUE_TAG = "tag:yaml.org,2002:value"


def _position(mark) -> tuple[int, int]:
    return (mark.line + 1, mark.column + 1)


class _StrictLoader(yaml.SafeLoader):
    """Composes the node graph under the depth and node bounds, noting where each alias was written."""

    def __init__(self, text: str, budget: Budget):
        super().__init__(text)
        self.budget = budget
        self.depth = 0
        # (id of the parent node, slot) -> mark of the `*alias` written there; a slot is a
        # sequence index or the id of the mapping key whose value it is.
        self.alias_marks: dict[tuple[int, int], tuple[int, int]] = {}

    def compose_node(self, parent, index):
        where = _position(self.peek_event().start_mark)
        self.budget.add_nodes(1, where)  # written-out values: a long flat list stops here
        if self.check_event(yaml.AliasEvent):
            node = super().compose_node(parent, index)
            if parent is not None and index is not None:
                slot = index if isinstance(index, int) else id(index)
                self.alias_marks[(id(parent), slot)] = where
            return node
        self.depth += 1
        self.budget.check_depth(self.depth, where)  # before recursing: deep nesting must not reach the stack limit
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


_StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in (_BOOL_TAG, _TIMESTAMP_TAG)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_StrictLoader.add_implicit_resolver(_BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))

Path = tuple  # of str keys and int indexes


@dataclass
class SourceMap:
    """Line/column (1-based) of each value and of each mapping key, by path."""

    values: dict[Path, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Path, tuple[int, int]] = field(default_factory=dict)

    def locate(self, path: Path) -> tuple[int, int]:
        """The closest known position for `path`: itself, else its nearest ancestor."""
        path = tuple(path)
        while True:
            if path in self.values:
                return self.values[path]
            if not path:
                return (0, 0)
            path = path[:-1]

    def locate_key(self, path: Path) -> tuple[int, int]:
        return self.keys.get(tuple(path)) or self.locate(path)


def _yaml_error_issue(exc: yaml.YAMLError) -> Issue:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line, column = _position(mark) if mark is not None else (0, 0)
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    message = f"YAML syntax error: {problem}" + (f" ({context})" if context else "")
    return Issue(line, column, "", message)


def _merge_error(node, message: str) -> PackInvalid:
    line, column = _position(node.start_mark)
    return PackInvalid([Issue(line, column, "", f"YAML syntax error: {message}")])


class _Builder:
    def __init__(self, loader: _StrictLoader):
        self.loader = loader
        self.budget = loader.budget
        self.source = SourceMap()
        self.active: set[int] = set()  # collections being built: one seen again is a cycle
        self.merging: set[int] = set()  # mappings whose `<<` merges are being spliced
        self.expanding: tuple[int, int] | None = None  # the outermost alias being expanded

    def _where(self, node) -> tuple[int, int]:
        # Inside an expansion the node's own mark is its anchor; the alias in the text is what to fix.
        return self.expanding or _position(node.start_mark)

    def build_child(self, parent, slot: int, node, path: Path):
        alias = self.loader.alias_marks.get((id(parent), slot))
        if alias is None:
            return self.build(node, path)
        outermost = self.expanding is None
        if outermost:
            self.expanding = alias
        try:
            self.budget.add_alias(self.expanding)
            return self.build(node, path)
        finally:
            if outermost:
                self.expanding = None

    def build(self, node, path: Path):
        where = self._where(node)
        self.budget.add_nodes(1, where)
        self.budget.check_depth(len(path), where)
        if id(node) in self.active:
            raise cycle_error(where)
        self.source.values[path] = _position(node.start_mark)
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node)
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                return [self.build_child(node, i, child, path + (i,)) for i, child in enumerate(node.value)]
            return self._build_mapping(node, path)
        finally:
            self.active.discard(id(node))

    def _scalar(self, node):
        try:
            return self.loader.construct_object(node, deep=True)
        except (ValueError, TypeError, ArithmeticError) as exc:  # e.g. `!!int abc`
            line, column = _position(node.start_mark)
            raise PackInvalid([Issue(line, column, "", f"YAML syntax error: {node.tag} value: {exc}")]) from None

    def _pairs(self, node) -> list[tuple[object, object, object]]:
        """(owner, key, value) of a mapping with its `<<` merges spliced in, as PyYAML orders them
        (merged pairs first), without changing the nodes and with every merged pair counted."""
        if id(node) in self.merging:
            raise cycle_error(self._where(node))
        self.budget.check_depth(len(self.merging) + 1, self._where(node))  # merges of merges: bounded like nesting
        self.merging.add(id(node))
        try:
            merged, own = [], []
            for key_node, value_node in node.value:
                if key_node.tag != _MERGE_TAG:
                    own.append((node, key_node, value_node))
                    continue
                if isinstance(value_node, yaml.MappingNode):
                    sources = [value_node]
                elif isinstance(value_node, yaml.SequenceNode):
                    sources = list(reversed(value_node.value))
                else:
                    raise _merge_error(value_node, "a << merge takes a mapping or a list of mappings")
                for source in sources:
                    if not isinstance(source, yaml.MappingNode):
                        raise _merge_error(source, "a << merge takes a mapping or a list of mappings")
                    self.budget.add_alias(self._where(source))
                    pairs = self._pairs(source)
                    self.budget.add_nodes(len(pairs), self._where(source))
                    merged.extend(pairs)
            return merged + own
        finally:
            self.merging.discard(id(node))

    def _build_mapping(self, node, path: Path) -> dict:
        result: dict = {}
        for owner, key_node, value_node in self._pairs(node):
            line, column = _position(key_node.start_mark)
            if not isinstance(key_node, yaml.ScalarNode):
                raise PackInvalid([Issue(line, column, "", "mapping keys must be plain text")])
            # The YAML 1.1 `=` key is plain text here.
            key = str(key_node.value) if key_node.tag == _VALUE_TAG else self._scalar(key_node)
            if not isinstance(key, str):
                key = str(key)  # JSON Schema only knows string keys; keeps `1: x` reportable
            if key in result:
                raise PackInvalid([Issue(line, column, "", f"duplicate key {key!r}")])
            self.source.keys[path + (key,)] = (line, column)
            result[key] = self.build_child(owner, id(key_node), value_node, path + (key,))
        return result


def load_yaml_with_marks(text: str, limits: YamlLimits = DEFAULT_LIMITS) -> tuple[object, SourceMap]:
    """Parse one YAML document. Raises PackInvalid with the line of any syntax error, and its
    subclass DocumentTooComplex when the text is over `limits` (checked before parsing, and
    while composing and building: nothing past the bound is built)."""
    if not isinstance(text, str):
        raise TypeError("pack text must be str")
    check_size(text, limits)
    try:
        # The reader already refuses control characters while the loader is built.
        loader = _StrictLoader(text, Budget(limits))
    except yaml.YAMLError as exc:
        raise PackInvalid([_yaml_error_issue(exc)]) from None
    try:
        node = loader.get_single_node()
        if node is None:
            return None, SourceMap()
        loader.budget.nodes = 0  # composing counted the text; building counts the expansion
        builder = _Builder(loader)
        return builder.build(node, ()), builder.source
    except yaml.YAMLError as exc:
        raise PackInvalid([_yaml_error_issue(exc)]) from None
    finally:
        loader.dispose()
