"""Running the classify stage in tests: models loaded once per test session, and a drain
that runs the real RQ worker and the real classify batch worker until nothing is left.

The models load through the production path (ClassifyStage.load from the app's
WORKBENCH_* settings) and are cached per settings, so each model set loads once per session.
"""

from __future__ import annotations

from workbench import settings as workbench_settings
from workbench.pipeline.classify_stage import ClassifyStage, LoadedClassifiers, classifier_settings, classify_enabled

_loaded: dict[tuple, LoadedClassifiers] = {}


def loaded_classifiers(settings) -> LoadedClassifiers:
    key = (settings.classifiers, tuple(sorted(classifier_settings(settings).items())))
    if key not in _loaded:
        _loaded[key] = ClassifyStage().load(settings)
    return _loaded[key]


def classify_worker(app, loaded: LoadedClassifiers | None = None, **options):
    from workbench.pipeline.batch_worker import BatchWorker

    options.setdefault("name", "test-classify-worker")
    options.setdefault("wait_ms", 0)
    settings = workbench_settings.of(app)
    return BatchWorker(app, "classify", loaded or loaded_classifiers(settings), settings=settings, **options)


def drain_pipeline(app, loaded: LoadedClassifiers | None = None, *, max_rounds: int = 50, **options) -> int:
    """RQ burst, then classify batches, again until both queues are empty. Returns the
    number of classify batches run."""
    from workbench.jobs.worker import run_worker
    from workbench.pipeline.batch_queue import batch_queue_for

    batches = 0
    for _ in range(max_rounds):
        with app.app_context():
            run_worker(burst=True, with_scheduler=False)
            if not classify_enabled(workbench_settings.of(app)):
                return batches
            queue = batch_queue_for("classify")
            queue.promote_due()  # retries whose interval has passed
            if queue.counts()["queued"] == 0:
                return batches
        batches += classify_worker(app, loaded, **options).work(burst=True)
    raise AssertionError(f"the pipeline did not drain in {max_rounds} rounds")
