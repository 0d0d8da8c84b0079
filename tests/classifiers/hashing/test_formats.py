"""Hash-list import/export: round trips, bad lines with line numbers, merging."""

import pytest

from classifiers.hashing import formats as f
from classifiers.hashing.signal_types import UnknownSignalTypeError, algorithm_for_signal_type

PDQ_A = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
PDQ_B = "e64cc9d91c623882f8d1f1d9a398e78c9f199b3bd83924f2b7e11e0bf861b064"
MD5_A = "d41d8cd98f00b204e9800998ecf8427e"
SHA_A = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
PHASH_A = "c2924c5532bddfc8"


def keyed(records):
    """Compare records without the line they were read from."""
    return [(r.algorithm, r.hash, r.tags, r.category, r.collab, r.descriptor_id, r.added_on) for r in records]


SAMPLE = [
    f.HashRecord("pdq", PDQ_A, tags=("terrorism", "tx:123"), category="INVESTIGATION_SEED", collab="Sample Signals"),
    f.HashRecord("pdq", PDQ_B, collab="Other, Inc."),  # comma must be quoted
    f.HashRecord("md5", MD5_A, tags=("ncii",)),
    f.HashRecord("sha256", SHA_A),
    f.HashRecord("phash", PHASH_A, category="TRUE_POSITIVE"),
]


def test_hma_csv_round_trip():
    text = f.write(SAMPLE, f.HMA_CSV)
    assert text.splitlines()[0] == "signal_type,signal_str,collab,category,tags"
    result = f.parse(text, f.HMA_CSV)
    assert result.errors == [] and result.duplicates_merged == 0
    assert keyed(result.records) == [(r.algorithm, r.hash, r.tags, r.category, r.collab, "", "") for r in SAMPLE]


def test_pytx_lines_round_trip():
    text = f.write(SAMPLE, f.PYTX_LINES)
    assert text.splitlines()[0] == f"pdq {PDQ_A}"
    result = f.parse(text, f.PYTX_LINES)
    assert result.errors == []
    assert [(r.algorithm, r.hash) for r in result.records] == [(r.algorithm, r.hash) for r in SAMPLE]


def test_te_simple_round_trip_with_filename():
    records = [
        f.HashRecord(
            "pdq", PDQ_A, tags=("a", "b"), descriptor_id="3058061737574159", added_on="2020-07-01T18:31:15+0000"
        ),
        f.HashRecord("pdq", PDQ_B, descriptor_id="42", added_on="2021-01-01T00:00:00+0000"),
    ]
    name = f.te_simple_filename("pdq")
    assert name == "simple.HASH_PDQ.te"
    text = f.write(records, f.TE_SIMPLE, algorithm="pdq")
    assert text.splitlines()[0] == f"{PDQ_A},3058061737574159,2020-07-01T18:31:15+0000,a b"
    result = f.parse(text, f.TE_SIMPLE, filename="/tmp/state/" + name)
    assert result.errors == []
    assert keyed(result.records) == keyed(records)


def test_plain_round_trip():
    records = [f.HashRecord("md5", MD5_A), f.HashRecord("md5", "0" * 32)]
    result = f.parse(f.write(records, f.PLAIN, algorithm="md5"), f.PLAIN, algorithm="md5")
    assert result.errors == [] and keyed(result.records) == keyed(records)


def test_single_algorithm_formats_refuse_mixed_records():
    with pytest.raises(f.FormatError):
        f.write(SAMPLE, f.PLAIN, algorithm="pdq")
    with pytest.raises(f.FormatError):
        f.write([f.HashRecord("phash", PHASH_A)], f.TE_SIMPLE, algorithm="phash")


def test_hma_csv_bad_lines_are_reported_with_numbers_and_reasons():
    text = "\n".join(
        [
            "signal_type,signal_str,collab,category,tags",  # 1
            f"pdq,{PDQ_A},C,INVESTIGATION_SEED,x",  # 2 ok
            f"pdq,{PDQ_A[:-1]},C,,",  # 3 short hash
            "url,https://example.com,C,,",  # 4 unsupported type
            f"pdq,{PDQ_B}",  # 5 too few columns
            "",  # 6 blank: not data
            f'"pdq,{PDQ_B},C,,',  # 7 unbalanced quote
            f"banana,{PDQ_B},C,,",  # 8 unknown type
            f"video_md5,{MD5_A.upper()},C,,",  # 9 ok, upper case normalised
        ]
    )
    result = f.parse(text, f.HMA_CSV)
    assert [(r.algorithm, r.hash, r.line) for r in result.records] == [("pdq", PDQ_A, 2), ("md5", MD5_A, 9)]
    lines = {e.line: e.reason for e in result.errors}
    assert sorted(lines) == [3, 4, 5, 7, 8]
    assert "64" in lines[3]
    assert "url" in lines[4]
    assert "columns" in lines[5]
    assert "CSV" in lines[7]
    assert "banana" in lines[8]
    assert all(e.text for e in result.errors)


def test_hma_csv_columns_found_by_name_in_any_order():
    text = f"collab,signal_type,signal_str,category,tags\r\nC,pdq,{PDQ_A},TRUE_POSITIVE,t1 t2\r\n"
    result = f.parse(text, f.HMA_CSV)
    assert keyed(result.records) == [("pdq", PDQ_A, ("t1", "t2"), "TRUE_POSITIVE", "C", "", "")]


