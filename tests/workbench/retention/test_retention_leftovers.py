"""A purge whose file delete failed: the purge stands (audited once), the round goes on, and
the next round deletes the leftover file; a blob revived by a new upload keeps its file."""
from __future__ import annotations

from datetime import timedelta

from workbench.extensions import db
from workbench.models import Blob
from workbench.models.base import utcnow
from workbench.services.blobstore import BlobStore
from workbench.services.retention_leftovers import delete_leftover_files

from tests.workbench.retention.test_retention import finish, post_image, purge_events, run, stored


def test_a_failed_delete_is_retried_by_the_next_round(app, api, monkeypatch):
    first, first_sha = post_image(api, "disk-hiccup", (11, 11, 11), "FR")
    second, second_sha = post_image(api, "fine", (12, 12, 12), "FR")
    finish(app, first, second)
    real_delete = BlobStore.delete_while_locked

    def failing_once(self, sha256):
        if sha256 == first_sha:
            raise PermissionError("read-only file system")
        return real_delete(self, sha256)

    monkeypatch.setattr(BlobStore, "delete_while_locked", failing_once)
    assert run(app, days=100) == sorted([first_sha, second_sha])  # the round is not stopped by it
    assert stored(app, first_sha) and not stored(app, second_sha)
    monkeypatch.setattr(BlobStore, "delete_while_locked", real_delete)

    app.config["WORKBENCH_RETENTION_DAYS"] = 0
    result = app.test_cli_runner().invoke(args=["retention", "run"])
    assert result.exit_code == 0, result.output
    assert "leftover files of earlier purges: 1 deleted, 0 still cannot be deleted" in result.output
    assert not stored(app, first_sha)
    assert sorted(int(object_id) for object_id, _ in purge_events(app)) == sorted([first, second])  # once each


def test_a_revived_blob_keeps_its_file(app, api):
    item, sha = post_image(api, "revived", (13, 13, 13), "FR")
    finish(app, item)
    assert run(app, days=100) == [sha]
    store = BlobStore(app.config["WORKBENCH_BLOB_DIR"])
    path = store.path_for(sha)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"the same bytes, sent again")
    with app.app_context():
        db.session.get(Blob, sha).purged_at = None  # what ingest does when the bytes come back
        db.session.commit()
        assert delete_leftover_files(db.session, store).deleted == 0
        assert store.exists(sha)
        db.session.get(Blob, sha).purged_at = utcnow() - timedelta(days=40)  # purged long ago: not looked at
        db.session.commit()
        assert delete_leftover_files(db.session, store).deleted == 0
        assert delete_leftover_files(db.session, store, lookback_days=60).deleted == 1
        assert not store.exists(sha)
