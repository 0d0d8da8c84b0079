import pytest

from classifiers import registry
from classifiers.base import Classifier, ClassifierLoadError, Signal
from classifiers.registry import (
    UnknownClassifier,
    active_classifiers,
    create_classifier,
    get_factory,
    parse_classifier_names,
    register,
    registered_names,
    unregister,
)


class _Broken:
    name = "broken"
    version = "0"
    media_types = frozenset({"text"})
    model_checksum = None

    def load(self):
        raise ClassifierLoadError("no model here")

    def classify_batch(self, items):
        return [[Signal("x", 0.0)] for _ in items]


@pytest.fixture()
def broken_registered():
    register("broken", lambda settings: _Broken())
    yield
    unregister("broken")


def test_builtins_are_registered():
    assert {"text", "detoxify", "profanity_check", "nudenet", "langid"} <= set(registered_names())


def test_unknown_name_raises_a_named_error_listing_the_known_ones():
    with pytest.raises(UnknownClassifier) as raised:
        get_factory("nudenett")
    assert raised.value.name == "nudenett"
    assert "nudenet" in str(raised.value)
    assert isinstance(raised.value, LookupError)


def test_a_typo_in_the_configured_list_fails_before_anything_loads(monkeypatch):
    loaded = []
    monkeypatch.setattr(registry.ProfanityCheckClassifier, "load", lambda self: loaded.append(1))
    with pytest.raises(UnknownClassifier):
        active_classifiers("profanity_check,nudent", {})
    assert loaded == []


def test_parse_comma_list():
    assert parse_classifier_names(" Text, nudenet,,langid ,text") == ["text", "nudenet", "langid"]
    assert parse_classifier_names("") == []
    assert parse_classifier_names(None) == []


def test_active_set_follows_configuration_without_loading():
    classifiers = active_classifiers("text,langid", {}, load=False)
    assert [c.name for c in classifiers] == ["profanity_check", "langid"]
    assert all(isinstance(c, Classifier) for c in classifiers)


def test_text_alias_and_its_target_are_not_duplicated():
    classifiers = active_classifiers(["text", "profanity_check"], {}, load=False)
    assert [c.name for c in classifiers] == ["profanity_check"]


def test_loading_the_active_set_raises_when_a_model_cannot_load(broken_registered):
    with pytest.raises(ClassifierLoadError, match="no model here"):
        active_classifiers("langid,broken", {})


def test_duplicate_registration_is_refused_unless_replacing(broken_registered):
    with pytest.raises(ValueError):
        register("broken", lambda settings: _Broken())
    register("broken", lambda settings: _Broken(), replace=True)
    assert create_classifier("broken").name == "broken"


def test_bad_names_are_refused():
    with pytest.raises(ValueError):
        register("Two,Names", lambda settings: _Broken())


def test_settings_reach_the_factory():
    classifier = create_classifier("nudenet", {"nudenet_max_frames": "3"})
    assert classifier.max_frames == 3
    detoxify = create_classifier(
        "detoxify", {"detoxify_model": "multilingual", "detoxify_checkpoint": "/models/x.ckpt"}
    )
    assert detoxify.model == "multilingual"
    assert str(detoxify.hf_dir) == "/models/hf"
