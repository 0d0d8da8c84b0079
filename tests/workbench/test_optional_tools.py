"""A host without an optional tool (fpcalc): the workbench serves, says what is off and where,
and keeps processing; /healthz gives its detail only to operators."""

from __future__ import annotations

import io

import pytest
from rq import SimpleWorker

from classifiers.video.synthetic import make_clip
from tests.support.auth import csrf_token_from
from tests.support.tools import path_without
from workbench import settings as workbench_settings
from workbench.extensions import db, get_queue, get_redis
from workbench.models import HashBank
from workbench.services.operations import capabilities

OUTSIDE = {"REMOTE_ADDR": "203.0.113.9"}  # not loopback: an anonymous caller from the internet


@pytest.fixture
def no_fpcalc(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", path_without("fpcalc", tmp_path / "bin"))
    assert not capabilities.is_available("music_fingerprinting")


def live_worker(app, name: str) -> SimpleWorker:
    with app.app_context():
        worker = SimpleWorker([get_queue()], connection=get_redis(), name=name)
        worker.register_birth()
        capabilities.publish_for_worker(get_redis(), worker.name)
    return worker


def test_healthz_is_ok_with_every_tool(app, client):
    worker = live_worker(app, "w-complete")
    try:
        body = client.get("/healthz").json
    finally:
        worker.register_death()
    assert body["status"] == "ok" and body["reasons"] == []
    assert body["capabilities"]["music_fingerprinting"] == {"ok": True}


def test_without_fpcalc_healthz_is_degraded_but_ready_and_names_the_tool(app, client, no_fpcalc):
    worker = live_worker(app, "w-no-fpcalc")
    try:
        response = client.get("/healthz")
    finally:
        worker.register_death()
    body = response.json
    assert response.status_code == 200 and body["status"] == "degraded" and body["ready"] is True
    music = body["capabilities"]["music_fingerprinting"]
    assert music["ok"] is False and "libchromaprint-tools" in music["reason"]
    assert music["where"] == ["web", "worker w-no-fpcalc"]
    assert [r for r in body["reasons"] if "fpcalc is not installed" in r]


def test_a_worker_that_is_gone_no_longer_counts(app, client):
    with app.app_context():
        get_redis().hset("wb:worker-capabilities", "w-dead", '{"missing": ["music_fingerprinting"], "at": 0}')
    body = client.get("/healthz").json
    assert body["capabilities"]["music_fingerprinting"]["ok"] is True
    with app.app_context():
        assert not get_redis().hexists("wb:worker-capabilities", "w-dead")  # long gone: pruned


def test_anonymous_callers_learn_only_the_status(app, client):
    from tests.support.auth import AuthHelper

    anonymous = client.get("/healthz", environ_base=OUTSIDE)
    assert anonymous.status_code == 503 and anonymous.json == {"status": "degraded"}  # no worker runs
    signed_in = {}
    for role in ("moderator", "admin"):  # sessions are bound to the address they began from
        signed_in[role] = app.test_client()
        signed_in[role].environ_base.update(OUTSIDE)
        AuthHelper(signed_in[role], app).login(role)
    # A role without the operations page learns no more.
    assert signed_in["moderator"].get("/healthz").json == {"status": "degraded"}
    detailed = signed_in["admin"].get("/healthz").json
    assert detailed["workers"] == {"ok": False, "count": 0} and "workers is not ready" in detailed["reasons"]


def test_the_metrics_token_unlocks_the_detail(app, client):
    workbench_settings.update(app, WORKBENCH_METRICS_TOKEN="scrape-token")
    assert client.get("/healthz").json == {"status": "degraded"}  # with a token, loopback alone is not enough
    body = client.get("/healthz", headers={"Authorization": "Bearer scrape-token"}, environ_base=OUTSIDE).json
    assert body["database"]["ok"] is True


def test_the_operations_page_shows_what_is_off(app, client, auth, no_fpcalc):
    auth.login("admin")
    page = client.get("/operations").get_data(as_text=True)
    assert "Health: <strong>degraded</strong>" in page and "fpcalc is not installed" in page


def test_a_music_bank_says_tracks_cannot_be_fingerprinted_and_refuses_cleanly(app, client, auth, no_fpcalc):
    with app.app_context():
        bank = HashBank(name="songs", kind="music")
        db.session.add(bank)
        db.session.commit()
        bank_id = bank.id
    auth.login("admin")
    page = client.get(f"/banks/{bank_id}").get_data(as_text=True)
    assert 'id="fingerprinting-unavailable"' in page and 'id="add-track"' not in page
    track = make_clip(0, 8.0, width=64, height=48, fps=4, music_seed=3)
    response = client.post(
        f"/banks/{bank_id}/tracks",
        content_type="multipart/form-data",
        data={
            "csrf_token": csrf_token_from(page),
            "title": "Song",
            "rights_holder": "Label",
            "territories": "FR",
            "note": "",
            "track": (io.BytesIO(track), "song.mp4"),
        },
    )
    assert response.status_code == 400
    assert "cannot be fingerprinted on this host" in response.get_data(as_text=True)


def test_a_video_with_sound_is_still_hashed_and_its_music_score_is_unknown(app, api, run_worker, no_fpcalc):
    from tests.workbench.video.conftest import post_video

    response = post_video(
        api,
        make_clip(5, 4.0, width=96, height=64, fps=6, music_seed=9),
        external_id="v-sound",
        author_id="u1",
        country="DE",
    )
    assert response.status_code == 201, response.json
    run_worker()
    item = api.get(response.json["url"].removeprefix("/api/v1")).json
    assert item["status"] == "processed"
    assert {"sha256", "md5"} <= {h["algorithm"] for h in item["hashes"]}
    music = item["signals"]["music"]
    assert music["scores"] == {} and "fpcalc is not installed" in music["error"]
    assert item["signals"]["vpdq"]["error"] is None
