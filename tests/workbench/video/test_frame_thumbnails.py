"""Issue 16, finding 5: no web request decodes a video. The case page's frame strip serves the
JPEG thumbnails the classify worker kept of the frames NudeNet scored (404 until then); an
erasure removes them with the rest of the content; a re-run of the stage replaces them."""

from __future__ import annotations

import io
import json
from datetime import timedelta

from PIL import Image
from sqlalchemy import select

from classifiers.video.synthetic import make_clip
from tests.support.appeals_qa import client_of
from tests.support.auth import AuthHelper, csrf_token_from
from tests.support.classify import loaded_classifiers
from tests.workbench.video.conftest import post_video
from workbench import settings as workbench_settings
from workbench.audit import Actor
from workbench.extensions import db
from workbench.models import AuditEvent, Case, Item
from workbench.models.frame_thumbnail import ItemFrameThumbnail
from workbench.pipeline.frame_thumbnails import THUMBNAIL_MAX_SIDE
from workbench.services.blobstore import BlobStore

AUTHOR = "thumbs-author"


def _post(api, external_id: str, seed: int = 31, author: str = AUTHOR) -> int:
    clip = make_clip(seed, 4.0, width=320, height=240, fps=8, audio=False)
    response = post_video(api, clip, external_id=external_id, author_id=author, country="DE")
    assert response.status_code == 201, response.json
    return response.json["id"]


def _open_case(app, item_id: int) -> int:
    """A case on the item whatever its pipeline state (routing opens cases only after classification)."""
    from policies.catalogue import default_catalogue
    from workbench.models.base import utcnow

    with app.app_context():
        now = utcnow()
        case = Case(
            item_id=item_id,
            queue="user_reports",
            priority="normal",
            priority_rank=2,
            status="open",
            due_at=now + timedelta(hours=24),
            rule_jurisdiction="GLOBAL",
            rule_pack_version=1,
            rule_id="global.reports.user-volume",
            escalations=[],
            created_at=now,
            updated_at=now,
            jurisdictions=default_catalogue().applicable_jurisdictions("DE"),
        )
        db.session.add(case)
        db.session.commit()
        return case.id


def _thumbnails(app, item_id: int) -> list[tuple[int, int, bytes]]:
    with app.app_context():
        rows = db.session.execute(
            select(ItemFrameThumbnail.number, ItemFrameThumbnail.time_ms, ItemFrameThumbnail.jpeg)
            .where(ItemFrameThumbnail.item_id == item_id)
            .order_by(ItemFrameThumbnail.number)
        ).all()
        return [tuple(row) for row in rows]


def _moderator(app):
    client = app.test_client()
    AuthHelper(client, app).login("moderator", "thumbs-mod")
    return client


def test_the_strip_serves_stored_thumbnails_and_never_decodes_the_video(app, api, run_worker):
    item_id = _post(api, "thumbs-1")
    case_id = _open_case(app, item_id)
    moderator = _moderator(app)

    # Not classified yet: no strip, and the frame route has nothing to serve (it used to decode).
    page = moderator.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "The frames appear after classification." in page and 'id="video-strip"' not in page
    assert moderator.get(f"/cases/{case_id}/frames/0").status_code == 404

    run_worker()
    stored = _thumbnails(app, item_id)
    assert [number for number, _, _ in stored] == list(range(8))  # WORKBENCH_NUDENET_MAX_FRAMES
    times = [time_ms for _, time_ms, _ in stored]
    assert times == sorted(times) and times[-1] > times[0]
    for _, _, jpeg in stored:
        picture = Image.open(io.BytesIO(jpeg))
        assert picture.format == "JPEG" and max(picture.size) <= THUMBNAIL_MAX_SIDE
    with app.app_context():
        payloads = db.session.scalars(
            select(AuditEvent.payload).where(
                AuditEvent.action == "item.stage_completed", AuditEvent.object_id == str(item_id)
            )
        ).all()
    assert {"stage": "classify", "frame_thumbnails": 8}.items() <= next(
        summary for summary in map(json.loads, payloads) if summary["stage"] == "classify"
    ).items()

    page = moderator.get(f"/cases/{case_id}").get_data(as_text=True)
    assert 'id="video-strip"' in page and "frames appear after classification" not in page
    assert all(f"/cases/{case_id}/frames/{number}" in page for number in range(8))

    # The video file itself goes: the player has nothing to play, the strip still shows every
    # frame, so serving one reads neither the file nor a decoder.
    with app.app_context():
        sha256 = db.session.get(Item, item_id).blob_sha256
    assert BlobStore(workbench_settings.of(app).blob_dir).delete(sha256)
    assert moderator.get(f"/cases/{case_id}/video").status_code == 404
    for number, _, jpeg in stored:
        frame = moderator.get(f"/cases/{case_id}/frames/{number}")
        assert frame.status_code == 200 and frame.mimetype == "image/jpeg" and frame.data == jpeg
    assert frame.headers["X-Content-Type-Options"] == "nosniff"
    assert frame.headers["Cache-Control"] == "private, no-store"
    assert frame.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert frame.headers["Content-Disposition"] == f'inline; filename="case-{case_id}"'
    assert moderator.get(f"/cases/{case_id}/frames/8").status_code == 404
    assert app.test_client().get(f"/cases/{case_id}/frames/0").status_code in (302, 401)  # not signed in


