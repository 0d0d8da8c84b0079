"""Detoxify (the real `detoxify.Detoxify`) as a text classifier: every label it predicts
becomes a signal, in [0, 1]."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from classifiers.base import (
    ClassifierInput,
    ClassifierLoadError,
    ClassifierNotLoaded,
    Signal,
    classify_supported_items,
)
from classifiers.text.detoxify_loading import (
    DETOXIFY_MODELS,
    load_local_detoxify,
    load_online_detoxify,
)

log = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 32


def _detoxify_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("detoxify")
    except PackageNotFoundError:
        return "unknown"


def _truthy(value: Any) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes", "on")


class DetoxifyClassifier:
    """Scores text items with Detoxify.

    Online (`checkpoint=None`): loads the released weights of `model` by name.
    Air-gapped: `checkpoint` is a local Detoxify checkpoint and `hf_dir` the local
    Hugging Face config/tokenizer directory (default: `hf/` next to the checkpoint);
    nothing touches the network.
    """

    name = "detoxify"
    media_types = frozenset({"text"})

    def __init__(
        self,
        model: str = "original",
        checkpoint: str | Path | None = None,
        hf_dir: str | Path | None = None,
        device: str = "cpu",
        batch_size: int = DEFAULT_BATCH_SIZE,
        allow_pickle: bool = False,
    ) -> None:
        if model not in DETOXIFY_MODELS:
            raise ClassifierLoadError(
                f"unknown Detoxify model {model!r}; choose one of {', '.join(DETOXIFY_MODELS)}")
        self.model = model
        self.checkpoint = Path(checkpoint) if checkpoint else None
        if hf_dir:
            self.hf_dir: Path | None = Path(hf_dir)
        else:
            self.hf_dir = self.checkpoint.parent / "hf" if self.checkpoint else None
        self.device = device
        self.batch_size = max(1, int(batch_size))
        self.allow_pickle = allow_pickle
        self.version = f"{_detoxify_version()}+{model}"
        self._detoxify: Any = None
        self.model_checksum: str | None = None  # sha256, set by load()
        self.labels: tuple[str, ...] = ()

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> DetoxifyClassifier:
        return cls(
            model=settings.get("detoxify_model") or "original",
            checkpoint=settings.get("detoxify_checkpoint") or None,
            hf_dir=settings.get("detoxify_hf_dir") or None,
            device=settings.get("detoxify_device") or "cpu",
            batch_size=int(settings.get("detoxify_batch_size") or DEFAULT_BATCH_SIZE),
            allow_pickle=_truthy(settings.get("detoxify_trust_checkpoint", False)),
        )

    @property
    def source(self) -> str:
        if self.checkpoint:
            return f"local checkpoint {self.checkpoint} (config {self.hf_dir})"
        return f"released '{self.model}' weights"

    @property
    def detoxify(self) -> Any:
        """The loaded `detoxify.Detoxify` (for calling the model directly, e.g. benchmarks)."""
        if self._detoxify is None:
            raise ClassifierNotLoaded(f"{self.name}: call load() first")
        return self._detoxify

    def load(self) -> None:
        if self._detoxify is not None:
            return
        if self.checkpoint:
            assert self.hf_dir is not None
            model, checksum = load_local_detoxify(
                self.checkpoint, self.hf_dir, device=self.device, allow_pickle=self.allow_pickle)
        else:
            model, checksum = load_online_detoxify(self.model, device=self.device)
        self._detoxify, self.model_checksum = model, checksum
        self.labels = tuple(model.class_names)
        log.info("detoxify loaded from %s, sha256 %s", self.source, checksum)

    def _predict(self, items: Sequence[ClassifierInput]) -> list[list[Signal]]:
        texts = [item.text or "" for item in items]
        results = self._detoxify.predict(texts)
        per_text: list[list[Signal]] = [[] for _ in texts]
        for label, scores in results.items():
            # Detoxify squeezes a batch of one down to a bare float.
            values = scores if isinstance(scores, list) else [scores]
            if len(values) != len(texts):
                raise RuntimeError(f"detoxify returned {len(values)} scores for {len(texts)} texts")
            for signals, value in zip(per_text, values):
                signals.append(Signal(label, value))
        return per_text

    def classify_batch(self, items: Sequence[ClassifierInput]) -> list[list[Signal]]:
        if self._detoxify is None:
            raise ClassifierNotLoaded(f"{self.name}: call load() first")
        return classify_supported_items(
            items, self.media_types, self._predict,
            chunk_size=self.batch_size, classifier_name=self.name)
