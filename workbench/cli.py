"""flask commands: clients, users, worker, pipeline sweeper, demo data, embedded Redis."""
from __future__ import annotations

import time

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from workbench.audit import Actor
from workbench.extensions import db
from workbench.users_cli import users_cli  # `flask users …` lives in its own module

CLI_ACTOR = Actor.system("cli")

clients_cli = AppGroup("clients", help="API clients (platforms).")
pipeline_cli = AppGroup("pipeline", help="The item pipeline.")
demo_cli = AppGroup("demo", help="Demo data.")


@clients_cli.command("create")
@click.argument("name")
@click.option("--scope", "scopes", multiple=True, help="What the key may do (repeat, or comma-separate); "
              "default: items, reports, appeals, webhooks. See `flask clients scopes`.")
def create_client_command(name: str, scopes: tuple[str, ...]) -> None:
    """Create an API client and print its key (shown only once)."""
    from workbench.clients_cli import create_with_scopes
    create_with_scopes(name, scopes)


@click.command("worker")
@click.option("--burst", is_flag=True, help="Exit when the queue is empty.")
@click.option("--queue", "queues", multiple=True, help="Queue name(s); default: the pipeline queue, then the import queue.")
@click.option("--name", help="Worker name shown in /healthz and RQ tools.")
def worker_command(burst: bool, queues: tuple[str, ...], name: str | None) -> None:
    """Run a pipeline worker (models and DB connections load once per process)."""
    from workbench.jobs.worker import run_worker
    run_worker(list(queues) or None, burst=burst, name=name)


@pipeline_cli.command("sweep")
def sweep_once_command() -> None:
    """Requeue items that Redis or a dead worker lost, once."""
    from workbench.pipeline.sweeper import settings_from_config, sweep
    requeued = sweep(db.session, settings_from_config(current_app.config))
    click.echo(f"requeued {len(requeued)} item(s)")
    from workbench.extensions import get_redis
    from workbench.metrics.samples import sample_if_due
    click.echo(f"stored {sample_if_due(db.session, get_redis(), current_app.config)} metric sample row(s)")


@pipeline_cli.command("sweeper")
@click.option("--interval", type=float, help="Seconds between sweeps (default WORKBENCH_SWEEP_INTERVAL_S).")
def sweeper_loop_command(interval: float | None) -> None:
    """Sweep forever (run one per deployment, or several: sweeps are safe to overlap)."""
    from workbench.pipeline.sweeper import settings_from_config, sweep
    from workbench.audit.checkpoints import create_checkpoint
    from workbench.audit.cli import signing_key
    from workbench.jobs.webhooks import enqueue_item_webhooks
    from workbench.services.webhooks import due_items
    from workbench.extensions import get_redis
    from workbench.metrics.samples import sample_if_due
    interval = interval or current_app.config["WORKBENCH_SWEEP_INTERVAL_S"]
    checkpoint_every = current_app.config["WORKBENCH_CHECKPOINT_INTERVAL_S"]
    retention_every = current_app.config["WORKBENCH_RETENTION_INTERVAL_SECONDS"]
    from workbench.retention_cli import run_retention_now
    from workbench.services.export_expiry import expire_exports
    last_retention = 0.0
    settings = settings_from_config(current_app.config)
    last_checkpoint = 0.0
    while True:
        try:
            sweep(db.session, settings)
            for item_id in due_items(db.session):  # webhook retries whose job Redis lost
                enqueue_item_webhooks(item_id)
            sample_if_due(db.session, get_redis(), current_app.config)  # the operations dashboard
            if time.monotonic() - last_checkpoint >= checkpoint_every:
                create_checkpoint(db.session, signing_key())  # sign the audit log's head
                last_checkpoint = time.monotonic()
            if retention_every > 0 and time.monotonic() - last_retention >= retention_every:
                last_retention = time.monotonic()  # a failing round waits for the next interval
                run_retention_now()  # purge stored files whose retention ended (services/retention.py)
                expire_exports(db.session, current_app.config["WORKBENCH_EXPORT_DIR"],
                               keep_days=current_app.config["WORKBENCH_EXPORT_KEEP_DAYS"])
        except Exception:  # a failed round (Redis or the database down) is retried next time
            db.session.rollback()
            current_app.logger.exception("sweep failed; retrying in %ss", interval)
        finally:
            db.session.remove()
        time.sleep(interval)


@demo_cli.command("seed")
@click.option("--base-url", default="http://127.0.0.1:5000", show_default=True)
@click.option("--wait/--no-wait", default=True, help="Wait for the demo items to reach a final status.")
def demo_seed_command(base_url: str, wait: bool) -> None:
    """Create demo users and a demo API client; push demo items through the real API."""
    from workbench.demo import seed
    seed(base_url, wait=wait, echo=click.echo)


@click.command("redis-server")
def redis_server_command() -> None:
    """Run the embedded Redis server in the foreground (when REDIS_URL is unset)."""
    from workbench.embedded_redis import EmbeddedRedis
    config = current_app.config
    if not config["REDIS_EMBEDDED"]:
        raise click.ClickException("REDIS_URL is set: use that server")
    server = EmbeddedRedis(config["REDIS_EMBEDDED_SOCKET"], current_app.instance_path + "/redis").start()
    click.echo(f"embedded Redis at {server.url}; Ctrl-C stops it")
    try:
        server.process.wait()
    except KeyboardInterrupt:
        server.stop()


def init_app(app: Flask) -> None:
    from workbench.audit.cli import audit_cli, export_cli
    from workbench.privacy_cli import privacy_cli
    from workbench.retention_cli import retention_cli
    app.cli.add_command(retention_cli)
    from workbench.policy_cli import policies_cli
    from workbench.banks_cli import banks_cli
    import workbench.media_banks_cli  # noqa: F401  (adds video and music commands to `banks`)
    import workbench.clients_cli  # noqa: F401  (adds list, scopes and set-scopes to `clients`)
    import workbench.bank_access_cli  # noqa: F401  (adds `banks sharing`)
    import workbench.frame_thumbnails_cli  # noqa: F401  (adds `pipeline frame-thumbnails`)
    app.cli.add_command(banks_cli)
    from workbench.jobs.classify_worker import classify_worker_command
    app.cli.add_command(classify_worker_command)
    app.cli.add_command(policies_cli)
    for command in (clients_cli, users_cli, pipeline_cli, demo_cli, worker_command, redis_server_command,
                    audit_cli, export_cli, privacy_cli):
        app.cli.add_command(command)
