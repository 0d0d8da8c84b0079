"""Turning environment variables (or test overrides) into typed, validated values.

Every bad value is collected and reported at once in one `SettingsError`, naming the
variable, the value and what is expected. Renamed variables are still read under their old
name, with one warning line each; the new name wins when both are set.
"""

from __future__ import annotations

import dataclasses
import functools
import ipaddress
import logging
import math
import os
import typing
from collections.abc import Mapping
from typing import Any

import pycountry

from workbench.settings.spec import Declared, Spec, env_name

log = logging.getLogger("workbench.settings")
TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off"}
URL_SCHEMES = {
    "DATABASE_URL": ("sqlite", "postgres", "postgresql", "postgresql+psycopg"),
    "REDIS_URL": ("redis", "rediss", "unix"),
}


class SettingsError(ValueError):
    """One or more settings have bad values; the message lists each, one a line."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid settings:\n" + "\n".join(f"  {problem}" for problem in problems))


class _Bad(Exception):
    def __init__(self, expected: str):
        self.expected = expected


@functools.cache
def declared(settings_class: type) -> tuple[Declared, ...]:
    hints = typing.get_type_hints(settings_class)
    return tuple(
        Declared(field.name, env_name(field.name, spec), hints[field.name], field.default, spec)
        for field in dataclasses.fields(settings_class)
        for spec in [field.metadata["spec"]]
    )


@functools.cache
def _by_name(settings_class: type) -> dict[str, tuple[Declared, float]]:
    names: dict[str, tuple[Declared, float]] = {}
    for item in declared(settings_class):
        names[item.env] = (item, 1.0)
        for old in item.spec.old:
            names[old.name] = (item, old.scale)
    return names


def _bounds(value: float, spec: Spec) -> None:
    low, high = spec.minimum, spec.maximum
    if (low is not None and value < low) or (high is not None and value > high):
        if low is not None and high is not None:
            raise _Bad(f"between {low:g} and {high:g}")
        raise _Bad(f">= {low:g}" if low is not None else f"<= {high:g}")


def _int(raw: Any, spec: Spec) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise _Bad("an integer")
    try:
        value = int(raw.strip()) if isinstance(raw, str) else int(raw)
    except ValueError:
        raise _Bad("an integer") from None
    if isinstance(raw, float) and value != raw:
        raise _Bad("an integer")
    _bounds(value, spec)
    return value


def _float(raw: Any, spec: Spec) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise _Bad("a number")
    try:
        value = float(raw.strip()) if isinstance(raw, str) else float(raw)
    except ValueError:
        raise _Bad("a number") from None
    if not math.isfinite(value):
        raise _Bad("a finite number")
    _bounds(value, spec)
    return value


def _bool(raw: Any, spec: Spec) -> bool:
    if isinstance(raw, bool) or raw in (0, 1):
        return bool(raw)
    text = str(raw).strip().lower()
    if text in TRUE | FALSE:
        return text in TRUE
    raise _Bad("true or false (1/0, yes/no, on/off)")


def _str(raw: Any, spec: Spec, env: str) -> str:
    if not isinstance(raw, str | os.PathLike):
        raise _Bad("text")
    value = os.fspath(raw).strip() if spec.kind != "secret" else os.fspath(raw)
    if spec.choices and value not in spec.choices:
        raise _Bad("one of " + ", ".join(spec.choices))
    if spec.kind == "url" and value:
        scheme = value.split("://", 1)[0] if "://" in value else ""
        if scheme not in URL_SCHEMES.get(env, (scheme,)) or not scheme:
            raise _Bad("a URL starting with " + " or ".join(f"{s}://" for s in URL_SCHEMES.get(env, ("scheme",))))
    if spec.kind == "path" and "\x00" in value:
        raise _Bad("a file or folder path")
    return value


def _parts(raw: Any) -> list:
    if isinstance(raw, str):
        return [part.strip() for part in raw.split(",") if part.strip()]
    if isinstance(raw, list | tuple):
        return list(raw)
    raise _Bad("a comma-separated list")


def _str_tuple(raw: Any, spec: Spec) -> tuple[str, ...]:
    parts = _parts(raw)
    if spec.kind == "cidrs":
        try:
            return tuple(str(ipaddress.ip_network(str(part).strip(), strict=False)) for part in parts)
        except ValueError:
            raise _Bad("comma-separated CIDRs such as 10.20.0.0/16") from None
    if spec.kind == "countries":
        codes = [str(part).strip().upper() for part in parts if str(part).strip()]
        if any(len(code) != 2 or pycountry.countries.get(alpha_2=code) is None for code in codes):
            raise _Bad("comma-separated ISO 3166-1 alpha-2 country codes such as US,DE")
        return tuple(sorted(set(codes)))
    names = [str(part).strip().lower() for part in parts if str(part).strip()]
    return tuple(dict.fromkeys(names))


def _int_tuple(raw: Any, spec: Spec) -> tuple[int, ...]:
    try:
        return tuple(_int(part, spec) for part in _parts(raw))
    except _Bad as bad:
        each = bad.expected.removeprefix("an integer").strip() or "whole"
        raise _Bad(f"comma-separated integers, each {each}") from None


def parse_value(item: Declared, raw: Any, scale: float = 1.0) -> Any:
    """`raw` (text from the environment, or a typed value from test overrides) as the setting's type."""
    kind = item.type
    if kind is int:
        return _int(_float(raw, Spec("", "")) * scale if scale != 1.0 else raw, item.spec)
    if kind is float:
        return _float(_float(raw, Spec("", "")) * scale if scale != 1.0 else raw, item.spec)
    if kind is bool:
        return _bool(raw, item.spec)
    if kind is str:
        return _str(raw, item.spec, item.env)
    if kind == tuple[str, ...]:
        return _str_tuple(raw, item.spec)
    if kind == tuple[int, ...]:
        return _int_tuple(raw, item.spec)
    raise TypeError(f"no parser for {item.field}: {kind}")  # a declaration mistake, not bad input


