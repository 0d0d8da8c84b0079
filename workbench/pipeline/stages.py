"""The registry of pipeline stages.

The order is fixed here; each feature registers the stage it delivers. An item moves
through the stages that are registered (and enabled by the configuration), so a stage
that does not exist yet is simply absent, never faked.

Most stages run inside the item's RQ job. A *batched* stage (classify: models are many
times faster per item in batches) is handed off instead: the job puts the item on the
stage's batch queue in Redis and ends, a dedicated batch worker runs the stage for many
items at once, then queues the item's job again for the stages after it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.orm import Session

from workbench.models.item import STAGE_ORDER
from workbench.services.blobstore import BlobStore
from workbench.settings import Settings


class UnknownStage(KeyError):
    pass


@dataclass(frozen=True)
class StageContext:
    """What stages need besides the session; built once per worker process."""

    blob_store: Any
    settings: Settings


# A stage writes its rows for the item (idempotently: running it twice leaves the same
# rows) and returns a small summary for the audit event. It must not commit.
StageFunction = Callable[[Session, Any, StageContext], dict]


@dataclass(frozen=True)
class ItemSnapshot:
    """What a batched stage reads about an item, copied out of the database so that no
    transaction stays open while the models run."""

    id: int
    kind: str
    text: str | None
    blob_sha256: str | None
    language: str | None
    language_source: str | None = None


@dataclass(frozen=True)
class BatchOutcome:
    """What a batched stage made of one item. `failure` set: the item is retried (or ends
    in `error` when `retryable` is False or the retries are used up)."""

    summary: dict
    item_values: dict  # columns of the item to update with the stage's progress
    failure: str | None = None
    retryable: bool = True


class BatchStage(Protocol):
    """The three steps of a batched stage. The batch worker calls `load` once at start
    (raising if a model cannot load), `compute` once per batch outside any transaction,
    and `store` inside the transaction that also records each item's progress."""

    def load(self, settings: Settings) -> Any: ...

    def compute(self, items: Sequence[ItemSnapshot], ctx: StageContext, loaded: Any) -> dict[int, Any]: ...

    def store(
        self,
        session: Session,
        items: Sequence[ItemSnapshot],
        results: Mapping[int, Any],
        ctx: StageContext,
        loaded: Any,
    ) -> dict[int, BatchOutcome]: ...


@dataclass(frozen=True)
class Stage:
    name: str
    run: Any  # a StageFunction, or a BatchStage when `batched`
    batched: bool = False
    # None: always on. Otherwise settings -> bool (classify is off when no classifier is configured).
    enabled: Callable[[Mapping[str, Any]], bool] | None = None

    def is_enabled(self, settings: Settings | None) -> bool:
        return self.enabled is None or settings is None or bool(self.enabled(settings))


_registered: dict[str, Stage] = {}


def register_stage(
    name: str, run: Any, *, batched: bool = False, enabled: Callable[[Mapping[str, Any]], bool] | None = None
) -> Stage | None:
    """Register (or replace) a stage; returns the stage it replaced, if any."""
    if name not in STAGE_ORDER:
        raise UnknownStage(f"{name!r} is not one of the pipeline stages {STAGE_ORDER}")
    previous = _registered.get(name)
    _registered[name] = Stage(name, run, batched=batched, enabled=enabled)
    return previous


def restore_stage(name: str, previous: Stage | None) -> None:
    """Undo a register_stage() (tests that swap a stage in put the real one back)."""
    if previous is None:
        _registered.pop(name, None)
    else:
        _registered[name] = previous


def get_stage(name: str) -> Stage:
    try:
        return _registered[name]
    except KeyError:
        raise UnknownStage(name) from None


def registered_stages(settings: Settings | None = None) -> tuple[Stage, ...]:
    """The registered stages in pipeline order; with `settings`, only the enabled ones."""
    return tuple(
        _registered[name] for name in STAGE_ORDER if name in _registered and _registered[name].is_enabled(settings)
    )


def stages_after(completed: str | None, settings: Settings | None = None) -> tuple[Stage, ...]:
    """The stages still to run for an item whose last completed stage is `completed`."""
    stages = registered_stages(settings)
    if completed is None:
        return stages
    if completed not in STAGE_ORDER:
        raise UnknownStage(completed)
    done_index = STAGE_ORDER.index(completed)
    return tuple(stage for stage in stages if STAGE_ORDER.index(stage.name) > done_index)


def next_stage(completed: str | None, settings: Settings | None = None) -> Stage | None:
    remaining = stages_after(completed, settings)
    return remaining[0] if remaining else None


def batched_stages(settings: Settings | None = None) -> tuple[Stage, ...]:
    return tuple(stage for stage in registered_stages(settings) if stage.batched)


def stage_context(app, settings: Settings) -> StageContext:
    """The worker process's StageContext for the app's `settings` (built on first use, kept on the app)."""
    cached = app.extensions.get("workbench_stage_context")
    if cached is None or cached.settings is not settings:  # rebuilt when the app's settings are replaced
        cached = StageContext(blob_store=BlobStore(settings.blob_dir), settings=settings)
        app.extensions["workbench_stage_context"] = cached
    return cached
