"""Detoxify (the real `detoxify.Detoxify`) as a text classifier: every label it predicts
becomes a signal, in [0, 1].

Speed (a classify worker is CPU-bound on this model): texts are sorted by token count and
split into forward passes of at most `batch_size` where padding and the per-pass cost add up
least (classifiers/text/passes.py), so short comments are not padded to a long caption's
length; the passes run under torch.inference_mode; the checkpoint's slow Python tokenizer is
swapped for its Rust ("Fast") twin when that gives identical token ids; torch uses the cores
the process may run on.

Language: with a multilingual checkpoint configured as well, items whose language (the
platform's, langid's, or py3langid's guess made here) is not English are scored by it;
their signals say so in `detail` ({"model": "multilingual", "language": "de"}).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from classifiers.base import ClassifierInput, ClassifierLoadError, ClassifierNotLoaded, Signal, classify_supported_items
from classifiers.text.detoxify_loading import (
    DETOXIFY_MODELS,
    combined_checksum,
    load_local_detoxify,
    load_online_detoxify,
    use_fast_tokenizer,
)
from classifiers.text.language import UNDETERMINED, identify_language
from classifiers.text.passes import plan_passes

log = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 32
MULTILINGUAL = "multilingual"
# Languages the English model is trained on; anything else goes to the multilingual model.
ENGLISH = frozenset({"en"})


def _detoxify_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("detoxify")
    except PackageNotFoundError:
        return "unknown"


def _truthy(value: Any) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def available_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _hf_dir_for(checkpoint: Path | None, hf_dir: str | Path | None) -> Path | None:
    if hf_dir:
        return Path(hf_dir)
    return checkpoint.parent / "hf" if checkpoint else None


class DetoxifyClassifier:
    """Scores text items with Detoxify.

    Online (`checkpoint=None`): loads the released weights of `model` by name.
    Air-gapped: `checkpoint` is a local Detoxify checkpoint and `hf_dir` the local
    Hugging Face config/tokenizer directory (default: `hf/` next to the checkpoint);
    nothing touches the network. `multilingual_checkpoint` (+ `multilingual_hf_dir`) adds
    Detoxify's multilingual model for non-English text.
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
        multilingual_checkpoint: str | Path | None = None,
        multilingual_hf_dir: str | Path | None = None,
        threads: int | None = None,
    ) -> None:
        if model not in DETOXIFY_MODELS:
            raise ClassifierLoadError(f"unknown Detoxify model {model!r}; choose one of {', '.join(DETOXIFY_MODELS)}")
        self.model = model
        self.checkpoint = Path(checkpoint) if checkpoint else None
        self.hf_dir: Path | None = _hf_dir_for(self.checkpoint, hf_dir)
        self.multilingual_checkpoint = Path(multilingual_checkpoint) if multilingual_checkpoint else None
        self.multilingual_hf_dir = _hf_dir_for(self.multilingual_checkpoint, multilingual_hf_dir)
        self.device = device
        self.batch_size = max(1, int(batch_size))
        self.allow_pickle = allow_pickle
        self.threads = int(threads) if threads else None
        self.version = f"{_detoxify_version()}+{model}"
        if self.multilingual_checkpoint and model != MULTILINGUAL:
            self.version += f"+{MULTILINGUAL}"
        self._detoxify: Any = None
        self._multilingual: Any = None
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
            multilingual_checkpoint=settings.get("detoxify_multilingual_checkpoint") or None,
            multilingual_hf_dir=settings.get("detoxify_multilingual_hf_dir") or None,
            threads=int(settings.get("detoxify_threads") or 0) or None,
        )

    @property
    def source(self) -> str:
        if self.checkpoint:
            text = f"local checkpoint {self.checkpoint} (config {self.hf_dir})"
        else:
            text = f"released '{self.model}' weights"
        if self.multilingual_checkpoint:
            text += (
                f"; non-English text: multilingual checkpoint {self.multilingual_checkpoint} "
                f"(config {self.multilingual_hf_dir})"
            )
        return text

    @property
    def detoxify(self) -> Any:
        """The loaded `detoxify.Detoxify` (for calling the model directly, e.g. benchmarks)."""
        if self._detoxify is None:
            raise ClassifierNotLoaded(f"{self.name}: call load() first")
        return self._detoxify

    @property
    def multilingual(self) -> Any:
        """The multilingual `detoxify.Detoxify`, or None when none is configured."""
        return self._multilingual

    def load(self) -> None:
        if self._detoxify is not None:
            return
        if self.checkpoint:
            assert self.hf_dir is not None
            model, checksum = load_local_detoxify(
                self.checkpoint, self.hf_dir, device=self.device, allow_pickle=self.allow_pickle
            )
        else:
            model, checksum = load_online_detoxify(self.model, device=self.device)
        checksums = {"main": checksum}
        multilingual = None
        if self.multilingual_checkpoint:
            assert self.multilingual_hf_dir is not None
            multilingual, checksums[MULTILINGUAL] = load_local_detoxify(
                self.multilingual_checkpoint,
                self.multilingual_hf_dir,
                device=self.device,
                allow_pickle=self.allow_pickle,
            )
        self._configure_torch()
        for loaded in (model, multilingual):
            if loaded is not None:
                loaded.model.eval()
                use_fast_tokenizer(loaded)
        # One checksum that covers every file the scores can come from (just the main
        # model's own when there is no multilingual one).
        self.model_checksum = combined_checksum(checksums)
        self._detoxify, self._multilingual = model, multilingual
        self.labels = tuple(
            dict.fromkeys(list(model.class_names) + (list(multilingual.class_names) if multilingual else []))
        )
        log.info(
            "detoxify loaded from %s, sha256 %s, %d torch thread(s)",
            self.source,
            self.model_checksum,
            self._torch_threads(),
        )

    def _configure_torch(self) -> None:
        import torch

        wanted = self.threads or available_cores()
        if torch.get_num_threads() != wanted:
            torch.set_num_threads(wanted)

    @staticmethod
    def _torch_threads() -> int:
        import torch

        return torch.get_num_threads()

    # --- scoring ---------------------------------------------------------------------

    def _language_of(self, item: ClassifierInput) -> str | None:
        if item.language:
            return item.language.split("-")[0].lower()

        code, _ = identify_language(item.text or "")
        return None if code == UNDETERMINED else code

    def _routes_to_multilingual(self, item: ClassifierInput) -> str | None:
        """The item's language if the multilingual model should score it, else None."""
        if self._multilingual is None or item.kind != "text":
            return None
        language = self._language_of(item)
        return language if language and language not in ENGLISH else None

    def _predict_with(
        self, model: Any, items: Sequence[ClassifierInput], detail: Mapping[str, Any] | None = None
    ) -> list[list[Signal]]:
        import torch

        texts = [item.text or "" for item in items]
        with torch.inference_mode():
            results = model.predict(texts)
        per_text: list[list[Signal]] = [[] for _ in texts]
        for label, scores in results.items():
            # Detoxify squeezes a batch of one down to a bare float.
            values = scores if isinstance(scores, list) else [scores]
            if len(values) != len(texts):
                raise RuntimeError(f"detoxify returned {len(values)} scores for {len(texts)} texts")
            for signals, value in zip(per_text, values):
                signals.append(Signal(label, value, detail=detail or {}))
        return per_text

    def _predict(self, items: Sequence[ClassifierInput]) -> list[list[Signal]]:
        return self._predict_with(self._detoxify, items)

    def _predict_multilingual(self, items: Sequence[ClassifierInput]) -> list[list[Signal]]:
        return self._predict_with(self._multilingual, items, {"model": MULTILINGUAL})

    def _classify_sorted(self, items: Sequence[ClassifierInput], run_batch: Any, model: Any) -> list[list[Signal]]:
        """Shortest first, in the passes plan_passes picks; results back in the callers' order."""
        counts = self._token_counts(model, items)
        order = sorted(range(len(items)), key=lambda i: counts[i])
        ascending = [counts[i] for i in order if items[i].kind in self.media_types]  # the texts scored
        scored = classify_supported_items(
            [items[i] for i in order],
            self.media_types,
            run_batch,
            classifier_name=self.name,
            chunk_sizes=plan_passes(ascending, self.batch_size),
        )
        results: list[list[Signal]] = [[] for _ in items]
        for position, index in enumerate(order):
            results[index] = scored[position]
        return results

    @staticmethod
    def _token_counts(model: Any, items: Sequence[ClassifierInput]) -> list[int]:
        """Each text's tokens as the model will see them (truncated to its maximum length);
        characters when the tokenizer cannot say (only the pass plan depends on it).
        Detoxify.predict takes text and tokenizes again: ~0.75 ms a batch of 32 with the fast
        tokenizer, against hundreds of milliseconds of inference."""
        texts = [item.text or "" for item in items]
        tokenizer = getattr(model, "tokenizer", None)
        if not texts:
            return []
        try:
            limit = int(getattr(tokenizer, "model_max_length", 512) or 512)
            return [min(len(ids), limit) for ids in tokenizer(texts, truncation=True)["input_ids"]]
        except Exception:  # noqa: BLE001 - a plan from character counts is still a valid plan
            log.warning("detoxify: counting tokens failed; planning passes by characters", exc_info=True)
            return [len(text) for text in texts]

    def classify_batch(self, items: Sequence[ClassifierInput]) -> list[list[Signal]]:
        if self._detoxify is None:
            raise ClassifierNotLoaded(f"{self.name}: call load() first")
        if self._multilingual is None:
            return self._classify_sorted(items, self._predict, self._detoxify)
        results: list[list[Signal]] = [[] for _ in items]
        english: list[int] = []
        other: dict[int, str] = {}
        for index, item in enumerate(items):
            if item.kind not in self.media_types:
                continue
            language = self._routes_to_multilingual(item)
            if language:
                other[index] = language
            else:
                english.append(index)
        for index, signals in zip(
            english, self._classify_sorted([items[i] for i in english], self._predict, self._detoxify)
        ):
            results[index] = signals
        routed = list(other)
        for index, signals in zip(
            routed, self._classify_sorted([items[i] for i in routed], self._predict_multilingual, self._multilingual)
        ):
            results[index] = [
                s if s.is_error else Signal(s.label, s.score, {**s.detail, "language": other[index]}) for s in signals
            ]
        return results
