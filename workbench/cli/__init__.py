"""The `flask` command line: one module per command group, registered by `init_app`."""

from __future__ import annotations

from flask import Flask

from workbench.cli.audit import audit_cli
from workbench.cli.banks import banks_cli
from workbench.cli.clients import clients_cli
from workbench.cli.demo import demo_cli, redis_server_command
from workbench.cli.exports import export_cli
from workbench.cli.pipeline import pipeline_cli
from workbench.cli.policies import policies_cli
from workbench.cli.privacy import privacy_cli
from workbench.cli.retention import retention_cli
from workbench.cli.users import users_cli
from workbench.cli.workers import classify_worker_command, worker_command

COMMANDS = (
    audit_cli,
    banks_cli,
    clients_cli,
    demo_cli,
    export_cli,
    pipeline_cli,
    policies_cli,
    privacy_cli,
    retention_cli,
    users_cli,
    classify_worker_command,
    redis_server_command,
    worker_command,
)


def init_app(app: Flask) -> None:
    for command in COMMANDS:
        app.cli.add_command(command)
