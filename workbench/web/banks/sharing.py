"""The bank form's staff-only settings: which platforms may see the bank, and who owns it."""

from __future__ import annotations

from sqlalchemy import select

from workbench.extensions import db
from workbench.models import ApiClient
from workbench.services.banks.access import parse_sharing_fields


def with_owner_choices(form):
    """`form` with every API client as a possible owner (besides staff)."""
    clients = db.session.execute(select(ApiClient.id, ApiClient.name).order_by(ApiClient.name)).all()
    form.owner_client_id.choices = [("", "Staff: matches every platform's items")] + [
        (str(client_id), f"{name}: matches only its items; it may change the bank over the API")
        for client_id, name in clients
    ]
    return form


def sharing_fields(form) -> dict:
    """Validated visibility and owner from the form (ValidationFailed names the field)."""
    return parse_sharing_fields(db.session, form.sharing_values())
