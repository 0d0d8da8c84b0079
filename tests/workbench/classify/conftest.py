"""The classify stage on, with the default classifiers (offline text model, NudeNet, langid)
loaded once for the session; a test module can name other classifiers by overriding the
`classifier_names` fixture, or other settings with `classify_settings`."""

from __future__ import annotations

import pytest

DEFAULT_CLASSIFIERS = "text,nudenet,langid"


@pytest.fixture
def classifier_names() -> str:
    return DEFAULT_CLASSIFIERS


@pytest.fixture
def classify_settings() -> dict:
    return {}


@pytest.fixture
def app(backend, request, tmp_path, redis_server, classifier_names, classify_settings):
    from tests.support.apps import make_test_app

    with make_test_app(
        backend, tmp_path, redis_server, request, WORKBENCH_CLASSIFIERS=classifier_names, **classify_settings
    ) as test_app:
        yield test_app
