"""CSV cells a spreadsheet would run as formulas are written quoted, and read back unchanged."""

import csv

import pytest

from classifiers.hashing import formats as f

PDQ_A = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
PDQ_B = "e64cc9d91c623882f8d1f1d9a398e78c9f199b3bd83924f2b7e11e0bf861b064"
TRICKY = ["", "x", "=1+1", "+1", "-1", "@SUM(A1)", "\tx", "'", "'x", "'=1", "''=1", "'\t", "a=b", "=", "'''"]


@pytest.mark.parametrize("cell", TRICKY)
def test_unescape_undoes_escape_for_every_string(cell):
    escaped = f.escape_cell(cell)
    assert f.unescape_cell(escaped) == cell
    assert not escaped.startswith(("=", "+", "-", "@", "\t", "\r"))


def test_written_csv_starts_no_cell_with_a_formula_and_parses_back():
    hma = [
        f.HashRecord("pdq", PDQ_A, tags=('=HYPERLINK("http://x")', "b"), category="@cat", collab="+c"),
        f.HashRecord("pdq", PDQ_B, tags=("'=quoted",), collab="-x"),
    ]
    simple = [
        f.HashRecord("pdq", PDQ_A, tags=("-t",), descriptor_id="1", added_on="2020-01-01T00:00:00+0000"),
        f.HashRecord("pdq", PDQ_B, tags=("@t", "u"), descriptor_id="2", added_on=""),
    ]
    for records, fmt in ((hma, f.HMA_CSV), (simple, f.TE_SIMPLE)):
        text = f.write(records, fmt, "pdq")
        cells = [cell for row in csv.reader(text.splitlines()) for cell in row]
        assert not [cell for cell in cells if cell.startswith(("=", "+", "-", "@", "\t", "\r"))], fmt
        parsed = f.parse(text, fmt, algorithm="pdq")
        assert parsed.errors == []
        assert [(r.tags, r.category, r.collab, r.descriptor_id, r.added_on) for r in parsed.records] == [
            (r.tags, r.category, r.collab, r.descriptor_id, r.added_on) for r in records
        ]
