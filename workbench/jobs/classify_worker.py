"""`flask classify-worker`: the process that runs the classify stage in batches.

The models load once, at start, before the worker takes any item: a classifier that
cannot load stops the process with a message saying what to fix and exit status 78
(EX_CONFIG), so a supervisor does not restart it in a loop and no item is scored by
half the configured models. Startup prints which text model is active and why.
"""
from __future__ import annotations

import signal
import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from classifiers.base import ClassifierError
from workbench.pipeline.classify_stage import LoadedClassifiers, classify_enabled, text_model_choice

EXIT_MODELS_DID_NOT_LOAD = 78  # EX_CONFIG from sysexits.h
STAGE = "classify"


class ClassifyWorkerCannotStart(RuntimeError):
    pass


def load_classifiers(config, echo=click.echo) -> LoadedClassifiers:
    """Load the configured classifiers, telling the operator what is loading and why."""
    from workbench.pipeline.stages import get_stage
    if not classify_enabled(config):
        raise ClassifyWorkerCannotStart(
            "WORKBENCH_CLASSIFIERS is empty: the classify stage is switched off, so there is nothing "
            "for a classify worker to do (set it, e.g. to 'text,nudenet,langid')")
    choice = text_model_choice(config)
    if choice:
        echo(choice)  # before loading: if Detoxify fails below, the operator knows why it was chosen
    try:
        loaded = get_stage(STAGE).run.load(config)
    except ClassifierError as exc:
        raise ClassifyWorkerCannotStart(f"a classifier cannot load: {exc}") from exc
    for line in loaded.describe()[1 if choice else 0:]:
        echo(line)
    return loaded


@click.command("classify-worker")
@click.option("--name", help="Worker name shown in /healthz (default: host.pid).")
@click.option("--burst", is_flag=True, help="Exit when no item is waiting.")
@click.option("--batch-size", type=int, help="Default: WORKBENCH_CLASSIFY_BATCH_SIZE.")
@click.option("--wait-ms", type=int, help="Default: WORKBENCH_CLASSIFY_BATCH_WAIT_MS.")
@with_appcontext
def classify_worker_command(name: str | None, burst: bool, batch_size: int | None, wait_ms: int | None) -> None:
    """Run the classify stage: models load once, items are classified in batches."""
    from workbench.pipeline.batch_worker import BatchWorker
    app = current_app._get_current_object()
    try:
        loaded = load_classifiers(app.config)
    except ClassifyWorkerCannotStart as exc:
        click.echo(f"classify worker cannot start: {exc}", err=True)
        sys.exit(EXIT_MODELS_DID_NOT_LOAD)
    worker = BatchWorker(app, STAGE, loaded, name=name, batch_size=batch_size, wait_ms=wait_ms)
    # Ctrl-C / SIGTERM: finish the batch in hand, hand back anything unstarted, exit.
    previous = {signum: signal.signal(signum, lambda *_: worker.stop()) for signum in (signal.SIGTERM, signal.SIGINT)}
    click.echo(f"classify worker {worker.name}: batches of up to {worker.batch_size} items or "
               f"{round(worker.wait_s * 1000)} ms after the first; waiting for items")
    sys.stdout.flush()
    try:
        batches = worker.work(burst=burst)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    click.echo(f"classify worker {worker.name} stopped after {batches} batch(es)")