def _unset(item: Declared, raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and raw.strip() == "" and not item.spec.empty_is_value)


def _pick(item: Declared, source: Mapping[str, Any], warnings: list[str]) -> tuple[str, Any, float] | None:
    """(name it was set under, raw value, unit scale), or None when unset under every name."""
    if not _unset(item, source.get(item.env)):
        for old in item.spec.old:
            if not _unset(item, source.get(old.name)):
                warnings.append(f"{old.name} and {item.env} are both set: using {item.env}; drop {old.name}")
        return item.env, source[item.env], 1.0
    for old in item.spec.old:
        if not _unset(item, source.get(old.name)):
            unit = f" (in {item.unit}, not {old.unit})" if old.unit else ""
            warnings.append(f"{old.name} is deprecated: rename it to {item.env}{unit}")
            return old.name, source[old.name], old.scale
    return None


def default_value(item: Declared, instance_path: str) -> Any:
    if item.spec.instance_default:
        return os.path.join(instance_path, item.spec.instance_default)
    if item.env == "DATABASE_URL":
        return "sqlite:///" + os.path.join(instance_path, "workbench.db")
    return item.default


def build(
    settings_class: type, environ: Mapping[str, str], instance_path: str, overrides: Mapping[str, Any] | None = None
):
    """The settings from `environ`, then `overrides` by variable name (tests); raises SettingsError."""
    overrides = dict(overrides or {})
    problems = [
        f"{name}: not a setting (docs/configuration.md lists them)"
        for name in overrides
        if name.startswith("WORKBENCH_") and name not in _by_name(settings_class)
    ]
    warnings: list[str] = []
    values = {}
    for item in declared(settings_class):
        picked = _pick(item, overrides, warnings) or _pick(item, environ, warnings)
        if picked is None:
            values[item.field] = default_value(item, instance_path)
            continue
        name, raw, scale = picked
        try:
            values[item.field] = parse_value(item, raw, scale)
        except _Bad as bad:
            problems.append(f"{name}={raw!r}: expected {bad.expected}")
    if problems:
        raise SettingsError(problems)
    for line in dict.fromkeys(warnings):
        log.warning("%s", line)
    return settings_class(**values)


def replace(settings: Any, by_name: Mapping[str, Any]) -> Any:
    """A copy of `settings` with the values given by variable name, validated like the environment."""
    names = _by_name(type(settings))
    problems, changes = [], {}
    for name, raw in by_name.items():
        if name not in names:
            problems.append(f"{name}: not a setting (docs/configuration.md lists them)")
            continue
        item, scale = names[name]
        try:
            changes[item.field] = parse_value(item, raw, scale)
        except _Bad as bad:
            problems.append(f"{name}={raw!r}: expected {bad.expected}")
    if problems:
        raise SettingsError(problems)
    return dataclasses.replace(settings, **changes)
