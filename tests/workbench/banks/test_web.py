"""The bank pages: permissions, CSRF, escaping, adding and managing entries, imports, compare."""

from __future__ import annotations

import io
import re

from sqlalchemy import func, select

from classifiers.hashing.compute import hash_image
from tests.support.auth import csrf_token_from
from tests.workbench.banks.pictures import near_duplicate, picture
from workbench import settings as workbench_settings
from workbench.extensions import db
from workbench.models import AuditEvent, BankEntry, Blob, HashBank

PDQ_A = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
PDQ_B = "e64cc9d91c623882f8d1f1d9a398e78c9f199b3bd83924f2b7e11e0bf861b064"


def token(client, path: str = "/banks/new") -> str:
    return csrf_token_from(client.get(path).get_data(as_text=True))


def create_bank(client, name: str = "web-bank", **fields) -> int:
    data = {
        "name": name,
        "kind": "spam",
        "description": "",
        "enabled": "y",
        "pdq_threshold": "31",
        "phash_threshold": "8",
        "dhash_threshold": "8",
        "csrf_token": token(client),
        **fields,
    }
    response = client.post("/banks/new", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rstrip("/").split("/")[-1])


def entries(app, bank_id: int) -> list[BankEntry]:
    with app.app_context():
        return list(db.session.scalars(select(BankEntry).where(BankEntry.bank_id == bank_id).order_by(BankEntry.id)))


def test_bank_pages_need_login(client):
    for path in ("/banks/", "/banks/new", "/banks/compare", "/banks/1"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_moderator_may_not_see_banks(auth, client):
    auth.login("moderator")
    for path in ("/banks/", "/banks/new", "/banks/compare"):
        assert client.get(path).status_code == 403
    assert "Hash banks" not in client.get("/").get_data(as_text=True)


def test_read_only_roles_see_but_cannot_change(app, auth, client):
    auth.login("admin", username="boss")
    bank_id = create_bank(client)
    client.post("/logout", data={"csrf_token": token(client, "/banks/")})
    auth.login("senior_moderator")
    page = client.get(f"/banks/{bank_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "web-bank" in html and "Add hashes" not in html and "Edit bank" not in html
    assert client.get("/banks/new").status_code == 403
    assert client.get(f"/banks/{bank_id}/export?format=hma_csv").status_code == 403
    response = client.post(
        f"/banks/{bank_id}/entries/paste",
        data={"hashes": PDQ_A, "algorithm": "pdq", "csrf_token": token(client, "/banks/compare")},
    )
    assert response.status_code == 403
    assert entries(app, bank_id) == []


def test_admin_creates_a_bank_and_pastes_hashes_with_line_numbered_errors(app, auth, client):
    auth.login("admin")
    bank_id = create_bank(client, description="Known spam pictures\nsecond line")
    page_token = token(client, f"/banks/{bank_id}")
    bad = client.post(
        f"/banks/{bank_id}/entries/paste",
        data={"algorithm": "pdq", "hashes": f"{PDQ_A}\nnot-a-hash\n\nmd5 1234", "csrf_token": page_token},
    )
    assert bad.status_code == 400
    html = bad.get_data(as_text=True)
    assert "line 2: pdq hash must be 64 hex characters" in html and "line 4: md5 hash" in html
    assert "Nothing was added" in html and entries(app, bank_id) == []

    good = client.post(
        f"/banks/{bank_id}/entries/paste",
        data={
            "algorithm": "pdq",
            "hashes": f"{PDQ_A}\n{PDQ_B.upper()}\nmd5 d41d8cd98f00b204e9800998ecf8427e",
            "note": "from a partner",
            "source": "partner list",
            "csrf_token": page_token,
        },
    )
    assert good.status_code == 302
    assert [(e.algorithm, e.value, e.note) for e in entries(app, bank_id)] == [
        ("pdq", PDQ_A, "from a partner"),
        ("pdq", PDQ_B, "from a partner"),
        ("md5", "d41d8cd98f00b204e9800998ecf8427e", "from a partner"),
    ]
    again = client.post(
        f"/banks/{bank_id}/entries/paste",
        data={"algorithm": "pdq", "hashes": PDQ_A, "csrf_token": page_token},
        follow_redirects=True,
    )
    assert "0 hash(es) added, 1 already in the bank" in again.get_data(as_text=True)
    with app.app_context():
        actions = list(db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "hash_bank")))
    assert actions == ["bank.created", "bank.entries_added"]


