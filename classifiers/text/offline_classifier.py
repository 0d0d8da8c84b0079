"""The offline text model: `alt-profanity-check`, a linear model trained on profanity that
ships inside its wheel, so it works on any machine with no download. One signal per text:
`profanity`, the model's probability that the text is profane."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from importlib import resources
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from classifiers.base import (
    ClassifierInput,
    ClassifierLoadError,
    ClassifierNotLoaded,
    Signal,
    classify_supported_items,
    sha256_files,
)

log = logging.getLogger(__name__)

PROFANITY_LABEL = "profanity"
DISTRIBUTION = "alt-profanity-check"
MODEL_FILES = ("vectorizer.joblib", "model.joblib")


def _distribution_version() -> str:
    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return "unknown"


class ProfanityCheckClassifier:
    name = "profanity_check"
    media_types = frozenset({"text"})
    labels = (PROFANITY_LABEL,)
    source = f"{DISTRIBUTION} (model bundled in the package, no download)"

    def __init__(self, batch_size: int = 256) -> None:
        self.version = _distribution_version()
        self.batch_size = max(1, int(batch_size))
        self._predict_prob: Any = None
        self.model_checksum: str | None = None  # sha256, set by load()

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> ProfanityCheckClassifier:
        return cls()

    @property
    def predict_prob(self) -> Any:
        """alt-profanity-check's own `predict_prob(texts)` (for calling it directly)."""
        if self._predict_prob is None:
            raise ClassifierNotLoaded(f"{self.name}: call load() first")
        return self._predict_prob

    def load(self) -> None:
        if self._predict_prob is not None:
            return
        try:
            # Importing the package unpickles its model: this is the load.
            import profanity_check
        except Exception as exc:
            raise ClassifierLoadError(f"cannot load {DISTRIBUTION}: {exc}") from exc
        data_dir = Path(str(resources.files("profanity_check") / "data"))
        files = [data_dir / name for name in MODEL_FILES]
        missing = [str(f) for f in files if not f.is_file()]
        if missing:
            raise ClassifierLoadError(f"{DISTRIBUTION} model files missing: {missing}")
        self.model_checksum = sha256_files(files)
        self._predict_prob = profanity_check.predict_prob
        log.info("%s %s loaded, sha256 %s", DISTRIBUTION, self.version, self.model_checksum)

    def _predict(self, items: Sequence[ClassifierInput]) -> list[list[Signal]]:
        probabilities = self._predict_prob([item.text or "" for item in items])
        return [[Signal(PROFANITY_LABEL, float(p))] for p in probabilities]

    def classify_batch(self, items: Sequence[ClassifierInput]) -> list[list[Signal]]:
        if self._predict_prob is None:
            raise ClassifierNotLoaded(f"{self.name}: call load() first")
        return classify_supported_items(
            items, self.media_types, self._predict, chunk_size=self.batch_size, classifier_name=self.name
        )
