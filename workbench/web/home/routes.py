"""The landing page: pipeline status at a glance."""

from __future__ import annotations

from flask import render_template
from flask_login import login_required
from sqlalchemy import func, select

from workbench.extensions import db
from workbench.models import Item
from workbench.web.home.blueprint import bp


@bp.get("/")
@login_required
def index():
    counts = dict(db.session.execute(select(Item.status, func.count()).group_by(Item.status)).all())
    recent = db.session.scalars(select(Item).order_by(Item.id.desc()).limit(25)).all()
    return render_template("home/index.html", counts=counts, recent=recent)
