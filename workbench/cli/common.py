"""What the command groups share: the actor their changes are audited under, a date argument."""

from __future__ import annotations

from datetime import date

import click

from workbench.audit import Actor

CLI_ACTOR = Actor.system("cli")


class _Date(click.ParamType):
    name = "YYYY-MM-DD"

    def convert(self, value, param, ctx):
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.fail(f"{value!r} is not a date (YYYY-MM-DD)", param, ctx)


DATE = _Date()
