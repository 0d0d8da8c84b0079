"""A test-only fault-injection hook: make a worker stop dead inside a pipeline stage.

The crash tests (tests/workbench/faults/test_worker_killed.py) start real worker processes
with these environment variables, wait until the worker says it has paused, and SIGKILL it:

  WORKBENCH_FAULT_PAUSE_STAGE  hash | classify | policy | route: the stage to pause in
  WORKBENCH_FAULT_PAUSE_AT     before_commit (default): the stage's rows are written but not
                               committed; after_commit: committed, the job not yet finished
  WORKBENCH_FAULT_PAUSE_DIR    folder for the marker files (required)

At the pause point the process writes `<dir>/paused-<stage>-<at>` (its pid inside) and
blocks until `<dir>/release` exists. Never set these in production. Unset (the default),
`pause_point` is one dictionary lookup and returns at once: it is read from the
environment only, never from the database or a request, so nothing outside the process
can switch it on.
"""

from __future__ import annotations

import os
import time

STAGE_VARIABLE = "WORKBENCH_FAULT_PAUSE_STAGE"
AT_VARIABLE = "WORKBENCH_FAULT_PAUSE_AT"
DIR_VARIABLE = "WORKBENCH_FAULT_PAUSE_DIR"
MOMENTS = ("before_commit", "after_commit")


def marker_name(stage: str, at: str) -> str:
    return f"paused-{stage}-{at}"


def pause_point(stage: str, at: str) -> None:
    """Block here forever (until released) if the environment asks for this stage and moment."""
    wanted = os.environ.get(STAGE_VARIABLE)
    if not wanted:
        return
    if wanted != stage or os.environ.get(AT_VARIABLE, "before_commit") != at:
        return
    folder = os.environ.get(DIR_VARIABLE)
    if not folder:
        return
    release = os.path.join(folder, "release")
    with open(os.path.join(folder, marker_name(stage, at)), "w") as marker:
        marker.write(str(os.getpid()))
    while not os.path.exists(release):
        time.sleep(0.05)
