"""flask demo seed | redis-server: demo data, and the embedded Redis in the foreground."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from workbench.demo.seed import seed
from workbench.embedded_redis import EmbeddedRedis

demo_cli = AppGroup("demo", help="Demo data.")


@demo_cli.command("seed")
@click.option("--base-url", default="http://127.0.0.1:5000", show_default=True)
@click.option("--wait/--no-wait", default=True, help="Wait for the demo items to reach a final status.")
def demo_seed_command(base_url: str, wait: bool) -> None:
    """Create demo users and a demo API client; push demo items through the real API."""
    seed(base_url, wait=wait, echo=click.echo)


@click.command("redis-server")
def redis_server_command() -> None:
    """Run the embedded Redis server in the foreground (when REDIS_URL is unset)."""
    config = current_app.config
    if not config["REDIS_EMBEDDED"]:
        raise click.ClickException("REDIS_URL is set: use that server")
    server = EmbeddedRedis(config["REDIS_EMBEDDED_SOCKET"], current_app.instance_path + "/redis").start()
    click.echo(f"embedded Redis at {server.url}; Ctrl-C stops it")
    try:
        server.process.wait()
    except KeyboardInterrupt:
        server.stop()
