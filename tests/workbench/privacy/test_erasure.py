"""GDPR erasure and subject access: data gone everywhere, audit chain still verifies."""

from __future__ import annotations

import hashlib
import os

from sqlalchemy import String, Text, select

from tests.support.appeals_qa import client_of
from tests.support.auth import csrf_token_from
from tests.support.factories import image_bytes, text_item
from workbench import settings as workbench_settings
from workbench.audit import Actor
from workbench.audit.checkpoints import create_checkpoint, verify_log
from workbench.audit.keys import signer_key
from workbench.extensions import db
from workbench.models import ErasureRequest, HashBank, HashMatch, Item
from workbench.services.blobstore import BlobStore
from workbench.services.privacy.erasure import erase_person
from workbench.services.privacy.holds import place_bank_match_holds
from workbench.services.privacy.subject_access import subject_access_export

SECRET_TEXT = "Meine Telefonnummer ist 0171 5550199"
REPORTER = {"id": "reporter-7", "name": "Erika Mustermann", "email": "erika@example.org"}


def all_text_in_database(app) -> str:
    """Every string column of every row of every table, concatenated."""
    chunks = []
    with app.app_context():
        for table in db.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, (String, Text))]
            if columns:
                for row in db.session.execute(select(*columns)).all():
                    chunks.extend(str(value) for value in row if value is not None)
        db.session.rollback()
    return "\n".join(chunks)


def blob_files(app) -> set[str]:
    root = workbench_settings.of(app).blob_dir
    return {name for folder, _, names in os.walk(root) if ".locks" not in folder for name in names}


def seed_person(api, image: bytes):
    text_id = api.post_json("/items", text_item("t1", author_id="person-1", text=SECRET_TEXT)).json["id"]
    image_id = api.post_image(image, external_id="i1", author_id="person-1", country="DE").json["id"]
    other_id = api.post_json("/items", text_item("o1", author_id="someone-else", text="unrelated")).json["id"]
    api.post_json("/reports", {"item_id": other_id, "source": "user", "category": "harassment", "reporter": REPORTER})
    return text_id, image_id, other_id


def erase(app, client_id: int, **who):
    with app.app_context():
        return erase_person(
            db.session,
            actor=Actor.system("test"),
            pseudonym_key=workbench_settings.of(app).pseudonym_key,
            blob_store=BlobStore(workbench_settings.of(app).blob_dir),
            client_id=client_id,
            export_dir=workbench_settings.of(app).export_dir,
            **who,
        )


def test_erasure_leaves_no_trace_and_a_verifying_chain(app, api, run_worker):
    image = image_bytes("PNG", color=(1, 2, 3))
    text_id, image_id, other_id = seed_person(api, image)
    run_worker()
    with app.app_context():
        create_checkpoint(db.session, signer_key())
    sha = hashlib.sha256(image).hexdigest()
    assert SECRET_TEXT in all_text_in_database(app) and sha in blob_files(app)

    outcome = erase(app, client_of(app, api), platform_user_id="person-1")
    assert (outcome.items_erased, len(outcome.blobs_purged), outcome.held) == (2, 1, [])
    outcome_email = erase(app, client_of(app, api), email=REPORTER["email"])
    assert outcome_email.contacts_erased == 1

    everything = all_text_in_database(app)
    for secret in (SECRET_TEXT, sha, REPORTER["name"], REPORTER["email"]):
        assert secret not in everything
    assert sha not in blob_files(app)
    with app.app_context():
        assert db.session.get(Item, other_id).text == "unrelated"  # other people untouched
        assert db.session.get(Item, text_id).erased_at is not None
        assert verify_log(db.session, signer_key()).ok
        assert len(db.session.scalars(select(ErasureRequest)).all()) == 2
    assert api.get(f"/items/{image_id}").json["blob"] is None


def test_a_shared_blob_stays_for_the_other_person(app, api):
    image = image_bytes("PNG", color=(9, 9, 9))
    api.post_image(image, external_id="a", author_id="person-1", country="DE")
    api.post_image(image, external_id="b", author_id="person-2", country="DE")
    outcome = erase(app, client_of(app, api), platform_user_id="person-1")
    assert outcome.items_erased == 1 and outcome.blobs_purged == []
    assert hashlib.sha256(image).hexdigest() in blob_files(app)


