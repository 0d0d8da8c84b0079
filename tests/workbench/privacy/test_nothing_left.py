"""After an erasure, and after retention, nothing of the person is left anywhere (issue 16,
finding 9): a unique marker is planted in every field a person or a moderator can fill about
them (item text, notices and appeals they sent, the reasons moderators wrote while deciding,
the explanation that quotes the content, the reply to the appeal, QA notes) and it reaches
the webhook outbox and a statement-of-reasons export; a unique image and video give known
hashes (file SHA-256 and MD5, PDQ, vPDQ frames). Afterwards every column of every table
(reflected, cast to text), every file under the instance folder (inside zips too) and the
whole Redis keyspace (keys and values) are searched for all of them. The classify stage runs
(NudeNet), so the video also gets the case page's frame thumbnails: pictures, not text, so the
test looks for their rows.
"""

from __future__ import annotations

import hashlib
import io
import os
import uuid
import zipfile
from datetime import date

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import LargeBinary, MetaData, String, cast, func, select

from tests.support.appeals_qa import appeal_body, client_of, set_webhook, staff
from tests.support.auth import csrf_token_from
from tests.support.images import encode
from tests.workbench.privacy.test_platform_pseudonyms import open_case
from tests.workbench.review.helpers import publish_default_packs, user
from workbench import settings as workbench_settings
from workbench.audit import Actor
from workbench.extensions import db, get_redis
from workbench.models import Item, ItemHash
from workbench.models.frame_thumbnail import ItemFrameThumbnail
from workbench.models.media import ItemVideoFrame
from workbench.services.privacy.pseudonyms import pseudonymise

pytestmark = pytest.mark.slow  # the real pipeline on an image and a video, exports, then a full search


def unique_image(seed: int) -> bytes:
    pixels = np.random.default_rng(seed).integers(0, 256, (96, 128, 3), dtype=np.uint8)
    return encode(Image.fromarray(pixels), "PNG")


def unique_video(seed: int) -> bytes:
    from classifiers.video.synthetic import make_clip

    return make_clip(seed, duration_s=2.0, width=160, height=120, fps=8)


def post_video(api, data: bytes, **fields):
    form = {key: str(value) for key, value in fields.items()}
    form["video"] = (io.BytesIO(data), "clip.mp4")
    return api.client.post("/api/v1/items", data=form, content_type="multipart/form-data", headers=api.headers)


