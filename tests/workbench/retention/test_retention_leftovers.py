"""A purge whose file delete failed: the purge stands (audited once), the round goes on, and
the next round deletes the leftover file and then the blob's row; a blob revived by a new
upload keeps its file and its row."""

from __future__ import annotations

from sqlalchemy import select

from tests.workbench.retention.test_retention import finish, post_image, purge_events, run, stored
from workbench import settings as workbench_settings
from workbench.extensions import db
from workbench.models import Blob
from workbench.models.base import utcnow
from workbench.services.blobstore import BlobStore
from workbench.services.privacy.retention_leftovers import delete_leftover_files


def blob_rows(app) -> set[str]:
    with app.app_context():
        return set(db.session.scalars(select(Blob.sha256)))


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
    assert run(app, days=100) == sorted([first, second])  # the round is not stopped by it
    assert stored(app, first_sha) and not stored(app, second_sha)
    assert blob_rows(app) == {first_sha}  # kept, marked purged, until its file is gone
    monkeypatch.setattr(BlobStore, "delete_while_locked", real_delete)

    workbench_settings.update(app, WORKBENCH_RETENTION_DAYS=0)
    result = app.test_cli_runner().invoke(args=["retention", "run"])
    assert result.exit_code == 0, result.output
    assert "leftover files of earlier purges: 1 deleted, 0 still cannot be deleted" in result.output
    assert not stored(app, first_sha) and blob_rows(app) == set()
    assert sorted(int(object_id) for object_id, _ in purge_events(app)) == sorted([first, second])  # once each


def test_a_revived_blob_keeps_its_file(app, api):
    store = BlobStore(workbench_settings.of(app).blob_dir)
    item, sha = post_image(api, "revived", (13, 13, 13), "FR")
    with app.app_context():
        db.session.get(Blob, sha).purged_at = utcnow()  # a purge that did not get to delete the file
        db.session.commit()
        assert delete_leftover_files(db.session, store).deleted == 0  # an item still uses it
        assert store.exists(sha)
    finish(app, item)
    assert run(app, days=100) == [item]
    assert not store.exists(sha) and blob_rows(app) == set()
    again = api.post_image(open_image(13), external_id="again", author_id="u2", country="FR")
    assert again.status_code == 201 and store.exists(sha)
    with app.app_context():
        assert db.session.get(Blob, sha).purged_at is None
        assert delete_leftover_files(db.session, store).deleted == 0
    assert store.exists(sha)


def open_image(shade: int) -> bytes:
    from tests.support.factories import image_bytes

    return image_bytes("PNG", color=(shade, shade, shade))
