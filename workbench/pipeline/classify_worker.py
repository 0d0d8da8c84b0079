"""The classify worker's start: the classify stage's models, loaded once (`flask classify-worker`).

The models load once, at start, before the worker takes any item: a classifier that
cannot load stops the process with a message saying what to fix and exit status 78
(EX_CONFIG), so a supervisor does not restart it in a loop and no item is scored by
half the configured models. Startup prints which text model is active and why.
"""

from __future__ import annotations

from classifiers.base import ClassifierError
from workbench.pipeline.classify_stage import LoadedClassifiers, classify_enabled, text_model_choice
from workbench.pipeline.stages import get_stage

EXIT_MODELS_DID_NOT_LOAD = 78  # EX_CONFIG from sysexits.h
STAGE = "classify"


class ClassifyWorkerCannotStart(RuntimeError):
    pass


def load_classifiers(settings, echo=print) -> LoadedClassifiers:
    """Load the configured classifiers, telling the operator what is loading and why."""
    if not classify_enabled(settings):
        raise ClassifyWorkerCannotStart(
            "WORKBENCH_CLASSIFIERS is empty: the classify stage is switched off, so there is nothing "
            "for a classify worker to do (set it, e.g. to 'text,nudenet,langid')"
        )
    choice = text_model_choice(settings)
    if choice:
        echo(choice)  # before loading: if Detoxify fails below, the operator knows why it was chosen
    try:
        loaded = get_stage(STAGE).run.load(settings)
    except ClassifierError as exc:
        raise ClassifyWorkerCannotStart(f"a classifier cannot load: {exc}") from exc
    for line in loaded.describe()[1 if choice else 0 :]:
        echo(line)
    return loaded
