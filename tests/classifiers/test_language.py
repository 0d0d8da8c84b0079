import pytest

from classifiers.base import ClassifierInput
from classifiers.registry import create_classifier
from classifiers.text.language import UNDETERMINED, identify_language


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The quick brown fox jumps over the lazy dog and runs into the forest.", "en"),
        ("Ich habe heute Morgen mit meiner Schwester im Garten Kaffee getrunken.", "de"),
        ("Nous sommes allés au marché pour acheter du pain et des fromages.", "fr"),
    ],
)
def test_identifies_common_languages(text, expected):
    code, confidence = identify_language(text)
    assert code == expected
    assert 0.5 < confidence <= 1.0


def test_text_without_letters_is_undetermined():
    assert identify_language("") == (UNDETERMINED, 0.0)
    assert identify_language("12345 !!! :-)") == (UNDETERMINED, 0.0)


def test_low_confidence_can_be_refused():
    code, confidence = identify_language("ok", min_confidence=1.01)
    assert code == UNDETERMINED
    assert 0.0 <= confidence <= 1.0


def test_language_classifier_signals():
    classifier = create_classifier("langid")
    classifier.load()
    assert len(classifier.model_checksum) == 64
    results = classifier.classify_batch(
        [
            ClassifierInput.for_text("1", "Ceci est une phrase écrite en français, bien sûr."),
            ClassifierInput.for_image("2", b"not text"),
        ]
    )
    (signal,) = results[0]
    assert signal.label == "language" and signal.detail["language"] == "fr"
    assert 0.0 <= signal.score <= 1.0
    assert results[1] == []
