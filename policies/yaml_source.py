"""Parse pack YAML into plain data while remembering where every value came from.

Schema errors arrive as a path (`rules/2/condition/op`); the marks recorded here turn that path
back into a line and column of the editor's text.

The loader is deliberately stricter than PyYAML's `safe_load`:
- only `true`/`false` are booleans (YAML 1.1 would read the country code `NO` as False, and the
  DSA value `No` too);
- dates stay strings (JSON Schema checks them as `format: date` text);
- duplicate keys are an error instead of silently keeping the last one.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import yaml

from .errors import Issue, PackInvalid

_BOOL_TAG = "tag:yaml.org,2002:bool"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_MAX_DEPTH = 64  # packs are shallow; this stops alias bombs and self-referencing anchors


class _StrictLoader(yaml.SafeLoader):
    pass


_StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in (_BOOL_TAG, _TIMESTAMP_TAG)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_StrictLoader.add_implicit_resolver(
    _BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)

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


def _position(mark) -> tuple[int, int]:
    return (mark.line + 1, mark.column + 1)


def _yaml_error_issue(exc: yaml.YAMLError) -> Issue:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line, column = _position(mark) if mark is not None else (0, 0)
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    message = f"YAML syntax error: {problem}" + (f" ({context})" if context else "")
    return Issue(line, column, "", message)


class _Builder:
    def __init__(self, loader: _StrictLoader):
        self.loader = loader
        self.source = SourceMap()
        self.active: set[int] = set()

    def build(self, node, path: Path):
        if len(path) > _MAX_DEPTH or id(node) in self.active:
            line, column = _position(node.start_mark)
            raise PackInvalid([Issue(line, column, "", "document nests too deeply or refers to itself")])
        self.source.values[path] = _position(node.start_mark)
        if isinstance(node, yaml.ScalarNode):
            return self.loader.construct_object(node, deep=True)
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                return [self.build(child, path + (i,)) for i, child in enumerate(node.value)]
            return self._build_mapping(node, path)
        finally:
            self.active.discard(id(node))

    def _build_mapping(self, node, path: Path) -> dict:
        self.loader.flatten_mapping(node)  # resolves `<<: *anchor` merges
        result: dict = {}
        for key_node, value_node in node.value:
            line, column = _position(key_node.start_mark)
            if not isinstance(key_node, yaml.ScalarNode):
                raise PackInvalid([Issue(line, column, "", "mapping keys must be plain text")])
            key = self.loader.construct_object(key_node)
            if not isinstance(key, str):
                key = str(key)  # JSON Schema only knows string keys; keeps `1: x` reportable
            if key in result:
                raise PackInvalid([Issue(line, column, "", f"duplicate key {key!r}")])
            self.source.keys[path + (key,)] = (line, column)
            result[key] = self.build(value_node, path + (key,))
        return result


def load_yaml_with_marks(text: str) -> tuple[object, SourceMap]:
    """Parse one YAML document. Raises PackInvalid with the line of any syntax error."""
    if not isinstance(text, str):
        raise TypeError("pack text must be str")
    try:
        # The reader already refuses control characters while the loader is built.
        loader = _StrictLoader(text)
    except yaml.YAMLError as exc:
        raise PackInvalid([_yaml_error_issue(exc)]) from None
    try:
        node = loader.get_single_node()
        if node is None:
            return None, SourceMap()
        builder = _Builder(loader)
        return builder.build(node, ()), builder.source
    except yaml.YAMLError as exc:
        raise PackInvalid([_yaml_error_issue(exc)]) from None
    finally:
        loader.dispose()
