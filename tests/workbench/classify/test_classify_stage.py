"""The classify stage through the real pipeline: API -> RQ job -> batch queue -> classify
worker (offline text model, NudeNet, langid, loaded once per session) -> later stages."""

from __future__ import annotations

import io
import json

from PIL import Image, ImageDraw
from sqlalchemy import select

from classifiers.image.nudenet_classifier import EXPLICIT_LABEL, EXPOSED_LABEL
from tests.support.classify import classify_worker, loaded_classifiers
from tests.support.factories import image_bytes, text_item
from workbench import settings as workbench_settings
from workbench.extensions import db
from workbench.jobs.worker import run_worker as run_rq_worker
from workbench.models import AuditEvent, Item, ItemSignal
from workbench.pipeline.batch_queue import batch_queue_for
from workbench.pipeline.classify_stage import LoadedClassifiers

PROFANE = "You are a worthless fucking idiot and everyone hates you."
BENIGN = "What a lovely walk along the river this morning."


def signal_rows(app, item_id) -> list[tuple]:
    with app.app_context():
        rows = db.session.scalars(
            select(ItemSignal).where(ItemSignal.item_id == item_id).order_by(ItemSignal.classifier, ItemSignal.label)
        ).all()
        return [
            (
                r.id,
                r.classifier,
                r.label,
                r.score,
                r.classifier_version,
                r.model_checksum,
                r.detail,
                r.error,
                r.updated_at,
            )
            for r in rows
        ]


def stage_events(app, item_id) -> list[dict]:
    with app.app_context():
        events = db.session.execute(
            select(AuditEvent.action, AuditEvent.payload)
            .where(AuditEvent.object_type == "item", AuditEvent.object_id == str(item_id))
            .order_by(AuditEvent.id)
        ).all()
        return [{"action": action, **json.loads(payload)} for action, payload in events]