def test_hma_csv_without_header_is_a_file_error():
    with pytest.raises(f.FormatError, match="header"):
        f.parse(f"pdq,{PDQ_A},C,,\n", f.HMA_CSV)


def test_duplicates_are_merged_and_counted():
    text = "\n".join(
        [
            "signal_type,signal_str,collab,category,tags",
            f"pdq,{PDQ_A},C1,,a",
            f"HASH_PDQ,{PDQ_A.upper()},C2,TRUE_POSITIVE,b a",
            f"pdq,{PDQ_B},C1,,",
            f"pdq,{PDQ_A},C3,,c",
        ]
    )
    result = f.parse(text, f.HMA_CSV)
    assert result.duplicates_merged == 2
    assert len(result.records) == 2
    merged = result.records[0]
    assert merged.tags == ("a", "b", "c")
    assert merged.collab == "C1" and merged.category == "TRUE_POSITIVE"
    assert merged.line == 2


def test_pytx_lines_errors():
    text = f"# comment\npdq {PDQ_A}\n\npdq\nraw_text hello\nmd5 {MD5_A} extra\nphash {PHASH_A}\n"
    result = f.parse(text, f.PYTX_LINES)
    assert [(r.algorithm, r.line) for r in result.records] == [("pdq", 2), ("phash", 7)]
    assert [e.line for e in result.errors] == [4, 5, 6]


def test_te_simple_errors_and_newer_five_column_rows():
    text = "\n".join(
        [
            f"{PDQ_A},123,2020-01-01T00:00:00+0000,a",  # 1 ok
            f"{PDQ_B},notanumber,2020-01-01,",  # 2 bad descriptor id
            f"{PDQ_B},123",  # 3 too few columns
            f"999,{PDQ_B},124,2020-02-02T00:00:00+0000,b c",  # 4 indicator id first
            "xyz,1,2020,",  # 5 bad hash
        ]
    )
    result = f.parse(text, f.TE_SIMPLE, algorithm="pdq")
    assert [(r.hash, r.descriptor_id, r.tags) for r in result.records] == [
        (PDQ_A, "123", ("a",)),
        (PDQ_B, "124", ("b", "c")),
    ]
    assert [e.line for e in result.errors] == [2, 3, 5]


def test_te_simple_needs_a_signal_type():
    with pytest.raises(f.FormatError):
        f.parse(f"{PDQ_A},1,2020,\n", f.TE_SIMPLE)
    result = f.parse(f"{MD5_A},1,2020,\n".encode(), f.TE_SIMPLE, filename="simple.HASH_MD5.te")
    assert result.records[0].algorithm == "md5"


def test_plain_reports_every_bad_line():
    text = f"{PDQ_A}\n{PDQ_A[:10]}\n\n# note\nnot-a-hash\n{PDQ_B.upper()}\n"
    result = f.parse(text, f.PLAIN, algorithm="pdq")
    assert [r.hash for r in result.records] == [PDQ_A, PDQ_B]
    assert [e.line for e in result.errors] == [2, 5]
    with pytest.raises(f.FormatError):
        f.parse(text, f.PLAIN)
    with pytest.raises(f.FormatError):
        f.parse(text, f.PLAIN, algorithm="sha1")


def test_non_utf8_bytes_and_unknown_format_are_file_errors():
    with pytest.raises(f.FormatError, match="UTF-8"):
        f.parse(b"\xff\xfe\x00bad", f.PLAIN, algorithm="pdq")
    with pytest.raises(f.FormatError):
        f.parse("", "xml")


def test_bom_is_ignored():
    result = f.parse((f"\ufeffsignal_type,signal_str,collab,category,tags\npdq,{PDQ_A},,,\n").encode(), f.HMA_CSV)
    assert result.errors == [] and len(result.records) == 1


@pytest.mark.parametrize(
    "name, algorithm",
    [
        ("pdq", "pdq"),
        ("HASH_PDQ", "pdq"),
        ("md5", "md5"),
        ("HASH_MD5", "md5"),
        ("video_md5", "md5"),
        ("VIDEO_HASH_MD5", "md5"),
        ("sha256", "sha256"),
        ("phash", "phash"),
        ("dhash", "dhash"),
    ],
)
def test_signal_type_names(name, algorithm):
    assert algorithm_for_signal_type(name) == algorithm


def test_unknown_signal_type_is_a_named_error():
    with pytest.raises(UnknownSignalTypeError):
        algorithm_for_signal_type("url_md5")


def test_detect_format():
    assert f.detect_format("signal_type,signal_str,collab,category,tags\n") == f.HMA_CSV
    assert f.detect_format(f"pdq {PDQ_A}\n") == f.PYTX_LINES
    assert f.detect_format(f"{PDQ_A},1,2020,\n") == f.TE_SIMPLE
    assert f.detect_format(f"# x\n{PDQ_A}\n") == f.PLAIN
    assert f.detect_format("anything", filename="simple.HASH_PDQ.te") == f.TE_SIMPLE
