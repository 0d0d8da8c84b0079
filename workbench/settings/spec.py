"""How one setting is declared: the metadata the parser and the docs generator read.

A setting is a field of `Settings` (fields.py) declared with `setting(default, area, doc, ...)`.
Its variable is `WORKBENCH_` + the field name in capitals unless `env` says otherwise, and its
unit follows from the name's suffix (UNIT_SUFFIXES): one spelling per unit.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

# Longest suffix first: `_PER_S` must win over `_S`.
UNIT_SUFFIXES = (
    ("_PER_S", "per second"),
    ("_BYTES", "bytes"),
    ("_PIXELS", "pixels"),
    ("_CHARS", "characters"),
    ("_DAYS", "days"),
    ("_HOURS", "hours"),
    ("_MS", "milliseconds"),
    ("_S", "seconds"),
)
# Suffixes that name a unit without being one of the above: a setting must not use them.
FORBIDDEN_SUFFIXES = ("_SECONDS", "_SECS", "_SEC", "_MINUTES", "_MINS", "_MILLISECONDS", "_MB", "_KB")


@dataclass(frozen=True)
class OldName:
    """A variable's previous name, still read (with a deprecation warning); `scale` converts its unit."""

    name: str
    scale: float = 1.0
    unit: str = ""  # the old name's unit, when it differs (for the docs and the warning)


@dataclass(frozen=True)
class Spec:
    area: str
    doc: str
    env: str = ""
    old: tuple[OldName, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    kind: str = ""  # "cidrs", "url", "path", "secret", "names", "countries": extra validation and docs wording
    instance_default: str = ""  # the default is this file or folder inside the instance folder
    empty_is_value: bool = False  # an empty variable means "none" instead of "the default"
    default_doc: str = ""  # the default as the docs show it, when the value alone would mislead


def setting(default: Any, area: str, doc: str, **spec: Any) -> Any:
    """A `Settings` field: its default and everything the parser and the docs need."""
    return dataclasses.field(default=default, metadata={"spec": Spec(area, doc, **spec)})


@dataclass(frozen=True)
class Declared:
    """A setting as the parser and the docs generator see it."""

    field: str
    env: str
    type: Any
    default: Any
    spec: Spec

    @property
    def unit(self) -> str:
        return unit_of(self.env)


def unit_of(name: str) -> str:
    return next((unit for suffix, unit in UNIT_SUFFIXES if name.endswith(suffix)), "")


def env_name(field_name: str, spec: Spec) -> str:
    return spec.env or "WORKBENCH_" + field_name.upper()


@dataclass(frozen=True)
class External:
    """A variable read outside `Settings`, because it is needed before the app exists or only
    by a tool; listed so the documentation covers everything the code reads."""

    env: str
    area: str
    doc: str
    default_doc: str = ""
