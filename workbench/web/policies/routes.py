"""Packs, drafts, versions, diff, publish and rollback."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from workbench.audit import Actor
from workbench.extensions import db
from workbench.services.policy import packs
from workbench.services.policy.backtests import backtests_of
from workbench.services.policy.stats import diff_texts, text_for
from workbench.web.permissions import require_permission
from workbench.web.policies.blueprint import bp
from workbench.web.policies.forms import ActionForm, BacktestForm, DraftForm, NewPackForm, PublishForm, RollbackForm


def current_actor() -> Actor:
    return Actor.user(current_user.id)


def pack_or_404(jurisdiction: str):
    try:
        return packs.get_pack(db.session, jurisdiction)
    except packs.PackNotFound:
        abort(404)


def draft_or_404(pack, draft_id: int):
    try:
        return packs.get_draft(db.session, pack, draft_id)
    except packs.DraftNotFound:
        abort(404)


@bp.get("/")
@require_permission("policies.view")
def index():
    if not packs.list_packs(db.session):
        packs.ensure_default_packs(db.session)  # first use of a new install
    return render_template(
        "policies/index.html",
        packs=packs.list_packs(db.session),
        form=NewPackForm(),
        backtests=backtests_of(db.session, limit=10),
    )


@bp.post("/packs")
@require_permission("policies.edit")
def create_pack():
    form = NewPackForm()
    if form.validate_on_submit():
        try:
            pack = packs.create_pack(db.session, form.jurisdiction.data, current_actor())
            return redirect(url_for("policies.pack", jurisdiction=pack.jurisdiction))
        except packs.InvalidJurisdiction as exc:
            form.jurisdiction.errors.append(str(exc))
    return render_template(
        "policies/index.html",
        packs=packs.list_packs(db.session),
        form=form,
        backtests=backtests_of(db.session, limit=10),
    ), 422


@bp.get("/<jurisdiction>")
@require_permission("policies.view")
def pack(jurisdiction: str):
    pack = pack_or_404(jurisdiction)
    versions = packs.versions_of(db.session, pack)
    return render_template(
        "policies/pack.html",
        pack=pack,
        versions=versions,
        current=versions[0] if versions else None,
        drafts=packs.drafts_of(db.session, pack),
        backtests=backtests_of(db.session, pack),
        action_form=ActionForm(),
        rollback_form=RollbackForm(),
    )


@bp.post("/<jurisdiction>/drafts")
@require_permission("policies.edit")
def new_draft(jurisdiction: str):
    pack = pack_or_404(jurisdiction)
    if not ActionForm().validate_on_submit():
        abort(400)
    number = request.args.get("from", type=int)
    try:
        draft = packs.create_draft(db.session, pack, current_actor(), from_number=number)
    except packs.PackNotFound:
        abort(404)
    return redirect(url_for("policies.draft", jurisdiction=pack.jurisdiction, draft_id=draft.id))


def render_draft(pack, draft, form, report, status=200, publish_form=None, backtest_form=None):
    current = packs.current_version(db.session, pack)
    return render_template(
        "policies/draft.html",
        pack=pack,
        draft=draft,
        form=form,
        report=report,
        current=current,
        publish_form=publish_form or PublishForm(),
        backtest_form=backtest_form or BacktestForm(),
        backtests=[b for b in backtests_of(db.session, pack) if b.draft_id == draft.id],
    ), status


@bp.get("/<jurisdiction>/drafts/<int:draft_id>")
@require_permission("policies.view")
def draft(jurisdiction: str, draft_id: int):
    pack = pack_or_404(jurisdiction)
    draft = draft_or_404(pack, draft_id)
    form = DraftForm(data={"text": draft.text})
    return render_draft(pack, draft, form, packs.validate_for_pack(draft.text, pack.jurisdiction))


@bp.post("/<jurisdiction>/drafts/<int:draft_id>")
@require_permission("policies.edit")
def save_draft(jurisdiction: str, draft_id: int):
    pack = pack_or_404(jurisdiction)
    draft = draft_or_404(pack, draft_id)
    form = DraftForm()
    if not form.validate_on_submit():
        return render_draft(pack, draft, form, packs.validate_for_pack(form.text.data or "", pack.jurisdiction), 422)
    try:
        saved = packs.save_draft(db.session, draft, form.text.data or "", current_actor())
    except packs.DraftClosed as exc:
        form.text.errors.append(str(exc))
        return render_draft(pack, draft, form, packs.validate_for_pack(draft.text, pack.jurisdiction), 409)
    if not saved.stored:  # the submitted text stays in the form; the stored draft is unchanged
        form.text.errors.append(f"Not saved: {saved.report.errors[0]}")
        return render_draft(pack, draft, form, saved.report, 422)
    if saved.report.valid:
        flash("Draft saved. It has no errors" + (" (see the warnings)." if saved.report.warnings else "."))
    else:
        flash(f"Draft saved with {len(saved.report.errors)} error(s): it cannot be published until they are fixed.")
    return render_draft(
        pack, draft, DraftForm(data={"text": draft.text}), saved.report, 200 if saved.report.valid else 422
    )


@bp.post("/<jurisdiction>/drafts/<int:draft_id>/publish")
@require_permission("policies.publish")
def publish(jurisdiction: str, draft_id: int):
    pack = pack_or_404(jurisdiction)
    draft = draft_or_404(pack, draft_id)
    form = PublishForm()
    report = packs.validate_for_pack(draft.text, pack.jurisdiction)
    if not form.validate_on_submit():
        return render_draft(pack, draft, DraftForm(data={"text": draft.text}), report, 422, publish_form=form)
    try:
        version = packs.publish_draft(db.session, draft, current_actor(), form.note.data)
    except packs.PublishRefused as exc:
        flash("Not published: the draft has errors. The version in force is unchanged.")
        return render_draft(pack, draft, DraftForm(data={"text": draft.text}), exc.report, 422)
    except packs.DraftClosed as exc:
        flash(str(exc))
        return redirect(url_for("policies.pack", jurisdiction=pack.jurisdiction))
    flash(f"Published {pack.jurisdiction} version {version.number}; it applies to the next item evaluated.")
    return redirect(url_for("policies.pack", jurisdiction=pack.jurisdiction))


@bp.get("/<jurisdiction>/versions/<int:number>")
@require_permission("policies.view")
def version(jurisdiction: str, number: int):
    pack = pack_or_404(jurisdiction)
    try:
        version = packs.get_version(db.session, pack, number)
    except packs.PackNotFound:
        abort(404)
    return render_template(
        "policies/version.html",
        pack=pack,
        version=version,
        current=packs.current_version(db.session, pack),
        action_form=ActionForm(),
        rollback_form=RollbackForm(),
    )


@bp.post("/<jurisdiction>/versions/<int:number>/rollback")
@require_permission("policies.publish")
def rollback(jurisdiction: str, number: int):
    pack = pack_or_404(jurisdiction)
    form = RollbackForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        version = packs.rollback_to(db.session, pack, number, current_actor(), form.note.data or "")
    except packs.PackNotFound:
        abort(404)
    except packs.PublishRefused as exc:
        flash(f"Version {number} no longer validates ({exc}); nothing was published.")
        return redirect(url_for("policies.version", jurisdiction=pack.jurisdiction, number=number))
    flash(f"Rolled back: version {version.number} republishes the text of version {number}.")
    return redirect(url_for("policies.pack", jurisdiction=pack.jurisdiction))


@bp.get("/<jurisdiction>/diff")
@require_permission("policies.view")
def diff(jurisdiction: str):
    pack = pack_or_404(jurisdiction)
    versions = packs.versions_of(db.session, pack)
    drafts = packs.drafts_of(db.session, pack)
    default_new = f"v{versions[0].number}" if versions else ""
    default_old = f"v{versions[1].number}" if len(versions) > 1 else default_new
    old_selector = request.args.get("from", default_old)
    new_selector = request.args.get("to", default_new)
    try:
        old, new = text_for(db.session, pack, old_selector), text_for(db.session, pack, new_selector)
    except (packs.PackNotFound, packs.DraftNotFound) as exc:
        return render_template(
            "policies/diff.html",
            pack=pack,
            versions=versions,
            drafts=drafts,
            old=None,
            new=None,
            result=None,
            error=str(exc),
            old_selector=old_selector,
            new_selector=new_selector,
        ), 404
    return render_template(
        "policies/diff.html",
        pack=pack,
        versions=versions,
        drafts=drafts,
        old=old,
        new=new,
        result=diff_texts(old, new),
        error=None,
        old_selector=old.selector,
        new_selector=new.selector,
    )
