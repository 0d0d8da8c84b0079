"""Classifiers by name, and the active set chosen by configuration.

Like CTFd's challenge types and Redash's query runners: each classifier registers a
factory under its name; the workbench turns WORKBENCH_CLASSIFIERS (a comma list) into
instances with `active_classifiers(names, settings)`.

Built-in names:
  text             the text model chosen by `select_text_model` (Detoxify or offline)
  detoxify         Detoxify, always (needs a checkpoint or online weights)
  profanity_check  the offline text model (alt-profanity-check)
  nudenet          NudeNet for images, animated images sampled by frame
  langid           language identification (py3langid)

Settings keys read by the factories (all optional):
  detoxify_model, detoxify_checkpoint, detoxify_hf_dir, detoxify_online, detoxify_device,
  detoxify_batch_size, detoxify_trust_checkpoint, nudenet_max_frames, nudenet_batch_size,
  nudenet_model_path, langid_min_confidence
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from classifiers.base import Classifier, ClassifierError
from classifiers.image.nudenet_classifier import NudeNetClassifier
from classifiers.text.detoxify_classifier import DetoxifyClassifier
from classifiers.text.language import LanguageIdClassifier
from classifiers.text.offline_classifier import ProfanityCheckClassifier
from classifiers.text.selection import build_text_classifier

ClassifierFactory = Callable[[Mapping[str, Any]], Classifier]

_registry: dict[str, ClassifierFactory] = {}


class UnknownClassifier(ClassifierError, LookupError):
    """No classifier is registered under this name."""

    def __init__(self, name: str, known: Iterable[str]) -> None:
        self.name = name
        self.known = sorted(known)
        super().__init__(f"unknown classifier {name!r}; registered: {', '.join(self.known) or 'none'}")


def register(name: str, factory: ClassifierFactory, *, replace: bool = False) -> None:
    """Register `factory(settings) -> Classifier` under `name`."""
    if not name or name != name.strip().lower() or "," in name:
        raise ValueError(f"classifier names are lowercase words without commas: {name!r}")
    if name in _registry and not replace:
        raise ValueError(f"a classifier named {name!r} is already registered")
    _registry[name] = factory


def unregister(name: str) -> None:
    _registry.pop(name, None)


def registered_names() -> list[str]:
    return sorted(_registry)


def get_factory(name: str) -> ClassifierFactory:
    try:
        return _registry[name]
    except KeyError:
        raise UnknownClassifier(name, _registry) from None


def create_classifier(name: str, settings: Mapping[str, Any] | None = None) -> Classifier:
    return get_factory(name)(settings or {})


def parse_classifier_names(value: str | Iterable[str] | None) -> list[str]:
    """ "text, nudenet,,langid" -> ["text", "nudenet", "langid"] (order kept, no repeats)."""
    if value is None:
        return []
    parts = value.split(",") if isinstance(value, str) else list(value)
    names = [part.strip().lower() for part in parts if part and part.strip()]
    return list(dict.fromkeys(names))


def active_classifiers(
    names: str | Iterable[str], settings: Mapping[str, Any] | None = None, *, load: bool = True
) -> list[Classifier]:
    """Build (and by default load) the configured classifiers.

    Every name is checked before anything loads, so a typo fails fast with
    UnknownClassifier; a model that cannot load raises ClassifierLoadError.
    """
    wanted = parse_classifier_names(names)
    factories = [get_factory(name) for name in wanted]
    classifiers: list[Classifier] = []
    for factory in factories:
        classifier = factory(settings or {})
        # "text" resolves to a concrete model that may also be listed by its own name.
        if all(existing.name != classifier.name for existing in classifiers):
            classifiers.append(classifier)
    if load:
        for classifier in classifiers:
            classifier.load()
    return classifiers


def _register_builtins() -> None:
    register("text", build_text_classifier)
    register("detoxify", DetoxifyClassifier.from_settings)
    register("profanity_check", ProfanityCheckClassifier.from_settings)
    register("nudenet", NudeNetClassifier.from_settings)
    register("langid", LanguageIdClassifier.from_settings)


_register_builtins()
