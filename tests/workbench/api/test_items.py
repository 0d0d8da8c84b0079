"""POST/GET /api/v1/items: creation, idempotency, what the item document says."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.support.factories import image_bytes, text_item
from workbench import settings as workbench_settings
from workbench.extensions import db
from workbench.models import AuditEvent, Blob, Item
from workbench.services.privacy.pseudonyms import pseudonymise


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_text_item_is_created_and_described(app, api):
    response = api.post_json("/items", text_item(language="de", content_date="2026-11-01T10:00:00Z"))
    assert response.status_code == 201, response.json
    body = response.json
    assert body["status"] == "received"
    assert body["url"] == f"/api/v1/items/{body['id']}"
    assert response.headers["Location"] == body["url"]

    document = api.get(f"/items/{body['id']}").json
    assert document["kind"] == "text"
    assert document["country"] == "DE"
    assert document["language"] == "de"
    assert document["content_date"] == "2026-11-01T10:00:00Z"
    assert document["text"] == "Hallo Welt"
    # The platform's user id is never stored, only its keyed pseudonym.
    with app.app_context():
        client_id = db.session.get(Item, body["id"]).client_id
    assert document["author"] == pseudonymise("test-pseudonym-key", client_id, "user-42")
    assert document["author"] != "user-42"


def test_creation_writes_its_audit_event_in_the_same_transaction(app, api):
    item_id = api.post_json("/items", text_item()).json["id"]
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.object_type == "item")).all()
    assert [(e.action, e.object_id, e.actor_type) for e in events] == [("item.created", str(item_id), "api_client")]
    assert "user-42" not in events[0].payload and "Hallo" not in events[0].payload


def test_same_external_id_returns_the_existing_item(app, api):
    first = api.post_json("/items", text_item("dup-1"))
    second = api.post_json("/items", text_item("dup-1", text="something else"))
    assert first.status_code == 201
    assert second.status_code == 200
    assert second.json["id"] == first.json["id"]
    assert count(app, Item) == 1


def test_same_external_id_from_another_client_is_another_item(app, api, client):
    from tests.support.api import ApiHelper
    from tests.support.factories import make_api_key

    other = ApiHelper(client, make_api_key(app, "other-platform"))
    assert api.post_json("/items", text_item("shared")).status_code == 201
    assert other.post_json("/items", text_item("shared")).status_code == 201
    assert count(app, Item) == 2


def test_a_client_cannot_read_another_clients_item(app, api, client):
    from tests.support.api import ApiHelper
    from tests.support.factories import make_api_key

    item_id = api.post_json("/items", text_item()).json["id"]
    other = ApiHelper(client, make_api_key(app, "other-platform"))
    response = other.get(f"/items/{item_id}")
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"


def test_lookup_by_external_id(app, api):
    item_id = api.post_json("/items", text_item("lookup-me")).json["id"]
    assert api.get("/items?external_id=lookup-me").json["id"] == item_id
    assert api.get("/items?external_id=nope").status_code == 404


def test_image_item_stores_a_content_addressed_blob(app, api):
    data = image_bytes("PNG")
    response = api.post_image(data, external_id="img-1", author_id="u1", country="FR", text="caption")
    assert response.status_code == 201, response.json
    document = api.get(f"/items/{response.json['id']}").json
    assert document["kind"] == "image"
    assert document["blob"]["mime"] == "image/png"
    assert document["blob"]["size"] == len(data)
    assert (document["blob"]["width"], document["blob"]["height"]) == (64, 48)
    import hashlib

    sha = hashlib.sha256(data).hexdigest()
    assert document["blob"]["sha256"] == sha
    stored = workbench_settings.of(app).blob_dir + f"/{sha[:2]}/{sha[2:4]}/{sha}"
    with open(stored, "rb") as handle:
        assert handle.read() == data


def test_two_items_with_the_same_image_share_one_blob(app, api):
    data = image_bytes("JPEG")
    assert api.post_image(data, external_id="a", author_id="u1", country="FR").status_code == 201
    assert api.post_image(data, external_id="b", author_id="u2", country="FR").status_code == 201
    assert count(app, Item) == 2
    assert count(app, Blob) == 1


def test_every_supported_image_type_is_accepted(app, api):
    for index, fmt in enumerate(("JPEG", "PNG", "GIF", "WEBP")):
        response = api.post_image(
            image_bytes(fmt, color=(index * 50, 10, 10)), external_id=f"t{index}", author_id="u", country="US"
        )
        assert response.status_code == 201, (fmt, response.json)
        assert api.get(f"/items/{response.json['id']}").json["blob"]["mime"] == f"image/{fmt.lower()}"