def plant(app, api, run_worker, marker: str) -> dict:
    """Everything a person leaves, marked. Returns the needles and the ids of the person's items."""
    from workbench.audit.keys import signer_key
    from workbench.models import QaSample
    from workbench.services.appeals.decisions import decide_appeal
    from workbench.services.exports.runs import request_export, run_export
    from workbench.services.qa.reviews import QaReview, review_sample
    from workbench.services.review import case_actions, claims
    from workbench.services.review.decisions import decide_case

    publish_default_packs(app)
    workbench_settings.update(app, WORKBENCH_QA_SAMPLE_RATE=1.0)  # every decision goes to QA
    workbench_settings.update(app, WORKBENCH_CLASSIFIERS="nudenet")  # it keeps thumbnails of a video's frames
    client_id = client_of(app, api)
    set_webhook(app, client_id)
    person = f"person-{marker}"
    email = f"{marker}@mail.example"
    text = f"Call me on 0171 5550199, {marker} here"
    image, video = unique_image(len(marker)), unique_video(len(marker) + 1)

    text_id = api.post_json(
        "/items", {"external_id": f"t-{marker[:8]}", "author_id": person, "country": "DE", "text": text}
    ).json["id"]
    image_id = api.post_image(image, external_id=f"i-{marker[:8]}", author_id=person, country="DE").json["id"]
    response = post_video(api, video, external_id=f"v-{marker[:8]}", author_id=person, country="DE")
    assert response.status_code == 201, response.get_json()
    video_id = response.get_json()["id"]
    other_id = api.post_json(
        "/items",
        {"external_id": f"o-{marker[:8]}", "author_id": "someone-else", "country": "DE", "text": "an unrelated post"},
    ).json["id"]
    # A notice about the person's post quoting it, and one the person sent about someone else's.
    api.post_json(
        "/reports",
        {"item_id": text_id, "source": "user", "category": "harassment", "explanation": f"They wrote '{text}'"},
    )
    api.post_json(
        "/reports",
        {
            "item_id": other_id,
            "source": "user",
            "category": "spam",
            "explanation": f"reported by {marker}",
            "reporter": {"id": person, "name": f"Name {marker}", "email": email},
        },
    )
    run_worker()

    # Moderators: a hold and an escalation reason, a decision quoting the content, a QA note.
    moderator, senior, reviewer = (
        user(app, f"mod-{marker[:6]}"),
        staff(app, f"sen-{marker[:6]}"),
        staff(app, f"qa-{marker[:6]}"),
    )
    case_id = open_case(app, text_id)
    with app.app_context():
        claims.claim_next(db.session, moderator, settings=workbench_settings.current())
        case_actions.hold(
            db.session, case_id, moderator, f"asking about {marker}", settings=workbench_settings.current()
        )
        case_actions.escalate(db.session, case_id, moderator, f"escalating {marker}")
        claims.claim_next(db.session, senior, settings=workbench_settings.current())
        decision = decide_case(
            db.session,
            case_id,
            senior,
            outcome="remove",
            rule="GLOBAL@1:global.reports.user-volume",
            territorial_scope=None,
            internal_note=f"internal: {marker}",
            user_explanation=f'You wrote "{text}" and {marker} breaks the rules.',
            settings=workbench_settings.current(),
        )
        sample_id = db.session.scalar(select(QaSample.id).where(QaSample.decision_id == decision.id))
        review_sample(db.session, sample_id, reviewer, QaReview("agree", None, f"QA on {marker}"))
    # The person appeals; another senior overturns with a reply quoting them.
    response = api.post_json(
        "/appeals",
        appeal_body(
            f"ap-{marker[:8]}",
            decision_id=decision.id,
            explanation=f"I am {marker} and I appeal",
            complainant={"id": person, "name": f"Name {marker}", "email": email},
        ),
    )
    assert response.status_code == 201, response.get_json()
    with app.app_context():
        decide_appeal(
            db.session,
            response.get_json()["id"],
            reviewer,
            "overturn",
            reply=f"You said 'I am {marker}': restored.",
            note=f"appeal note {marker}",
        )
    # Exports made before the erasure: statements of reasons (they carry the explanation), and
    # an audit bundle and a transparency report (which never carry it).
    with app.app_context():
        for kind, dates in (
            ("sor", {}),
            ("audit_bundle", {}),
            ("transparency", {"date_from": date.today(), "date_to": date.today()}),
        ):
            run = request_export(db.session, kind, Actor.system("tests"), **dates)
            done = run_export(
                db.session,
                run.id,
                export_dir=workbench_settings.of(app).export_dir,
                signing_key=signer_key(),
                pseudonym_key=workbench_settings.of(app).pseudonym_key,
            )
            assert done.status == "done", done.error

    with app.app_context():
        item_ids = [text_id, image_id, video_id]
        hashes = set(db.session.scalars(select(ItemHash.value).where(ItemHash.item_id.in_(item_ids))))
        frames = set(db.session.scalars(select(ItemVideoFrame.pdq).where(ItemVideoFrame.item_id == video_id)))
        algorithms = set(db.session.scalars(select(ItemHash.algorithm).where(ItemHash.item_id == image_id)))
    assert frames and {"sha256", "md5", "pdq", "phash"} <= algorithms
    assert thumbnail_rows(app, [video_id]) > 0
    known = {
        hashlib.sha256(image).hexdigest(),
        hashlib.md5(image).hexdigest(),
        hashlib.sha256(video).hexdigest(),
        hashlib.md5(video).hexdigest(),
    }
    assert known <= hashes  # the hashes we computed ourselves are the ones the pipeline stored
    pseudonym = pseudonymise(workbench_settings.of(app).pseudonym_key, client_id, person)
    return {
        "needles": {marker, email} | hashes | frames,
        "pseudonym": pseudonym,
        "items": item_ids,
        "other": other_id,
        "client_id": client_id,
        "person": person,
    }


def thumbnail_rows(app, item_ids: list[int]) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count()).select_from(ItemFrameThumbnail).where(ItemFrameThumbnail.item_id.in_(item_ids))
        )


def database_text(app) -> str:
    """Every column of every table (both databases' own catalogue, reflected), cast to text;
    binary columns (JPEG thumbnails, fingerprints) read as bytes, one character per byte."""
    chunks = []
    with app.app_context():
        metadata = MetaData()
        metadata.reflect(bind=db.engine)
        for table in metadata.sorted_tables:
            columns = [
                column if isinstance(column.type, LargeBinary) else cast(column, String) for column in table.columns
            ]
            for row in db.session.execute(select(*columns)):
                chunks.extend(
                    bytes(value).decode("latin-1") if isinstance(value, (bytes, memoryview)) else str(value)
                    for value in row
                    if value is not None
                )
        db.session.rollback()
    return "\n".join(chunks)


def file_texts(app) -> dict[str, bytes]:
    """Every file under the instance folder (blobs, exports, keys...): its name and its bytes,
    and the members of zip files unpacked."""
    found = {}
    for folder, _, names in os.walk(app.instance_path):
        for name in names:
            path = os.path.join(folder, name)
            data = open(path, "rb").read() if os.path.isfile(path) else b""
            found[path] = data
            if name.endswith(".zip"):
                with zipfile.ZipFile(path) as archive:
                    for member in archive.namelist():
                        found[f"{path}!{member}"] = archive.read(member)
    return found