def test_content_under_an_evidence_hold_is_kept(app, api):
    item_id = api.post_json("/items", text_item("held", author_id="person-1", text=SECRET_TEXT)).json["id"]
    with app.app_context():
        bank = HashBank(name="ncmec", kind="csam")
        db.session.add(bank)
        db.session.flush()
        from workbench.models import BankEntry

        entry = BankEntry(bank_id=bank.id, algorithm="md5", value="0" * 32)
        db.session.add(entry)
        db.session.flush()
        db.session.add(HashMatch(item_id=item_id, bank_id=bank.id, entry_id=entry.id, algorithm="md5", distance=0))
        place_bank_match_holds(db.session, db.session.get(Item, item_id), ["csam"])  # as the hash stage does
        db.session.commit()
    outcome = erase(app, client_of(app, api), platform_user_id="person-1")
    assert outcome.items_erased == 0
    assert [hold["item_id"] for hold in outcome.held] == [item_id]
    assert "2258A" in outcome.held[0]["reason"]
    assert SECRET_TEXT in all_text_in_database(app)


def test_subject_access_export_has_everything_about_the_person(app, api, run_worker):
    text_id, image_id, other_id = seed_person(api, image_bytes("PNG"))
    run_worker()
    with app.app_context():
        document = subject_access_export(
            db.session,
            pseudonym_key=workbench_settings.of(app).pseudonym_key,
            client_id=client_of(app, api),
            platform_user_id="person-1",
        )
        reporter = subject_access_export(
            db.session,
            pseudonym_key=workbench_settings.of(app).pseudonym_key,
            client_id=client_of(app, api),
            platform_user_id=REPORTER["id"],
        )
    assert [i["id"] for i in document["items"]] == [text_id, image_id]
    assert document["items"][0]["text"] == SECRET_TEXT
    assert {h["algorithm"] for h in document["items"][0]["hashes"]} >= {"text_sha256"}
    assert document["reports_made"] == []
    assert reporter["items"] == [] and reporter["reports_made"][0]["contact"]["email"] == REPORTER["email"]


def test_admin_page_erases_and_others_are_refused(app, api, auth, client):
    api.post_json("/items", text_item("t1", author_id="person-1", text=SECRET_TEXT))
    auth.login("moderator", username="mod")
    assert client.get("/admin/privacy/").status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token_from(client.get("/").get_data(as_text=True))})
    auth.login("admin")
    page = client.get("/admin/privacy/")
    token = csrf_token_from(page.get_data(as_text=True))
    platform = str(client_of(app, api))
    assert client.post("/admin/privacy/", data={"client_id": platform, "user_id": "person-1"}).status_code == 400
    response = client.post("/admin/privacy/", data={"client_id": platform, "user_id": "person-1", "csrf_token": token})
    assert response.status_code == 200 and "1 item(s) erased" in response.get_data(as_text=True)
    assert SECRET_TEXT not in all_text_in_database(app)
    empty = client.post("/admin/privacy/", data={"client_id": platform, "csrf_token": token})
    assert empty.status_code == 400 and "Give a platform user id" in empty.get_data(as_text=True)


def test_the_retention_job_finishes_an_erasure_once_the_hold_ends(app, api):
    from datetime import timedelta

    from workbench.models import AuditEvent, EvidenceHold
    from workbench.services.privacy.retention import run_retention_round

    test_content_under_an_evidence_hold_is_kept(app, api)
    with app.app_context():
        run_retention_round(db.session, workbench_settings.of(app))  # the 1-year hold still runs: nothing changes
        assert SECRET_TEXT in all_text_in_database(app)
        item = db.session.scalar(select(Item))
        for hold in db.session.scalars(select(EvidenceHold)):  # a year later
            hold.ends_at = hold.ends_at - timedelta(days=366)
        db.session.commit()
        run_retention_round(db.session, workbench_settings.of(app))
        request = db.session.scalar(select(ErasureRequest))
        assert (request.held, request.items_erased) == ("[]", 1)
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "item.content_erased")).all()
        assert [event.object_id for event in events] == [str(item.id)]
        assert verify_log(db.session, signer_key()).ok
    assert SECRET_TEXT not in all_text_in_database(app)
