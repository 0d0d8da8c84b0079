"""flask pipeline sweep | sweeper | frame-thumbnails: keeping items moving."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from workbench.cli.common import CLI_ACTOR
from workbench.extensions import db, get_redis
from workbench.metrics.samples import sample_if_due
from workbench.pipeline.frame_thumbnails import backfill
from workbench.pipeline.periodic import Periodic
from workbench.pipeline.sweeper import sweep, sweep_settings
from workbench.services.blobstore import BlobStore
from workbench.settings import current as current_settings

pipeline_cli = AppGroup("pipeline", help="The item pipeline.")


@pipeline_cli.command("sweep")
def sweep_once_command() -> None:
    """Requeue items that Redis or a dead worker lost, once."""
    requeued = sweep(db.session, sweep_settings(current_settings()))
    click.echo(f"requeued {len(requeued)} item(s)")
    click.echo(f"stored {sample_if_due(db.session, get_redis(), current_settings())} metric sample row(s)")


@pipeline_cli.command("sweeper")
@click.option("--interval", type=float, help="Seconds between sweeps (default WORKBENCH_SWEEP_INTERVAL_S).")
def sweeper_loop_command(interval: float | None) -> None:
    """Sweep forever (run one per deployment, or several: sweeps are safe to overlap)."""
    Periodic(current_app._get_current_object(), current_settings()).run_forever(interval)


@pipeline_cli.command("frame-thumbnails")
@click.option("--limit", type=int, default=None, help="At most this many videos (default: all).")
def frame_thumbnails_command(limit: int | None) -> None:
    """Make the case-page frame thumbnails of classified videos that have none (it decodes: run
    it next to the workers)."""
    report = backfill(db.session, BlobStore(current_settings().blob_dir), current_settings(), CLI_ACTOR, limit=limit)
    click.echo(
        f"made thumbnails for {len(report.made)} video(s); {len(report.undecodable)} could not be decoded, "
        f"{len(report.missing)} file(s) missing"
    )
