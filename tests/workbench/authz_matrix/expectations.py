"""Who may call what: the readable table the authorisation matrix test checks the app against.

Every endpoint in the URL map (except `static`) must be listed. A value is:
  PUBLIC   anyone, logged in or not
  LOGIN    any logged-in user; anonymous visitors are sent to the login page
  API      an API client's bearer key (/api/v1) that carries the scope API_SCOPES names; no session
           cookie counts
  LOOPBACK /metrics: a bearer token, or a request from the machine itself
  "<permission>"  a logged-in user whose role has it in workbench.services.access.permissions.PERMISSIONS (else 403)
REGION_SCOPED: endpoints that show one case's or appeal's content, keyed by the URL parameter
that names it: out of the user's region they answer 403 or 404, never the content.
"""

from __future__ import annotations

PUBLIC, LOGIN, API, LOOPBACK = "public", "login", "api", "loopback"

EXPECTATIONS: dict[str, str] = {
    # signing in and one's own account
    "auth.login": PUBLIC,
    "auth.login_totp": PUBLIC,
    "auth.logout": LOGIN,
    "health.healthz": PUBLIC,
    "metrics.metrics": LOOPBACK,
    "home.index": LOGIN,
    "account.index": LOGIN,
    "account.password": LOGIN,
    "account.two_factor": LOGIN,
    "account.revoke_sessions": LOGIN,
    "wellness.preferences": LOGIN,
    "wellness.team_exposure": "wellness.team",
    # review
    "review.queues": "cases.decide",
    "review.queue": "cases.decide",
    "review.next_case": "cases.decide",
    "review.case": "cases.decide",
    "review.media": "cases.decide",
    "review.case_video": "cases.decide",
    "review.case_frame": "cases.decide",
    "review.claim": "cases.decide",
    "review.decide": "cases.decide",
    "review.escalate": "cases.decide",
    "review.hold": "cases.decide",
    "review.release": "cases.decide",
    "review.api_decide": "cases.decide",
    "review.api_renew": "cases.decide",
    "review.api_next": "cases.decide",
    # appeals and QA
    "appeals.index": "appeals.decide",
    "appeals.show": "appeals.decide",
    "appeals.next_appeal": "appeals.decide",
    "qa.index": "qa.review",
    "qa.show": "qa.review",
    "qa.next_": "qa.review",
    "qa.agreement": "qa.agreement",
    # policies
    "policies.index": "policies.view",
    "policies.pack": "policies.view",
    "policies.diff": "policies.view",
    "policies.draft": "policies.view",
    "policies.version": "policies.view",
    "policies.backtest": "policies.view",
    "policies.backtest_progress": "policies.view",
    "policies.rule_hit_rates": "policies.view",
    "policies.new_draft": "policies.edit",
    "policies.save_draft": "policies.edit",
    "policies.start_backtest": "policies.edit",
    "policies.requeue_backtest": "policies.edit",
    "policies.create_pack": "policies.edit",
    "policies.test_item": "policies.edit",
    "policies.validate": "policies.edit",
    "policies.publish": "policies.publish",
    "policies.rollback": "policies.publish",
    # hash banks
    "banks.index": "banks.view",
    "banks.bank": "banks.view",
    "banks.import_page": "banks.view",
    "banks.import_status": "banks.view",
    "banks.compare": "banks.view",
    "banks.create": "banks.manage",
    "banks.edit": "banks.manage",
    "banks.export": "banks.manage",
    "banks.disable_entry": "banks.manage",
    "banks.enable_entry": "banks.manage",
    "banks.remove_entry": "banks.manage",
    "banks.image_entries": "banks.manage",
    "banks.paste_entries": "banks.manage",
    "banks.start_import_view": "banks.manage",
    "banks.resume_import": "banks.manage",
    "banks.video_entries": "banks.manage",
    "banks.vpdq_settings": "banks.manage",
    "banks.add_track": "banks.manage",
    "banks.requeue_media_upload": "banks.manage",
    # administration
    "users_admin.index": "users.manage",
    "users_admin.edit": "users.manage",
    "users_admin.create": "users.manage",
    "users_admin.reset_password": "users.manage",
    "users_admin.reset_two_factor": "users.manage",
    "users_admin.revoke_sessions": "users.manage",
    "users_admin.unlock": "users.manage",
    "clients.index": "clients.manage",
    "clients.detail": "clients.manage",
    "clients.replay_delivery": "clients.manage",
    "clients.create": "clients.manage",
    "clients.scopes": "clients.manage",
    # evidence: holds and reports to authorities
    "holds.item": "items.view",
    "holds.place": "holds.manage",
    "holds.extend": "holds.manage",
    "holds.release": "holds.manage",
    "holds.record_report": "holds.manage",
    "holds.record_case": "cases.decide",
    "holds.index": "holds.manage",
    "privacy.erase": "privacy.manage",
    "privacy.export": "privacy.manage",
    # auditors: the audit log and exports; operations
    "auditor.audit_log": "audit.view",
    "auditor.event_proof": "audit.view",
    "auditor.exports_index": "exports.run",
    "auditor.start_export": "exports.run",
    "auditor.export_run": "exports.run",
    "auditor.download_export": "exports.run",
    "auditor.export_progress": "exports.run",
    "transparency.report": "exports.run",
    "operations.dashboard": "ops.dashboard",
    # the platform API
    "api_v1.openapi_json": PUBLIC,
    **{
        f"api_v1.{name}": API
        for name in (
            "create_item",
            "find_item_by_external_id",
            "get_item",
            "post_report",
            "post_appeal",
            "get_appeal_status",
            "get_webhook",
            "put_webhook",
            "rotate_webhook_secret",
            "list_deliveries",
            "list_banks",
            "create_bank",
            "get_bank",
            "update_bank",
            "list_entries",
            "add_entries",
            "get_entry",
            "update_entry",
            "delete_entry",
            "export_bank_list",
            "create_bank_import",
            "get_bank_import",
            "get_bank_import_errors",
            "resume_bank_import",
            "compare_two_images",
        )
    },
}

# The one scope (workbench/services/platforms/scopes.py) each API endpoint needs.
API_SCOPES: dict[str, str] = {
    f"api_v1.{name}": scope
    for scope, names in {
        "items": ("create_item", "find_item_by_external_id", "get_item"),
        "reports": ("post_report",),
        "appeals": ("post_appeal", "get_appeal_status"),
        "webhooks": ("get_webhook", "put_webhook", "rotate_webhook_secret", "list_deliveries"),
        "banks:read": ("list_banks", "get_bank", "list_entries", "get_entry", "export_bank_list", "compare_two_images"),
        "banks:write": (
            "create_bank",
            "update_bank",
            "add_entries",
            "update_entry",
            "delete_entry",
            "create_bank_import",
            "get_bank_import",
            "get_bank_import_errors",
            "resume_bank_import",
        ),
    }.items()
    for name in names
}

REGION_SCOPED: dict[str, str] = {
    "review.case": "case_id",
    "review.media": "case_id",
    "review.case_video": "case_id",
    "review.case_frame": "case_id",
    "appeals.show": "appeal_id",
    "qa.show": "sample_id",
    "holds.item": "item_id",
    "holds.place": "item_id",
    "holds.extend": "item_id",
    "holds.release": "item_id",
    "holds.record_report": "item_id",
    "holds.record_case": "case_id",
}
