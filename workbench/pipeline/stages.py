"""The registry of pipeline stages.

The order is fixed here; each feature registers the stage it delivers. An item moves
through the stages that are registered, so a stage that does not exist yet is simply
absent, never faked.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from sqlalchemy.orm import Session

STAGE_ORDER = ("hash", "classify", "policy", "route")


class UnknownStage(KeyError):
    pass


@dataclass(frozen=True)
class StageContext:
    """What stages need besides the session; built once per worker process."""
    blob_store: Any
    config: dict


# A stage writes its rows for the item (idempotently: running it twice leaves the same
# rows) and returns a small summary for the audit event. It must not commit.
StageFunction = Callable[[Session, Any, StageContext], dict]


@dataclass(frozen=True)
class Stage:
    name: str
    run: StageFunction


_registered: dict[str, Stage] = {}


def register_stage(name: str, run: StageFunction) -> None:
    if name not in STAGE_ORDER:
        raise UnknownStage(f"{name!r} is not one of the pipeline stages {STAGE_ORDER}")
    _registered[name] = Stage(name, run)


def registered_stages() -> tuple[Stage, ...]:
    return tuple(_registered[name] for name in STAGE_ORDER if name in _registered)


def stages_after(completed: str | None) -> tuple[Stage, ...]:
    """The stages still to run for an item whose last completed stage is `completed`."""
    stages = registered_stages()
    if completed is None:
        return stages
    if completed not in STAGE_ORDER:
        raise UnknownStage(completed)
    done_index = STAGE_ORDER.index(completed)
    return tuple(stage for stage in stages if STAGE_ORDER.index(stage.name) > done_index)