def test_search_and_pagination(app, auth, client):
    auth.login("admin")
    bank_id = create_bank(client)
    hashes = "\n".join(f"{i:016x}" for i in range(1, 61))
    client.post(
        f"/banks/{bank_id}/entries/paste",
        data={
            "algorithm": "phash",
            "hashes": hashes,
            "note": "batch",
            "csrf_token": token(client, f"/banks/{bank_id}"),
        },
    )
    first = client.get(f"/banks/{bank_id}").get_data(as_text=True)
    assert "60 matching entries" in first and "000000000000003c" in first and "0000000000000001" not in first
    older = re.search(r'href="([^"]*before=\d+[^"]*)"', first).group(1).replace("&amp;", "&")
    second = client.get(older).get_data(as_text=True)
    assert "0000000000000001" in second and "000000000000003c" not in second
    by_prefix = client.get(f"/banks/{bank_id}?q=000000000000003").get_data(as_text=True)
    assert "13 matching entries" in by_prefix  # 0x30 .. 0x3c
    assert "1 matching entry," in client.get(f"/banks/{bank_id}?q=0000000000000011&algorithm=phash").get_data(
        as_text=True
    )
    assert "0 matching entries" in client.get(f"/banks/{bank_id}?q=0000000000000011&algorithm=pdq").get_data(
        as_text=True
    )
    assert "60 matching entries" in client.get(f"/banks/{bank_id}?q=BATCH").get_data(as_text=True)
    assert "0 matching entries" in client.get(f"/banks/{bank_id}?q=batch&status=disabled").get_data(as_text=True)


def test_a_hostile_note_is_escaped(app, auth, client):
    auth.login("admin")
    bank_id = create_bank(client, name="<img src=x onerror=alert(1)>")
    payload = '<script>alert("x")</script>'
    client.post(
        f"/banks/{bank_id}/entries/paste",
        data={
            "algorithm": "pdq",
            "hashes": PDQ_A,
            "note": payload,
            "source": payload,
            "csrf_token": token(client, f"/banks/{bank_id}"),
        },
    )
    for path in (f"/banks/{bank_id}", "/banks/"):
        html = client.get(path).get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert" in client.get(f"/banks/{bank_id}").get_data(as_text=True)


def test_forms_refuse_a_missing_csrf_token(app, auth, client):
    auth.login("admin")
    bank_id = create_bank(client)
    client.post(
        f"/banks/{bank_id}/entries/paste",
        data={"algorithm": "pdq", "hashes": PDQ_A, "csrf_token": token(client, f"/banks/{bank_id}")},
    )
    entry_id = entries(app, bank_id)[0].id
    attempts = [
        (
            "/banks/new",
            {"name": "no-token", "kind": "spam", "pdq_threshold": "31", "phash_threshold": "8", "dhash_threshold": "8"},
        ),
        (
            f"/banks/{bank_id}/edit",
            {"name": "renamed", "kind": "spam", "pdq_threshold": "31", "phash_threshold": "8", "dhash_threshold": "8"},
        ),
        (f"/banks/{bank_id}/entries/paste", {"algorithm": "pdq", "hashes": PDQ_B}),
        (f"/banks/{bank_id}/entries/{entry_id}/disable", {}),
        (f"/banks/{bank_id}/entries/{entry_id}/remove", {}),
        (
            f"/banks/{bank_id}/imports",
            {"format": "plain", "algorithm": "pdq", "file": (io.BytesIO(PDQ_B.encode()), "list.txt")},
        ),
    ]
    for path, data in attempts:
        assert client.post(path, data=data).status_code == 400, path
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(HashBank)) == 1
        assert db.session.get(HashBank, bank_id).name == "web-bank"
    assert [(e.value, e.disabled_at) for e in entries(app, bank_id)] == [(PDQ_A, None)]


