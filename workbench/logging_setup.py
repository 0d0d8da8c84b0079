"""One log format for the web server, workers and CLI."""

from __future__ import annotations

import logging

from flask import Flask


def init_app(app: Flask) -> None:
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
