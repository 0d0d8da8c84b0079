"""docs/configuration.md, generated from the declarations (fields.py): never edit it by hand."""

from __future__ import annotations

from workbench.settings.fields import AREAS, EXTERNAL, Settings
from workbench.settings.parse import declared
from workbench.settings.spec import Declared

HEADER = """# Configuration

Every setting the workbench reads, from environment variables. This page is generated from
`workbench/settings/fields.py`; after changing a setting there, regenerate it:

    python -m workbench.settings > docs/configuration.md

The settings are read once at start-up: a bad value stops start-up with one message that lists
every bad variable, its value and what is expected. An unset or empty variable takes the default.
Units follow the name: `_S` seconds, `_MS` milliseconds, `_HOURS`, `_DAYS`, `_BYTES`, `_PIXELS`,
`_CHARS`, `_PER_S` per second.
"""


def _type(item: Declared) -> str:
    kind = {int: "integer", float: "number", bool: "true/false", str: "text"}.get(item.type, "list")
    if item.spec.kind == "cidrs":
        kind = "CIDR list"
    elif item.spec.kind in ("url", "path"):
        kind = item.spec.kind
    elif item.spec.choices:
        kind = " \\| ".join(item.spec.choices)
    return f"{kind}, {item.unit}" if item.unit else kind


def _default(item: Declared) -> str:
    if item.spec.default_doc:
        return item.spec.default_doc
    if item.spec.instance_default:
        return f"`{item.spec.instance_default}` in the instance folder"
    value = item.default
    if isinstance(value, tuple):
        value = ",".join(str(part) for part in value)
    elif isinstance(value, bool):
        value = "true" if value else "false"
    elif isinstance(value, float):
        value = f"{value:g}"
    return f"`{value}`" if value != "" else "(empty)"


def _range(item: Declared) -> str:
    low, high = item.spec.minimum, item.spec.maximum
    if low is not None and high is not None:
        return f" ({low:g} to {high:g})"
    return f" (at least {low:g})" if low is not None else ""


def render() -> str:
    items = declared(Settings)
    out = [HEADER]
    for area in AREAS:
        out += [f"## {area}\n", "| variable | type | default | what it does |", "|---|---|---|---|"]
        for item in items:
            if item.spec.area == area:
                out.append(f"| `{item.env}` | {_type(item)} | {_default(item)} | {item.spec.doc}{_range(item)} |")
        for external in EXTERNAL:
            if external.area == area:
                default = external.default_doc or "(unset)"
                out.append(f"| `{external.env}` | read directly | {default} | {external.doc} |")
        out.append("")
    out += [
        "## Renamed variables\n",
        "The old names are still read, with a warning at start-up; when both are set the new name wins.\n",
        "| old name | new name | note |",
        "|---|---|---|",
    ]
    for item in items:
        for old in item.spec.old:
            note = f"the old one is in {old.unit}, the new one in {item.unit}" if old.unit else "same unit"
            out.append(f"| `{old.name}` | `{item.env}` | {note} |")
    return "\n".join(out) + "\n"