def test_a_rerun_of_the_classify_stage_replaces_the_thumbnails(app, api, run_worker):
    from workbench.jobs.pipeline import stage_context
    from workbench.pipeline.stages import ItemSnapshot, get_stage

    item_id = _post(api, "thumbs-rerun")
    run_worker()
    before = _thumbnails(app, item_id)
    assert len(before) == 8
    loaded, stage = loaded_classifiers(workbench_settings.of(app)), get_stage("classify").run
    with app.app_context():
        item = db.session.get(Item, item_id)
        snapshot = ItemSnapshot(item.id, item.kind, item.text, item.blob_sha256, None)
        db.session.rollback()
        for _ in range(2):  # e.g. a duplicate batch, or a retry after a crash before the hand-on
            results = stage.compute([snapshot], stage_context(app, workbench_settings.of(app)), loaded)
            stage.store(db.session, [snapshot], results, stage_context(app, workbench_settings.of(app)), loaded)
            db.session.commit()
    assert _thumbnails(app, item_id) == before  # the same frames, once each


class _EraseWhileDecoding:
    """The real classify stage, with the author's erasure committed between decoding the frames
    and storing them (an erasure that races the classify worker)."""

    def __init__(self, real, app, client_id: int):
        self.real, self.app, self.client_id, self.decoded = real, app, client_id, 0

    def load(self, config):
        return self.real.load(config)

    def compute(self, items, ctx, loaded):
        from workbench.services.privacy.erasure import erase_person

        results = self.real.compute(items, ctx, loaded)
        self.decoded += sum(len(result.thumbnails or ()) for result in results.values())
        outcome = erase_person(
            db.session,
            actor=Actor.system("tests"),
            pseudonym_key=workbench_settings.of(self.app).pseudonym_key,
            blob_store=ctx.blob_store,
            client_id=self.client_id,
            platform_user_id=AUTHOR,
        )
        assert outcome.items_erased == 1
        return results

    def store(self, session, items, results, ctx, loaded):
        return self.real.store(session, items, results, ctx, loaded)


def test_an_item_erased_while_its_frames_were_decoded_keeps_no_thumbnails(app, api, run_worker):
    from workbench.pipeline.classify_stage import classify_enabled
    from workbench.pipeline.stages import get_stage, register_stage, restore_stage

    item_id = _post(api, "thumbs-race")
    racing = _EraseWhileDecoding(get_stage("classify").run, app, client_of(app, api))
    previous = register_stage("classify", racing, batched=True, enabled=classify_enabled)
    try:
        run_worker()
    finally:
        restore_stage("classify", previous)
    assert racing.decoded == 8  # the worker did make them...
    assert _thumbnails(app, item_id) == []  # ...and stored none for the erased item
    with app.app_context():
        assert db.session.get(Item, item_id).erased_at is not None


def test_an_erasure_removes_the_thumbnails(app, api, run_worker, auth, client):
    item_id = _post(api, "thumbs-erase")
    other_id = _post(api, "thumbs-other", seed=32, author="someone-else")  # keeps its strip
    run_worker()
    assert len(_thumbnails(app, item_id)) == 8 == len(_thumbnails(app, other_id))
    case_id = _open_case(app, item_id)

    auth.login("admin")
    token = csrf_token_from(client.get("/admin/privacy/").get_data(as_text=True))
    response = client.post(
        "/admin/privacy/", data={"client_id": str(client_of(app, api)), "user_id": AUTHOR, "csrf_token": token}
    )
    assert response.status_code == 200 and "1 item(s) erased" in response.get_data(as_text=True)
    assert _thumbnails(app, item_id) == []
    assert len(_thumbnails(app, other_id)) == 8
    assert _moderator(app).get(f"/cases/{case_id}/frames/0").status_code == 404


def test_videos_classified_before_the_thumbnails_get_them_from_the_command(app, api, run_worker):
    item_id = _post(api, "thumbs-backfill")
    run_worker()
    made_by_the_stage = _thumbnails(app, item_id)
    with app.app_context():  # as after the upgrade: classified, no thumbnails
        db.session.execute(ItemFrameThumbnail.__table__.delete())
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["pipeline", "frame-thumbnails"])
    assert result.exit_code == 0, result.output
    assert "made thumbnails for 1 video(s)" in result.output
    assert _thumbnails(app, item_id) == made_by_the_stage
    with app.app_context():
        assert db.session.scalar(
            select(AuditEvent.payload).where(
                AuditEvent.action == "item.frame_thumbnails_made", AuditEvent.object_id == str(item_id)
            )
        ) == json.dumps({"frames": 8}, separators=(",", ":"))
    again = app.test_cli_runner().invoke(args=["pipeline", "frame-thumbnails"])
    assert "made thumbnails for 0 video(s)" in again.output