def test_disable_enable_and_remove_an_entry(app, auth, client, banks, run_worker):
    auth.login("admin")
    bank_id = create_bank(client)
    page_token = token(client, f"/banks/{bank_id}")
    client.post(
        f"/banks/{bank_id}/entries/paste",
        data={"algorithm": "pdq", "hashes": f"{PDQ_A}\n{hash_image(picture(40)).pdq}", "csrf_token": page_token},
    )
    unused, used = [e.id for e in entries(app, bank_id)]
    assert client.post(f"/banks/{bank_id}/entries/{unused}/disable", data={"csrf_token": page_token}).status_code == 302
    assert entries(app, bank_id)[0].disabled_at is not None
    client.post(f"/banks/{bank_id}/entries/{unused}/enable", data={"csrf_token": page_token})
    assert entries(app, bank_id)[0].disabled_at is None
    client.post(f"/banks/{bank_id}/entries/{unused}/remove", data={"csrf_token": page_token})
    assert [e.id for e in entries(app, bank_id)] == [used]

    banks.upload_item(near_duplicate(40), "matched")
    run_worker()
    refused = client.post(
        f"/banks/{bank_id}/entries/{used}/remove", data={"csrf_token": page_token}, follow_redirects=True
    )
    assert "disable it instead" in refused.get_data(as_text=True)
    assert [e.id for e in entries(app, bank_id)] == [used]


def test_add_a_pictures_hashes_without_keeping_the_picture(app, auth, client):
    auth.login("admin")
    bank_id = create_bank(client)
    response = client.post(
        f"/banks/{bank_id}/entries/image",
        data={
            "image": (io.BytesIO(picture(41)), "ref.png"),
            "algorithms": ["pdq", "md5"],
            "note": "ref",
            "csrf_token": token(client, f"/banks/{bank_id}"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    expected = hash_image(picture(41))
    assert {(e.algorithm, e.value) for e in entries(app, bank_id)} == {("pdq", expected.pdq), ("md5", expected.md5)}
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Blob)) == 0
    bad = client.post(
        f"/banks/{bank_id}/entries/image",
        data={"image": (io.BytesIO(b"GIF89a not really"), "x.gif"), "csrf_token": token(client, f"/banks/{bank_id}")},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 400 and "could not be decoded" in bad.get_data(as_text=True)


def test_compare_two_pictures_shows_every_distance_and_stores_nothing(app, auth, client, tmp_path):
    auth.login("senior_moderator")
    response = client.post(
        "/banks/compare",
        data={
            "image_a": (io.BytesIO(picture(42)), "a.png"),
            "image_b": (io.BytesIO(near_duplicate(42)), "b.jpg"),
            "csrf_token": token(client, "/banks/compare"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    a, b = hash_image(picture(42)), hash_image(near_duplicate(42))
    for value in (a.pdq, b.pdq, a.phash, b.dhash, a.md5, b.sha256):
        assert value in html
    from classifiers.hashing.distance import hamming_distance

    assert f"{hamming_distance(a.pdq, b.pdq)} / 256" in html
    assert html.count('<span class="on">yes</span>') == 3  # PDQ, pHash, dHash; the bytes differ
    assert 'src="data:image/png;base64,' in html
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Blob)) == 0
    import os

    blob_dir = workbench_settings.of(app).blob_dir
    assert not os.path.exists(blob_dir) or not any(
        f for _, _, files in os.walk(blob_dir) for f in files if not f.startswith(".")
    )
    missing = client.post(
        "/banks/compare",
        data={"image_a": (io.BytesIO(picture(42)), "a.png"), "csrf_token": token(client, "/banks/compare")},
        content_type="multipart/form-data",
    )
    assert missing.status_code == 400 and "choose a picture" in missing.get_data(as_text=True)
