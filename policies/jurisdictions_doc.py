"""Writes docs/jurisdictions.md from the catalogue, so the table cannot drift from the law encoded:

    .venv/bin/python -m policies.jurisdictions_doc > docs/jurisdictions.md

A test regenerates it and compares.
"""

from __future__ import annotations

import sys

from .catalogue import Catalogue, ContentClass, Jurisdiction, JurisdictionNote, default_catalogue

STARTS = {
    "order_receipt": "receipt of the order",
    "notice_receipt": "receipt of the notice",
    "request_receipt": "receipt of the request",
    "detection": "detection (the provider becomes aware)",
    "removal": "the removal",
    "authority_report": "the report to the authority",
}
HEADER = """# Jurisdictions: the obligations the workbench encodes

Generated from `policies/catalogue/jurisdictions.yaml` by `python -m policies.jurisdictions_doc`;
do not edit by hand (a test regenerates this file and compares). Which jurisdictions apply to an
item is decided by its audience, by who issued a notice or order about it and by where the
provider is established ([policy-language.md](policy-language.md#which-packs-apply-to-an-item)).
Rows marked **verify** rest on something not confirmed from the primary text: check with counsel
before relying on them. Nothing here is legal advice.
"""
COLUMNS = ("Jurisdiction", "Obligation", "Deadline", "Trigger", "Citation", "Evidence hold", "Checked on")


def _cell(text: str | None) -> str:
    return (text or "").replace("|", "\\|").replace("\n", " ")


def _deadline(cls: ContentClass) -> str:
    start = STARTS.get(cls.starts, cls.starts) if cls.starts else None
    if cls.deadline_hours is None:
        text = f"no fixed hours (on {start})" if start else "no fixed hours"
    else:
        text = f"{cls.deadline_hours:g} h" + (f" from {start}" if start else "")
    if cls.applies_from:
        text += f" (applies from {cls.applies_from})"
    return text


def _hold(cls: ContentClass) -> str:
    hold = cls.hold
    if hold is None:
        return ""
    text = f"{hold.period} from {STARTS.get(hold.starts, hold.starts)}"
    if hold.extension:
        text += f", extendable once by {hold.extension}"
    text += f"; {hold.citation}; basis: {hold.gdpr_basis}"
    if hold.verify:
        text += f" **verify:** {hold.verify}"
    return text


def _obligation(cls: ContentClass) -> str:
    text = f"`{cls.name}`"
    if cls.manual:
        text += " (manual hold)"
    if cls.status:
        text += f"<br>status: {cls.status}"
    verify = [v for v in (cls.verify, cls.rank.verify if cls.rank else None) if v]
    if verify:
        text += "<br>**verify:** " + " ".join(verify)
    return text


def _trigger(entry: Jurisdiction, cls: ContentClass) -> str:
    text = cls.trigger or ""
    if cls.rank:
        ranks = ", ".join(f"`{code}`" for code in cls.rank.accepted)
        text += f" Issuer ranks accepted: {ranks}."
    return text


def _class_row(entry: Jurisdiction, cls: ContentClass) -> tuple[str, ...]:
    return (
        entry.code,
        _obligation(cls),
        _deadline(cls),
        _trigger(entry, cls),
        cls.citation,
        _hold(cls),
        cls.checked_on or "",
    )


def _note_row(entry: Jurisdiction, note: JurisdictionNote) -> tuple[str, ...]:
    obligation = f"note: {note.obligation}"
    if note.verify:
        obligation += f"<br>**verify:** {note.verify}"
    return (entry.code, obligation, "none", note.trigger, note.citation, "", note.checked_on)


def render(catalogue: Catalogue) -> str:
    rows = []
    for entry in catalogue.jurisdictions.values():
        rows += [_class_row(entry, cls) for cls in entry.content_classes.values()]
        rows += [_note_row(entry, note) for note in entry.notes]
    lines = [HEADER, "| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    notes = [(entry.code, entry.verify) for entry in catalogue.jurisdictions.values() if entry.verify]
    if notes:
        lines += ["", "## Open questions per jurisdiction", ""]
        lines += [f"- **{code}** verify: {text}" for code, text in notes]
    return "\n".join(lines) + "\n"


def main() -> int:
    sys.stdout.write(render(default_catalogue()))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
