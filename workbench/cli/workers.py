"""flask worker | classify-worker: the processes that run the pipeline's jobs and batches."""

from __future__ import annotations

import signal
import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from workbench.jobs.worker import run_worker
from workbench.pipeline.batch_worker import BatchWorker
from workbench.pipeline.classify_worker import (
    EXIT_MODELS_DID_NOT_LOAD,
    STAGE,
    ClassifyWorkerCannotStart,
    load_classifiers,
)
from workbench.settings import of as settings_of


@click.command("worker")
@click.option("--burst", is_flag=True, help="Exit when the queue is empty.")
@click.option(
    "--queue", "queues", multiple=True, help="Queue name(s); default: the pipeline queue, then the import queue."
)
@click.option("--name", help="Worker name shown in /healthz and RQ tools.")
@with_appcontext
def worker_command(burst: bool, queues: tuple[str, ...], name: str | None) -> None:
    """Run a pipeline worker (models and DB connections load once per process)."""
    run_worker(list(queues) or None, burst=burst, name=name)


@click.command("classify-worker")
@click.option("--name", help="Worker name shown in /healthz (default: host.pid).")
@click.option("--burst", is_flag=True, help="Exit when no item is waiting.")
@click.option("--batch-size", type=int, help="Default: WORKBENCH_CLASSIFY_BATCH_SIZE.")
@click.option("--wait-ms", type=int, help="Default: WORKBENCH_CLASSIFY_BATCH_WAIT_MS.")
@with_appcontext
def classify_worker_command(name: str | None, burst: bool, batch_size: int | None, wait_ms: int | None) -> None:
    """Run the classify stage: models load once, items are classified in batches."""
    app = current_app._get_current_object()
    try:
        loaded = load_classifiers(settings_of(app), echo=click.echo)
    except ClassifyWorkerCannotStart as exc:
        click.echo(f"classify worker cannot start: {exc}", err=True)
        sys.exit(EXIT_MODELS_DID_NOT_LOAD)
    worker = BatchWorker(
        app, STAGE, loaded, settings=settings_of(app), name=name, batch_size=batch_size, wait_ms=wait_ms
    )
    # Ctrl-C / SIGTERM: finish the batch in hand, hand back anything unstarted, exit.
    previous = {signum: signal.signal(signum, lambda *_: worker.stop()) for signum in (signal.SIGTERM, signal.SIGINT)}
    click.echo(
        f"classify worker {worker.name}: batches of up to {worker.batch_size} items or "
        f"{round(worker.wait_s * 1000)} ms after the first; waiting for items"
    )
    sys.stdout.flush()
    try:
        batches = worker.work(burst=burst)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    click.echo(f"classify worker {worker.name} stopped after {batches} batch(es)")