def redis_dump(app) -> bytes:
    """Every key of the Redis database and every value under it."""
    parts = []
    with app.app_context():
        redis = get_redis()
        for key in redis.scan_iter(count=500):
            kind = redis.type(key).decode()
            parts.append(key)
            if kind == "string":
                parts.append(redis.get(key) or b"")
            elif kind == "hash":
                parts.extend(b for pair in redis.hgetall(key).items() for b in pair)
            elif kind == "list":
                parts.extend(redis.lrange(key, 0, -1))
            elif kind == "set":
                parts.extend(redis.smembers(key))
            elif kind == "zset":
                parts.extend(redis.zrange(key, 0, -1))
            elif kind == "stream":
                parts.extend(repr(entry).encode() for entry in redis.xrange(key))
    return b"\n".join(parts)


def sqlite_file_bytes(app) -> bytes:
    """SQLite: the database file itself after a checkpoint, free pages and all (the rows can be
    gone while their bytes stay on disk). PostgreSQL keeps dead rows until VACUUM: docs/security.md."""
    import sqlite3

    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            return b""
        db.session.remove()
        db.engine.dispose()
        path = db.engine.url.database
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    with open(path, "rb") as handle:
        return handle.read()


def where_found(app, needles: set[str]) -> list[str]:
    places = []
    database, files, redis = database_text(app), file_texts(app), redis_dump(app)
    raw_database = sqlite_file_bytes(app)
    for needle in sorted(needles):
        if needle in database:
            places.append(f"database: {needle}")
        if needle.encode() in raw_database:
            places.append(f"database file: {needle}")
        for path, data in files.items():
            if needle in path or needle.encode() in data:
                places.append(f"file {os.path.relpath(path, app.instance_path)}: {needle}")
        if needle.encode() in redis:
            places.append(f"redis: {needle}")
    return places


def assert_planted_everywhere(app, planted: dict, marker: str) -> None:
    """Before: the search does find the marker in the tables, the outbox and the export file."""
    found = where_found(app, planted["needles"])
    assert any(place.startswith("database") and marker in place for place in found)
    assert any(place.startswith("file") and "statements-of-reasons" in place and marker in place for place in found)
    assert any(place.startswith("file") and "blobs" in place for place in found)  # the files, by their hash


def chain_verifies(app) -> bool:
    from workbench.audit import verifier
    from workbench.audit.checkpoints import iter_event_dicts

    with app.app_context():
        result = verifier.verify(list(iter_event_dicts(db.session)), [], None)
        db.session.rollback()
    return result.ok


def test_an_erasure_leaves_nothing_of_the_person(app, api, run_worker, auth, client):
    marker = f"MARK{uuid.uuid4().hex}"
    planted = plant(app, api, run_worker, marker)
    assert_planted_everywhere(app, planted, marker)

    auth.login("admin")
    token = csrf_token_from(client.get("/admin/privacy/").get_data(as_text=True))
    response = client.post(
        "/admin/privacy/",
        data={"client_id": str(planted["client_id"]), "user_id": planted["person"], "csrf_token": token},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "3 item(s) erased" in page
    assert "1 finished export(s) deleted" in page  # the statements of reasons; not the bundle or the figures

    left = where_found(app, planted["needles"] | {planted["pseudonym"]})
    assert left == [], "\n".join(left)
    assert thumbnail_rows(app, planted["items"]) == 0
    with app.app_context():
        assert db.session.get(Item, planted["other"]).text == "an unrelated post"  # someone else's stays
        assert db.session.scalars(select(ItemHash).where(ItemHash.item_id == planted["other"])).all()
    assert chain_verifies(app)


def test_retention_leaves_nothing_once_the_period_is_over(app, api, run_worker):
    marker = f"MARK{uuid.uuid4().hex}"
    planted = plant(app, api, run_worker, marker)
    assert_planted_everywhere(app, planted, marker)

    workbench_settings.update(app, WORKBENCH_RETENTION_DAYS=0)  # every period is over now (no evidence hold applies)
    result = app.test_cli_runner().invoke(args=["retention", "run"])
    assert result.exit_code == 0, result.output
    assert "purged 4 item(s)" in result.output and "export(s) expired" in result.output, result.output

    left = where_found(app, planted["needles"])
    assert left == [], "\n".join(left)
    assert thumbnail_rows(app, planted["items"]) == 0
    with app.app_context():
        items = [db.session.get(Item, item_id) for item_id in planted["items"]]
        assert all(item.content_purged_at for item in items)
        # The author link outlives the content (earlier decisions on the same author); notices
        # and appeals lose their sender's pseudonym with the content they were about.
        assert {item.author_pseudonym for item in items} == {planted["pseudonym"]}
    assert [place for place in where_found(app, {planted["pseudonym"]}) if "database" not in place] == []
    assert chain_verifies(app)
