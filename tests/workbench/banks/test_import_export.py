"""Hash-list import and export: every format round-trips through a bank, bad lines are kept
with their numbers, duplicates are merged, chunks commit on their own and a rerun resumes."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from classifiers.hashing import formats
from classifiers.hashing.compute import hash_image
from tests.workbench.banks.conftest import matches_of
from tests.workbench.banks.pictures import near_duplicate, picture
from workbench import settings as workbench_settings
from workbench.extensions import db, get_redis
from workbench.jobs.bank_imports import import_store
from workbench.models import BankEntry, BankImport, BankImportError, HashBank
from workbench.services.banks.imports import run_import

PDQ = [
    "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22",
    "e64cc9d91c623882f8d1f1d9a398e78c9f199b3bd83924f2b7e11e0bf861b064",
    "0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f",
]
MD5 = "d41d8cd98f00b204e9800998ecf8427e"
SHA = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
PHASH, DHASH = "c2924c5532bddfc8", "00ff00ff00ff00ff"


def keyed(records):
    return [(r.algorithm, r.hash, r.tags, r.category, r.collab, r.descriptor_id, r.added_on) for r in records]


def cli(app, *args):
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def bank(app):
    cli(app, "banks", "create", "shared-list", "--kind", "terrorism")
    return "shared-list"


SAMPLES = {
    formats.HMA_CSV: (
        None,
        [
            formats.HashRecord(
                "pdq", PDQ[0], tags=("terrorism", "tx:123"), category="INVESTIGATION_SEED", collab="GIFCT"
            ),
            formats.HashRecord("pdq", PDQ[1], collab="Other, Inc."),
            formats.HashRecord("md5", MD5, tags=("ncii",), collab="GIFCT"),
            formats.HashRecord("sha256", SHA, collab="GIFCT"),
            formats.HashRecord("phash", PHASH, category="TRUE_POSITIVE", collab="GIFCT"),
            formats.HashRecord("dhash", DHASH, collab="GIFCT"),
        ],
    ),
    formats.PYTX_LINES: (
        None,
        [
            formats.HashRecord(a, v)
            for a, v in (("pdq", PDQ[0]), ("md5", MD5), ("sha256", SHA), ("phash", PHASH), ("dhash", DHASH))
        ],
    ),
    formats.TE_SIMPLE: (
        "pdq",
        [
            formats.HashRecord(
                "pdq", PDQ[0], tags=("a", "b"), descriptor_id="1234", added_on="2020-07-31T18:47:45+0000"
            ),
            formats.HashRecord("pdq", PDQ[1], descriptor_id="99", added_on="2021-01-01T00:00:00+0000"),
        ],
    ),
    formats.PLAIN: ("pdq", [formats.HashRecord("pdq", value) for value in PDQ]),
}


@pytest.mark.parametrize("fmt", formats.FORMATS)
def test_each_format_round_trips_through_import_and_export(app, bank, tmp_path, fmt):
    algorithm, records = SAMPLES[fmt]
    name = formats.te_simple_filename("pdq") if fmt == formats.TE_SIMPLE else f"list.{fmt}"
    path = tmp_path / name
    path.write_text(formats.write(records, fmt, algorithm))
    args = ["banks", "import", bank, str(path), "--format", fmt, "--source", "partner"]
    if fmt == formats.PLAIN:
        args += ["--algorithm", "pdq"]
    output = cli(app, *args)
    assert f"{len(records)} added, 0 duplicates merged, 0 already in the bank, 0 bad lines" in output

    out = tmp_path / "exported"
    export_args = ["banks", "export", bank, "--format", fmt, "--out", str(out)]
    if algorithm:
        export_args += ["--algorithm", algorithm]
    cli(app, *export_args)
    exported = formats.parse(out.read_text(), fmt, algorithm=algorithm, filename=name)
    assert exported.errors == []
    expected = keyed(records)
    if fmt in (formats.PYTX_LINES, formats.PLAIN):  # these formats carry the hash alone
        expected = [(a, h, (), "", "", "", "") for a, h, *_ in expected]
        assert [k[:2] for k in keyed(exported.records)] == [k[:2] for k in expected]
    else:
        assert keyed(exported.records) == expected
    with app.app_context():  # where the file named no source, the import's label stands in
        sources = set(db.session.scalars(select(BankEntry.source)))
    assert sources <= {"GIFCT", "Other, Inc.", "partner"}


def test_bad_lines_are_reported_with_line_numbers_and_duplicates_merged(app, bank, tmp_path):
    workbench_settings.update(app, WORKBENCH_IMPORT_CHUNK_LINES=3)  # so a duplicate falls in a later chunk
    text = (
        "\n".join(
            [
                "signal_type,signal_str,collab,category,tags",  # 1
                f"pdq,{PDQ[0]},c,,one",  # 2
                "pdq,not-hex,c,,",  # 3 bad hash
                "",  # 4 blank
                f"url,{PDQ[1]},c,,",  # 5 not an image hash
                f"pdq,{PDQ[0]},c,,two",  # 6 duplicate of 2 (another chunk)
                f'pdq,"{PDQ[1]},c,,',  # 7 unbalanced quote
                f"md5,{MD5},c,,",  # 8
                f"md5,{MD5.upper()},c,,",  # 9 duplicate of 8 (same chunk)
                f"pdq,{PDQ[2]},c",  # 10 too few columns
            ]
        )
        + "\n"
    )
    path = tmp_path / "list.csv"
    path.write_text(text)
    output = cli(app, "banks", "import", bank, str(path), "--format", "hma_csv")
    assert "2 added, 2 duplicates merged, 0 already in the bank, 4 bad lines" in output
    assert "line 3: pdq hash" in output and "line 5: signal type 'url'" in output
    assert "line 7: " in output and "line 10: expected 5 columns, found 3" in output
    with app.app_context():
        errors = db.session.execute(
            select(BankImportError.line, BankImportError.reason).order_by(BankImportError.line)
        ).all()
        assert [line for line, _ in errors] == [3, 5, 7, 10]
        entry = db.session.scalar(select(BankEntry).where(BankEntry.value == PDQ[0]))
        assert entry.tags == "one two"  # merged across chunks
        bank_import = db.session.scalar(select(BankImport))
        assert (bank_import.status, bank_import.lines_done, bank_import.total_lines) == ("done", 10, 10)

    # The same file again: nothing is added twice. Each line whose hash the bank had before
    # this import counts as already present (lines 2, 6, 8); line 9 merges into line 8 in its chunk.
    again = cli(app, "banks", "import", bank, str(path), "--format", "hma_csv")
    assert "0 added, 1 duplicates merged, 3 already in the bank, 4 bad lines" in again


def test_an_interrupted_import_resumes_where_it_stopped(app, bank, tmp_path):
    from workbench.audit import Actor
    from workbench.services.banks.banks import find_bank
    from workbench.services.banks.imports import create_import

    lines = [f"{i:064x}" for i in range(1, 11)] + ["zz", f"{3:064x}"]
    with app.app_context():
        target = find_bank(db.session, bank)
        bank_import = create_import(
            db.session,
            target,
            io.BytesIO("\n".join(lines).encode()),
            filename="l.txt",
            fmt="plain",
            algorithm="pdq",
            source="",
            actor=Actor.system("tests"),
            store=import_store(app),
            max_bytes=10**6,
        )
        calls = []

        def crash_after_two_chunks(state):
            calls.append(state.lines_done)
            if len(calls) == 2:
                raise RuntimeError("worker killed")

        with pytest.raises(RuntimeError):
            run_import(db.session, bank_import.id, import_store(app), chunk_lines=3, progress=crash_after_two_chunks)
        db.session.rollback()
        half = db.session.get(BankImport, bank_import.id)
        assert (half.status, half.lines_done, half.added) == ("running", 6, 6)
        done = run_import(db.session, bank_import.id, import_store(app), chunk_lines=3)
        assert (done.status, done.lines_done, done.added, done.duplicates_merged, done.error_count) == (
            "done",
            12,
            10,
            1,
            1,
        )
        assert done.attempts == 2
        assert db.session.scalar(select(func.count()).select_from(BankEntry)) == 10
        assert run_import(db.session, bank_import.id, import_store(app), chunk_lines=3).added == 10  # final: no-op


def test_a_large_upload_runs_as_a_job_on_the_import_queue_and_then_matches(app, auth, client, banks, run_worker):
    from rq import Queue

    from tests.support.auth import csrf_token_from

    workbench_settings.update(app, WORKBENCH_IMPORT_CHUNK_LINES=4)
    auth.login("admin")
    bank_id = banks.create("uploaded")["id"]
    wanted = hash_image(picture(50))
    text = (
        "\n".join(
            ["# a list from a partner", f"pdq {wanted.pdq}", f"phash {wanted.phash}", "bogus line here"]
            + [f"pdq {i:064x}" for i in range(1, 8)]
        )
        + "\n"
    )
    page = client.get(f"/banks/{bank_id}").get_data(as_text=True)
    response = client.post(
        f"/banks/{bank_id}/imports",
        data={
            "file": (io.BytesIO(text.encode()), "partner.txt"),
            "format": "auto",
            "algorithm": "",
            "source": "partner",
            "csrf_token": csrf_token_from(page),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    import_url = response.headers["Location"]
    with app.app_context():
        assert Queue(workbench_settings.of(app).import_queue, connection=get_redis()).count == 1
    queued = client.get(import_url)
    assert "queued" in queued.get_data(as_text=True) and "bank_import.js" in queued.get_data(as_text=True)
    assert client.get(import_url + "/status.json").json["status"] == "queued"

    run_worker()  # the default worker also drains the import queue
    status = client.get(import_url + "/status.json").json
    assert status == {
        "status": "done",
        "percent": 100,
        "lines_done": 11,
        "total_lines": 11,
        "added": 9,
        "already_present": 0,
        "duplicates_merged": 0,
        "bad_lines": 1,
        "final": True,
        "error": None,
    }
    html = client.get(import_url).get_data(as_text=True)
    assert "<td>4</td><td>expected &#39;&lt;signal_type&gt; &lt;signal&gt;&#39;, found 3 fields</td>" in html

    item = banks.upload_item(near_duplicate(50), "near")
    run_worker()
    assert {m[0] for m in matches_of(app, item)} == {"pdq", "phash"}


def test_imports_over_the_api(app, api, banks):
    bank_id = banks.create("api-list")["id"]
    body = f"signal_type,signal_str,collab,category,tags\npdq,{PDQ[0]},x,,t1\npdq,bad,x,,\n"
    response = api.client.post(
        f"/api/v1/banks/{bank_id}/imports",
        headers=api.headers,
        content_type="multipart/form-data",
        data={"file": (io.BytesIO(body.encode()), "l.csv"), "format": "hma_csv"},
    )
    assert response.status_code == 201, response.json
    document = response.json
    assert (document["status"], document["added"], document["bad_lines"]) == ("done", 1, 1)
    details = api.get(f"/banks/{bank_id}/imports/{document['id']}").json
    assert details["errors"] == [
        {"line": 3, "reason": "pdq hash must be 64 hex characters, got 3", "content": "pdq,bad,x,,"}
    ]
    bad_header = api.client.post(
        f"/api/v1/banks/{bank_id}/imports",
        headers=api.headers,
        content_type="multipart/form-data",
        data={"file": (io.BytesIO(b"hash,x\n"), "l.csv"), "format": "hma_csv"},
    )
    assert bad_header.status_code == 400 and bad_header.json["error"]["code"] == "invalid_format"
    plain = api.client.post(
        f"/api/v1/banks/{bank_id}/imports",
        headers=api.headers,
        content_type="multipart/form-data",
        data={"file": (io.BytesIO(PDQ[1].encode()), "l.txt"), "format": "plain"},
    )
    assert plain.status_code == 400 and plain.json["error"]["field"] == "algorithm"


def test_export_leaves_out_disabled_entries_and_needs_one_algorithm_for_single_algorithm_formats(app, api, banks):
    bank_id = banks.create("exported")["id"]
    added = banks.add(bank_id, ("pdq", PDQ[0]), ("pdq", PDQ[1]), ("md5", MD5))["added"]
    banks.patch(f"/banks/{bank_id}/entries/{added[1]['id']}", {"enabled": False})
    response = api.get(f"/banks/{bank_id}/export?format=pytx_lines")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    assert response.get_data(as_text=True) == f"pdq {PDQ[0]}\nvideo_md5 {MD5}\n"
    everything = api.get(f"/banks/{bank_id}/export?format=pytx_lines&include_disabled=true").get_data(as_text=True)
    assert PDQ[1] in everything
    mixed = api.get(f"/banks/{bank_id}/export?format=plain")
    assert mixed.status_code == 400 and mixed.json["error"]["field"] == "algorithm"
    simple = api.get(f"/banks/{bank_id}/export?format=te_simple&algorithm=pdq")
    assert 'filename="simple.HASH_PDQ.te"' in simple.headers["Content-Disposition"]
    assert simple.get_data(as_text=True).startswith(f"{PDQ[0]},,")
    assert api.get(f"/banks/{bank_id}/export?format=te_simple&algorithm=phash").status_code == 400
    with app.app_context():
        assert db.session.scalar(select(HashBank.name)) == "exported"
