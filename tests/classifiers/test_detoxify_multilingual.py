"""Language picks the Detoxify model: with a multilingual checkpoint configured next to the
English one, non-English text (the platform's language, or py3langid's guess) is scored by
the multilingual model. Two tiny random checkpoints (different seeds) stand in for the two."""

import pytest

from classifiers.base import ClassifierInput, sha256_files
from classifiers.registry import create_classifier
from classifiers.text.detoxify_classifier import DetoxifyClassifier
from classifiers.text.detoxify_loading import local_model_files
from classifiers.text.tiny_checkpoint import build_tiny_checkpoint
from workbench.pipeline.classify_stage import classifier_settings
from workbench.settings import Settings

ENGLISH = "you are a stupid idiot and I hate you, what a terrible video"
GERMAN = "Das ist wirklich ein schönes Video, vielen Dank fürs Teilen und bis morgen"


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory):
    english = build_tiny_checkpoint(tmp_path_factory.mktemp("english"), seed=0)
    multilingual = build_tiny_checkpoint(tmp_path_factory.mktemp("multilingual"), seed=1)
    return english, multilingual


@pytest.fixture(scope="module")
def routed(checkpoints):
    english, multilingual = checkpoints
    classifier = create_classifier(
        "text",
        {
            "detoxify_checkpoint": str(english.checkpoint_path),
            "detoxify_multilingual_checkpoint": str(multilingual.checkpoint_path),
        },
    )
    classifier.load()
    return classifier


def _alone(checkpoint):
    classifier = DetoxifyClassifier(checkpoint=checkpoint.checkpoint_path)
    classifier.load()
    return classifier


def _scores(signals):
    return [(s.label, round(s.score, 5)) for s in signals]


def test_non_english_text_is_scored_by_the_multilingual_model(routed, checkpoints):
    english_model, multilingual_model = (_alone(c) for c in checkpoints)
    items = [
        ClassifierInput.for_text("1", ENGLISH),
        ClassifierInput.for_text("2", GERMAN),
        ClassifierInput.for_text("3", ENGLISH, language="fr"),
    ]  # the platform's language wins
    results = routed.classify_batch(items)

    assert _scores(results[0]) == _scores(english_model.classify_batch(items[:1])[0])
    assert all(s.detail == {} for s in results[0])
    for index, language in ((1, "de"), (2, "fr")):
        expected = multilingual_model.classify_batch([items[index]])[0]
        assert _scores(results[index]) == _scores(expected)
        assert _scores(results[index]) != _scores(english_model.classify_batch([items[index]])[0])
        assert all(s.detail == {"model": "multilingual", "language": language} for s in results[index])


def test_the_identity_covers_both_models(routed, checkpoints):
    english, _ = checkpoints
    assert len(routed.model_checksum) == 64
    assert routed.model_checksum != sha256_files(local_model_files(english.checkpoint_path, english.hf_dir))
    assert routed.version.endswith("+original+multilingual")
    assert "multilingual checkpoint" in routed.source


def test_without_a_multilingual_checkpoint_every_language_goes_to_the_english_model(checkpoints):
    english_model = _alone(checkpoints[0])
    (german,) = english_model.classify_batch([ClassifierInput.for_text("2", GERMAN)])
    assert german and all(s.detail == {} for s in german)


def test_the_workbench_settings_reach_the_classifier(checkpoints):
    english, multilingual = checkpoints
    settings = classifier_settings(
        Settings.from_env(
            {
                "WORKBENCH_DETOXIFY_CHECKPOINT": str(english.checkpoint_path),
                "WORKBENCH_DETOXIFY_MULTILINGUAL_CHECKPOINT": str(multilingual.checkpoint_path),
                "WORKBENCH_DETOXIFY_THREADS": "1",
            },
            "instance",
        )
    )
    classifier = create_classifier("text", settings)
    assert classifier.multilingual_checkpoint == multilingual.checkpoint_path
    assert classifier.multilingual_hf_dir == multilingual.hf_dir
    assert classifier.threads == 1
