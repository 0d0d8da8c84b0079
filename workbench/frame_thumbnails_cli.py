"""`flask pipeline frame-thumbnails`: thumbnails for videos classified before the classify
worker kept them (workbench/pipeline/frame_thumbnails.py). It decodes: run it next to the workers."""
from __future__ import annotations

import click
from flask import current_app

from workbench.cli import CLI_ACTOR, pipeline_cli
from workbench.extensions import db


@pipeline_cli.command("frame-thumbnails")
@click.option("--limit", type=int, default=None, help="At most this many videos (default: all).")
def frame_thumbnails_command(limit: int | None) -> None:
    """Make the case-page frame thumbnails of classified videos that have none."""
    from workbench.pipeline.frame_thumbnails import backfill
    from workbench.services.blobstore import BlobStore
    report = backfill(db.session, BlobStore(current_app.config["WORKBENCH_BLOB_DIR"]), current_app.config,
                      CLI_ACTOR, limit=limit)
    click.echo(f"made thumbnails for {len(report.made)} video(s); {len(report.undecodable)} could not be decoded, "
               f"{len(report.missing)} file(s) missing")
