"""The sweeper's rounds (`flask pipeline sweeper`): what keeps the workbench whole over time.

Every interval: re-queue items that Redis or a dead worker lost (sweeper.py), queue webhook
retries whose job Redis lost, store a sample of the /metrics figures for the operations
dashboard. Less often: sign the audit log's head (WORKBENCH_CHECKPOINT_INTERVAL_S), and run
retention and export expiry (WORKBENCH_RETENTION_INTERVAL_S). Rounds are safe to run in
several sweepers at once; a failed round (Redis or the database away) is retried next time.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from flask import Flask

from workbench.audit.checkpoints import create_checkpoint
from workbench.audit.keys import signer_key
from workbench.extensions import db, get_redis
from workbench.metrics.samples import sample_if_due
from workbench.pipeline.sweeper import sweep, sweep_settings
from workbench.queues import enqueue_item_webhooks
from workbench.services.exports.expiry import expire_exports
from workbench.services.privacy.retention import run_retention_round
from workbench.services.webhooks.delivery import due_items
from workbench.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class Periodic:
    app: Flask
    settings: Settings  # the app's, taken once at start
    last_checkpoint: float = 0.0
    last_retention: float = 0.0

    def run_round(self) -> None:
        settings = self.settings
        session = db.session
        try:
            sweep(session, sweep_settings(settings))
            for item_id in due_items(session):  # webhook retries whose job Redis lost
                enqueue_item_webhooks(item_id)
            sample_if_due(session, get_redis(), settings)  # the operations dashboard
            if time.monotonic() - self.last_checkpoint >= settings.checkpoint_interval_s:
                create_checkpoint(session, signer_key(self.app))  # sign the audit log's head
                self.last_checkpoint = time.monotonic()
            every = settings.retention_interval_s
            if every > 0 and time.monotonic() - self.last_retention >= every:
                self.last_retention = time.monotonic()  # a failing round waits for the next interval
                run_retention_round(session, settings)
                expire_exports(session, settings.export_dir, keep_days=settings.export_keep_days)
        except Exception:  # noqa: BLE001 - one failed round must not stop the sweeper; logged, retried
            session.rollback()
            log.exception("sweep failed; retrying in %ss", settings.sweep_interval_s)
        finally:
            session.remove()

    def run_forever(self, interval_s: float | None = None) -> None:
        interval_s = interval_s or self.settings.sweep_interval_s
        while True:
            self.run_round()
            time.sleep(interval_s)
