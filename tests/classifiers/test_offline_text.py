from importlib import resources
from pathlib import Path

import pytest

from classifiers.base import ClassifierInput, sha256_files
from classifiers.text.offline_classifier import PROFANITY_LABEL, ProfanityCheckClassifier
from classifiers.text.selection import build_text_classifier, select_text_model
from classifiers.text.tiny_checkpoint import build_tiny_checkpoint


@pytest.fixture(scope="module")
def offline():
    classifier = ProfanityCheckClassifier()
    classifier.load()
    return classifier


def _score(classifier, text):
    (signals,) = classifier.classify_batch([ClassifierInput.for_text("1", text)])
    (signal,) = signals
    assert signal.label == PROFANITY_LABEL
    return signal.score


def test_profane_text_scores_higher_than_benign(offline):
    profane = _score(offline, "you are a fucking piece of shit")
    benign = _score(offline, "thank you for the lovely video of your garden")
    assert 0.0 <= benign < profane <= 1.0
    assert profane > 0.5 > benign


def test_batch_matches_one_by_one(offline):
    texts = ["shut up you bitch", "see you tomorrow", "", "damn this is great"]
    batch = offline.classify_batch([ClassifierInput.for_text(str(i), t) for i, t in enumerate(texts)])
    assert len(batch) == len(texts)
    for text, signals in zip(texts, batch):
        assert signals[0].score == pytest.approx(_score(offline, text))


def test_checksum_covers_the_model_files_in_the_wheel(offline):
    data = Path(str(resources.files("profanity_check") / "data"))
    assert offline.model_checksum == sha256_files([data / "model.joblib", data / "vectorizer.joblib"])
    assert offline.version and offline.version != "unknown"


def test_images_get_no_text_signals(offline):
    assert offline.classify_batch([ClassifierInput.for_image("i", b"bytes")]) == [[]]


def test_selection_without_weights_is_the_offline_model_and_says_why():
    choice = select_text_model({})
    assert choice.classifier_name == "profanity_check"
    assert "WORKBENCH_DETOXIFY_CHECKPOINT" in choice.reason
    assert "alt-profanity-check" in str(choice)
    assert isinstance(build_text_classifier({}), ProfanityCheckClassifier)


def test_selection_with_a_checkpoint_is_detoxify(tmp_path):
    tiny = build_tiny_checkpoint(tmp_path)
    choice = select_text_model({"detoxify_checkpoint": str(tiny.checkpoint_path)})
    assert choice.classifier_name == "detoxify"
    assert str(tiny.checkpoint_path) in choice.reason
    assert build_text_classifier({"detoxify_checkpoint": str(tiny.checkpoint_path)}).name == "detoxify"


def test_selection_with_a_missing_checkpoint_still_picks_detoxify_and_warns(tmp_path):
    # Falling back silently would hide a misconfiguration; load() fails loudly instead.
    choice = select_text_model({"detoxify_checkpoint": str(tmp_path / "gone.ckpt")})
    assert choice.classifier_name == "detoxify"
    assert "missing" in choice.reason


def test_selection_online_is_detoxify_with_the_requested_model():
    choice = select_text_model({"detoxify_online": "1", "detoxify_model": "multilingual"})
    assert choice.classifier_name == "detoxify"
    assert "multilingual" in choice.reason
