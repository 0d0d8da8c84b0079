"""The classify stage: the configured classifiers over a batch of items, signals stored.

A batched stage (see stages.py): the classify worker loads the models once (`load`), runs
each classifier once per batch (`compute`, outside any transaction), and stores every
item's signals with the model that produced them (`store`, in the worker's transaction).
Language id runs first, so the text models see the detected language. A video's sampled
frames are decoded once here, scored by NudeNet and kept as the case page's thumbnails
(pipeline/frame_thumbnails.py).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy.orm import Session

from classifiers.base import Classifier, ClassifierInput, Signal, classifier_identity, describe_error
from classifiers.registry import active_classifiers, parse_classifier_names
from classifiers.text.language import LANGUAGE_LABEL, UNDETERMINED
from classifiers.text.selection import TextModelChoice, select_text_model
from workbench.metrics import timed
from workbench.pipeline.frame_thumbnails import Thumbnail, frame_count, replace_thumbnails, thumbnails_of, video_frames
from workbench.pipeline.signal_store import store_signals
from workbench.pipeline.stages import BatchOutcome, ItemSnapshot, StageContext, register_stage
from workbench.services.blobstore import BlobNotFound
from workbench.settings import Settings

log = logging.getLogger(__name__)
TEXT_MODEL_NAMES = ("detoxify", "profanity_check")


def classifier_settings(settings: Settings) -> dict[str, Any]:
    """The classifiers registry's settings, from the WORKBENCH_* configuration."""
    return {
        "detoxify_model": settings.detoxify_model,
        "detoxify_checkpoint": settings.detoxify_checkpoint or None,
        "detoxify_hf_dir": settings.detoxify_hf_dir or None,
        "detoxify_online": settings.detoxify_online,
        "detoxify_device": settings.detoxify_device,
        # Texts reach Detoxify sorted by token count, in forward passes of at most this many,
        # cut where padding plus the per-pass cost add up least (classifiers/text/passes.py).
        "detoxify_batch_size": settings.detoxify_batch_size,
        "detoxify_trust_checkpoint": settings.detoxify_trust_checkpoint,
        "detoxify_multilingual_checkpoint": settings.detoxify_multilingual_checkpoint or None,
        "detoxify_multilingual_hf_dir": settings.detoxify_multilingual_hf_dir or None,
        "detoxify_threads": settings.detoxify_threads or None,
        "nudenet_model_path": settings.nudenet_model_path or None,
        "nudenet_max_frames": settings.nudenet_max_frames,
        "nudenet_batch_size": settings.nudenet_batch_size,
        "langid_min_confidence": settings.langid_min_confidence,
    }


def configured_names(settings: Settings) -> list[str]:
    return parse_classifier_names(settings.classifiers)


def classify_enabled(settings: Settings) -> bool:
    return bool(configured_names(settings))


def is_language_identifier(classifier: Classifier) -> bool:
    return LANGUAGE_LABEL in tuple(getattr(classifier, "labels", ()))


def text_model_choice(settings: Settings) -> str | None:
    """Which text model scores text items and why, in one line for operators."""
    names = configured_names(settings)
    if "text" in names:
        return str(select_text_model(classifier_settings(settings)))
    explicit = [name for name in names if name in TEXT_MODEL_NAMES]
    if explicit:
        return str(TextModelChoice(explicit[0], "named in WORKBENCH_CLASSIFIERS"))
    return None


@dataclass
class LoadedClassifiers:
    """The models of one classify worker process, loaded once."""

    classifiers: list[Classifier]
    identities: dict[str, dict[str, str]]  # name -> {classifier, version, model_checksum}
    text_model: str | None

    @classmethod
    def from_classifiers(cls, classifiers: Sequence[Classifier], text_model: str | None = None) -> LoadedClassifiers:
        # Language id first: its answer is handed to the text models with their inputs.
        ordered = sorted(classifiers, key=lambda c: not is_language_identifier(c))
        return cls(ordered, {c.name: classifier_identity(c) for c in ordered}, text_model)

    def describe(self) -> list[str]:
        lines = [self.text_model] if self.text_model else []
        for c in self.classifiers:
            source = getattr(c, "source", None)
            lines.append(
                f"classifier {c.name} {c.version} sha256 {c.model_checksum}" + (f" ({source})" if source else "")
            )
        return lines


@dataclass
class ItemClassification:
    """Every classifier's signals for one item (error signals included)."""

    signals: dict[str, list[Signal]] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    retryable: bool = True
    language: tuple[str, float] | None = None
    thumbnails: list[Thumbnail] | None = None  # a video's classified frames, None if not decoded

    def add(self, classifier: str, signals: list[Signal]) -> None:
        self.signals[classifier] = list(signals)
        for signal in signals:
            if signal.is_error:
                self.failures.append(f"{classifier}: {signal.error}")
                self.retryable = self.retryable and signal.retryable

    def fail(self, reason: str, retryable: bool) -> None:
        self.failures.append(reason)
        self.retryable = self.retryable and retryable


def _primary_language(tag: str | None) -> str | None:
    return tag.split("-")[0].lower() if tag else None


