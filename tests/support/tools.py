"""Running the workbench on a host that lacks a system tool, without uninstalling it."""

from __future__ import annotations

import os
from pathlib import Path


def path_without(tool: str, folder: Path) -> str:
    """A PATH (one folder of links) that reaches every program the current PATH does except `tool`."""
    folder.mkdir()
    for directory in os.environ["PATH"].split(os.pathsep):
        if not os.path.isdir(directory):
            continue
        for name in os.listdir(directory):
            target, link = os.path.join(directory, name), folder / name
            if name != tool and not link.exists() and os.access(target, os.X_OK):
                link.symlink_to(target)
    return str(folder)
