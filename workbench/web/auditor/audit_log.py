"""The audit log for auditors: search with keyset paging, and one event's inclusion proof."""

from __future__ import annotations

import json
from datetime import UTC

from flask import Response, abort, render_template, request

from workbench.audit.keys import public_key_path, read_public_key
from workbench.extensions import db
from workbench.services.exports.audit_search import AuditQuery, InvalidAuditQuery, inclusion_document, search_events
from workbench.settings import current as current_settings
from workbench.web.auditor.blueprint import bp
from workbench.web.auditor.forms import AuditSearchForm
from workbench.web.permissions import require_permission


def _utc(value):
    return value.replace(tzinfo=UTC) if value is not None else None


@bp.get("/audit")
@require_permission("audit.view")
def audit_log():
    form = AuditSearchForm(formdata=request.args)
    page, error, status = None, None, 200
    if form.validate():
        query = AuditQuery(
            object_type=form.object_type.data or None,
            object_id=form.object_id.data or None,
            actor=form.actor.data or None,
            action=form.action.data or None,
            since=_utc(form.since.data),
            until=_utc(form.until.data),
            before=int(form.before.data) if form.before.data else None,
        )
        try:
            page = search_events(db.session, query)
        except InvalidAuditQuery as exc:
            getattr(form, exc.field).errors.append(exc.message)
            error, status = exc.message, 400
    else:
        error, status = "Some filters are not valid: see the fields marked below.", 400
    db.session.rollback()
    filters = {key: value for key, value in request.args.items() if key != "before" and value}
    return render_template("auditor/audit_log.html", form=form, page=page, error=error, filters=filters), status


@bp.get("/audit/events/<int:event_id>/proof.json")
@require_permission("audit.view")
def event_proof(event_id: int):
    # The published public key only: the web process never opens (or creates) the private key.
    public_key = read_public_key(public_key_path(current_settings()))
    document = inclusion_document(db.session, event_id, public_key)
    db.session.rollback()
    if document is None:
        abort(404)
    return Response(
        json.dumps(document, indent=2, ensure_ascii=False),
        mimetype="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="audit-event-{event_id}-proof.json"',
            "Cache-Control": "private, no-store",
        },
    )