def inputs_for(
    item: ItemSnapshot, blob_store: Any, result: ItemClassification | None = None, video_frame_count: int = 8
) -> list[ClassifierInput]:
    """An image item gives its image, and its caption as text; a text item its text. A video
    gives its sampled frames, decoded once: NudeNet scores them and `result` keeps their
    thumbnails."""
    inputs = []
    if item.kind in ("image", "video") and item.blob_sha256:
        data = blob_store.read(item.blob_sha256)
        frames = video_frames(data, video_frame_count) if item.kind == "video" else None
        if frames and result is not None:
            result.thumbnails = thumbnails_of(frames)
        inputs.append(ClassifierInput.for_image(item.id, data, frames=frames or None))
    if item.text:
        inputs.append(ClassifierInput.for_text(item.id, item.text, language=_primary_language(item.language)))
    return inputs


def classify_items(
    items: Sequence[ItemSnapshot], blob_store: Any, loaded: LoadedClassifiers, video_frame_count: int = 8
) -> dict[int, ItemClassification]:
    """One classify_batch call per classifier for the whole batch."""
    results = {item.id: ItemClassification() for item in items}
    inputs: list[ClassifierInput] = []
    for item in items:
        try:
            inputs += inputs_for(item, blob_store, results[item.id], video_frame_count)
        except BlobNotFound as exc:  # purged by retention or erasure: trying again cannot help
            results[item.id].fail(f"blob missing: {exc}", retryable=False)
        except Exception as exc:  # noqa: BLE001 - a storage hiccup fails this item only
            results[item.id].fail(f"reading the item: {describe_error(exc)}", retryable=True)
    for classifier in loaded.classifiers:
        # Shortest texts first: a classifier that runs the batch in chunks (Detoxify) then
        # pads each chunk only to similar lengths. Results are matched back by item id.
        batch = sorted(
            (one for one in inputs if one.kind in classifier.media_types), key=lambda one: len(one.text or "")
        )
        if not batch:
            continue
        try:
            with timed("workbench_classifier_seconds", classifier=classifier.name):
                outputs = classifier.classify_batch(batch)
            if len(outputs) != len(batch):
                raise RuntimeError(f"{len(outputs)} results for {len(batch)} items")
        except Exception as exc:  # noqa: BLE001 - the contract says never raise; if it does, retry them all
            log.exception("classifier %s failed on a batch of %d", classifier.name, len(batch))
            outputs = [[Signal.failure(describe_error(exc))] for _ in batch]
        for one, signals in zip(batch, outputs):
            results[int(one.item_id)].add(classifier.name, signals)
        if is_language_identifier(classifier):
            inputs = [_with_language(one, results[int(one.item_id)], classifier.name) for one in inputs]
    return results


def _with_language(one: ClassifierInput, result: ItemClassification, langid_name: str) -> ClassifierInput:
    if one.kind != "text":
        return one
    for signal in result.signals.get(langid_name, ()):
        if signal.label == LANGUAGE_LABEL and not signal.is_error:
            code = str(signal.detail.get("language") or UNDETERMINED)
            result.language = (code, signal.score)
            if one.language is None and code != UNDETERMINED:
                return replace(one, language=code)
    return one


def language_values(item: ItemSnapshot, result: ItemClassification) -> dict[str, Any]:
    """The item's language: the platform's when it sent one, else the detected one."""
    if result.language is None:
        return {}
    if item.language and item.language_source != "detected":
        return {} if item.language_source == "platform" else {"language_source": "platform"}
    code, confidence = result.language
    return {
        "language": None if code == UNDETERMINED else code,
        "language_source": "detected",
        "language_confidence": round(confidence, 4),
    }


class ClassifyStage:
    """The batched stage object registered as "classify"."""

    def load(self, settings: Settings) -> LoadedClassifiers:
        classifiers = active_classifiers(configured_names(settings), classifier_settings(settings))
        return LoadedClassifiers.from_classifiers(classifiers, text_model_choice(settings))

    def compute(
        self, items: Sequence[ItemSnapshot], ctx: StageContext, loaded: LoadedClassifiers
    ) -> dict[int, ItemClassification]:
        return classify_items(items, ctx.blob_store, loaded, frame_count(ctx.settings))

    def store(
        self,
        session: Session,
        items: Sequence[ItemSnapshot],
        results: Mapping[int, ItemClassification],
        ctx: StageContext,
        loaded: LoadedClassifiers,
    ) -> dict[int, BatchOutcome]:
        counts = store_signals(session, {item.id: results[item.id].signals for item in items}, loaded.identities)
        # `items` is read again under the row locks: an item erased meanwhile has no file, and
        # its thumbnails are not stored.
        thumbnails = {
            item.id: results[item.id].thumbnails
            for item in items
            if item.kind == "video" and item.blob_sha256 and results[item.id].thumbnails is not None
        }
        replace_thumbnails(session, thumbnails)
        outcomes = {}
        for item in items:
            result = results[item.id]
            summary: dict[str, Any] = {
                "classifiers": {
                    name: {
                        "version": loaded.identities[name]["version"],
                        "model_checksum": loaded.identities[name]["model_checksum"],
                    }
                    for name in sorted(result.signals)
                },
                "signals": counts.get(item.id, 0),
            }
            if item.id in thumbnails:
                summary["frame_thumbnails"] = len(thumbnails[item.id])
            values = language_values(item, result)
            if values.get("language"):
                summary["language"] = values["language"]
            failure = "; ".join(result.failures)[:1500] if result.failures else None
            outcomes[item.id] = BatchOutcome(summary, values, failure=failure, retryable=result.retryable)
        return outcomes


register_stage("classify", ClassifyStage(), batched=True, enabled=classify_enabled)