def animated_gif() -> bytes:
    frames = []
    for shade in (30, 120, 210):
        frame = Image.new("RGB", (160, 120), (shade, 90, 200 - shade // 2))
        ImageDraw.Draw(frame).ellipse((40, 20, 120, 100), fill=(220, 180, 150))
        frames.append(frame)
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return buffer.getvalue()


def test_text_and_image_items_get_real_scores_from_the_configured_models(app, api, run_worker):
    loaded = loaded_classifiers(workbench_settings.of(app))
    profane = api.post_json("/items", text_item("profane", text=PROFANE)).json["id"]
    benign = api.post_json("/items", text_item("benign", text=BENIGN, language="en-GB")).json["id"]
    french = api.post_json("/items", text_item("french", text="Quelle belle journée à Lyon aujourd'hui, merci !")).json[
        "id"
    ]
    still = api.post_image(image_bytes("PNG"), external_id="png", author_id="u", country="DE").json["id"]
    animated = api.post_image(animated_gif(), filename="a.gif", external_id="gif", author_id="u", country="FR").json[
        "id"
    ]
    run_worker()

    docs = {item_id: api.get(f"/items/{item_id}").json for item_id in (profane, benign, french, still, animated)}
    assert {doc["status"] for doc in docs.values()} == {"processed"}, [d["error"] for d in docs.values()]
    identities = loaded.identities
    for doc in docs.values():  # every group names the exact model that produced it
        for name, group in doc["signals"].items():
            assert (group["version"], group["model_checksum"]) == (
                identities[name]["version"],
                identities[name]["model_checksum"],
            )
            assert len(group["model_checksum"]) == 64 and group["error"] is None
            assert all(0.0 <= score <= 1.0 for score in group["scores"].values())

    text_scores = {
        item_id: docs[item_id]["signals"]["profanity_check"]["scores"]["profanity"] for item_id in (profane, benign)
    }
    assert text_scores[profane] > 0.8 > 0.2 > text_scores[benign]
    assert set(docs[profane]["signals"]) == {"profanity_check", "langid"}

    # Language: detected when the platform sent none, the platform's kept (and said so) otherwise.
    assert (docs[french]["language"], docs[french]["language_source"]) == ("fr", "detected")
    assert docs[french]["language_confidence"] > 0.5
    assert docs[french]["signals"]["langid"]["details"]["language"] == {"language": "fr"}
    assert (docs[benign]["language"], docs[benign]["language_source"]) == ("en-GB", "platform")

    nudenet = next(c for c in loaded.classifiers if c.name == "nudenet")
    for image in (still, animated):
        assert set(docs[image]["signals"]) == {"nudenet"}
        assert set(docs[image]["signals"]["nudenet"]["scores"]) == set(nudenet.labels)
        assert {EXPOSED_LABEL, EXPLICIT_LABEL} <= set(nudenet.labels)
        assert docs[image]["language"] is None

    completed = [e for e in stage_events(app, profane) if e["action"] == "item.stage_completed"]
    assert [e["stage"] for e in completed] == ["hash", "classify", "policy", "route"]
    classify_event = completed[1]
    assert classify_event["classifiers"]["profanity_check"] == {
        "version": identities["profanity_check"]["version"],
        "model_checksum": identities["profanity_check"]["model_checksum"],
    }
    assert classify_event["signals"] == 2 and classify_event["language"] == "en"


def test_an_image_caption_is_scored_as_text_too(app, api, run_worker):
    item_id = api.post_image(
        image_bytes("JPEG"), external_id="captioned", author_id="u", country="DE", text=PROFANE
    ).json["id"]
    run_worker()
    doc = api.get(f"/items/{item_id}").json
    assert doc["status"] == "processed"
    assert set(doc["signals"]) == {"nudenet", "profanity_check", "langid"}
    assert doc["signals"]["profanity_check"]["scores"]["profanity"] > 0.8
    assert doc["language"] == "en"


class CountingClassifier:
    """A real loaded classifier, counting how it is called."""

    def __init__(self, inner):
        self.inner = inner
        self.calls: list[int] = []

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def classify_batch(self, items):
        self.calls.append(len(items))
        self.text_lengths = [len(item.text) for item in items if item.kind == "text"]
        return self.inner.classify_batch(items)


def test_a_batch_runs_each_classifier_once(app, api):
    counting = [CountingClassifier(c) for c in loaded_classifiers(workbench_settings.of(app)).classifiers]
    loaded = LoadedClassifiers.from_classifiers(counting)
    texts = [
        api.post_json("/items", text_item(f"t{i}", text=f"{BENIGN} {'very ' * (7 - i)}long {i}.")).json["id"]
        for i in range(5)
    ]
    images = [
        api.post_image(
            image_bytes("PNG", color=(20 * i, 90, 160)), external_id=f"i{i}", author_id="u", country="DE"
        ).json["id"]
        for i in range(3)
    ]
    with app.app_context():
        run_rq_worker(burst=True, with_scheduler=False)  # hash stage, then hand-off
        assert batch_queue_for("classify").counts()["queued"] == 8
    assert classify_worker(app, loaded, batch_size=8).work(burst=True) == 1
    calls = {c.name: c.calls for c in counting}
    assert calls == {"langid": [5], "profanity_check": [5], "nudenet": [3]}
    # Texts arrive shortest first (chunked models then pad each chunk only to similar lengths).
    lengths = next(c for c in counting if c.name == "profanity_check").text_lengths
    assert lengths == sorted(lengths) and len(set(lengths)) == 5
    with app.app_context():
        run_rq_worker(burst=True, with_scheduler=False)  # the later stages
        statuses = db.session.scalars(select(Item.status).where(Item.id.in_(texts + images))).all()
    assert statuses == ["processed"] * 8


def test_the_batch_size_bounds_a_batch(app, api):
    for i in range(5):
        api.post_json("/items", text_item(f"t{i}", text=f"{BENIGN} {i}"))
    with app.app_context():
        run_rq_worker(burst=True, with_scheduler=False)
    assert classify_worker(app, batch_size=2).work(burst=True) == 3  # 2 + 2 + 1


def test_an_item_handed_off_twice_is_classified_once(app, api, run_worker):
    item_id = api.post_json("/items", text_item(text=PROFANE)).json["id"]
    with app.app_context():
        run_rq_worker(burst=True, with_scheduler=False)
        batch_queue_for("classify").hand_off([item_id])  # e.g. a sweeper and a retry raced
        assert batch_queue_for("classify").counts()["queued"] == 2
    run_worker()
    actions = [e["action"] + ":" + e.get("stage", "") for e in stage_events(app, item_id)]
    assert actions.count("item.stage_completed:classify") == 1
    assert actions.count("item.processed:route") == 1
    with app.app_context():
        assert batch_queue_for("classify").counts() == {"queued": 0, "delayed": 0, "pending": 0}


def test_storing_the_same_result_again_leaves_the_same_rows(app, api, run_worker):
    """The stage's store is an idempotent upsert: a rerun (a duplicate batch, a retry after
    a crash between commit and hand-on) writes nothing new; a changed score is updated in
    place; a label the classifier no longer gives is removed."""
    from classifiers.base import Signal
    from workbench.pipeline.signal_store import store_signals

    item_id = api.post_json("/items", text_item(text=PROFANE)).json["id"]
    run_worker()
    before = signal_rows(app, item_id)
    loaded = loaded_classifiers(workbench_settings.of(app))
    with app.app_context():
        snapshot = db.session.get(Item, item_id)
        from workbench.pipeline.stages import ItemSnapshot, get_stage, stage_context

        item = ItemSnapshot(snapshot.id, snapshot.kind, snapshot.text, snapshot.blob_sha256, None)
        db.session.rollback()
        stage = get_stage("classify").run
        results = stage.compute([item], stage_context(app, workbench_settings.of(app)), loaded)
        stage.store(db.session, [item], results, stage_context(app, workbench_settings.of(app)), loaded)
        db.session.commit()
    assert signal_rows(app, item_id) == before

    with app.app_context():  # a model that now answers differently, and an error for langid
        store_signals(
            db.session,
            {item_id: {"profanity_check": [Signal("profanity", 0.25)], "langid": [Signal.failure("model crashed")]}},
            loaded.identities,
        )
        db.session.commit()
    after = {(row[1], row[2]): row for row in signal_rows(app, item_id)}
    old = {(row[1], row[2]): row for row in before}
    assert set(after) == {("profanity_check", "profanity"), ("langid", "error")}
    assert after["profanity_check", "profanity"][0] == old["profanity_check", "profanity"][0]  # same row
    assert after["profanity_check", "profanity"][3] == 0.25
    assert after["langid", "error"][7] == "model crashed"
