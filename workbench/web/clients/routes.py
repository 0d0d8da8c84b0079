"""Admin pages for API clients: webhook URL, the delivery log per attempt, replay."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import StringField
from wtforms.validators import Length, Optional

from workbench.audit import Actor
from workbench.extensions import db
from workbench.models import ApiClient, WebhookDelivery
from workbench.queues import enqueue_item_webhooks
from workbench.services.webhooks.delivery import InvalidWebhookUrl, replay, set_webhook
from workbench.services.webhooks.outbound import public_error
from workbench.settings import current as current_settings
from workbench.web.clients.blueprint import bp
from workbench.web.permissions import require_permission

PAGE_SIZE = 50


class WebhookForm(FlaskForm):
    url = StringField("Webhook URL", validators=[Optional(), Length(max=2000)])


class ReplayForm(FlaskForm):
    pass


@bp.get("/")
@require_permission("clients.manage")
def index():
    clients = db.session.scalars(select(ApiClient).order_by(ApiClient.name)).all()
    counts = {
        (client_id, status): n
        for client_id, status, n in db.session.execute(
            select(WebhookDelivery.client_id, WebhookDelivery.status, func.count()).group_by(
                WebhookDelivery.client_id, WebhookDelivery.status
            )
        ).all()
    }
    return render_template("clients/index.html", clients=clients, counts=counts)


@bp.route("/<int:client_id>", methods=["GET", "POST"])
@require_permission("clients.manage")
def detail(client_id: int):
    client = db.session.get(ApiClient, client_id) or abort(404)
    form = WebhookForm(obj=client if request.method == "GET" else None)
    if request.method == "GET":
        form.url.data = client.webhook_url
    new_secret = None
    if form.validate_on_submit():
        try:
            new_secret = set_webhook(
                db.session,
                client,
                form.url.data or None,
                Actor.user(current_user.id),
                allow_cidrs=current_settings().outbound_allow_cidrs,
            )
        except InvalidWebhookUrl as exc:  # also WebhookUrlNotAllowed; nothing was changed
            form.url.errors.append(str(exc))
    page = max(1, request.args.get("page", 1, type=int))
    deliveries = db.session.scalars(
        select(WebhookDelivery)
        .where(WebhookDelivery.client_id == client.id)
        .order_by(WebhookDelivery.id.desc())
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    ).all()
    return render_template(
        "clients/detail.html",
        client=client,
        form=form,
        new_secret=new_secret,
        deliveries=deliveries,
        page=page,
        page_size=PAGE_SIZE,
        replay_form=ReplayForm(),
        public_error=public_error,
    )


@bp.post("/deliveries/<int:delivery_id>/replay")
@require_permission("clients.manage")
def replay_delivery(delivery_id: int):
    if not ReplayForm().validate_on_submit():
        abort(400)
    try:
        delivery = replay(db.session, delivery_id, Actor.user(current_user.id))
    except LookupError:
        abort(404)
    enqueue_item_webhooks(delivery.item_id)
    flash(f"Delivery {delivery_id} queued again.")
    return redirect(url_for("clients.detail", client_id=delivery.client_id))
