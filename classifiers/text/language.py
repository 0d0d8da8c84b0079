"""Language identification with py3langid.

Codes are ISO 639-1 where the language has one ("en", "de"); py3langid uses a 639-3 code
for the few languages without one ("yue"). "und" (undetermined, ISO 639-2) when the text
has no letters or the best guess is below `min_confidence`.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
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

UNDETERMINED = "und"
LANGUAGE_LABEL = "language"

_identifier: Any = None
_identifier_lock = threading.Lock()


def _model_path() -> Path:
    from py3langid.langid import MODEL_DIR, MODEL_FILE

    return Path(MODEL_DIR) / MODEL_FILE


def _get_identifier() -> Any:
    """One identifier per process, with probabilities normalised to [0, 1]
    (py3langid's module-level `classify` returns unnormalised log scores)."""
    global _identifier
    if _identifier is None:
        with _identifier_lock:
            if _identifier is None:
                try:
                    from py3langid.langid import LanguageIdentifier

                    _identifier = LanguageIdentifier.from_model_file(_model_path(), norm_probs=True)
                except Exception as exc:
                    raise ClassifierLoadError(f"cannot load py3langid's model: {exc}") from exc
    return _identifier


def identify_language(text: str, min_confidence: float = 0.0) -> tuple[str, float]:
    """Return (language code, confidence in [0, 1]) for `text`."""
    if not text or not any(ch.isalpha() for ch in text):
        return UNDETERMINED, 0.0
    code, confidence = _get_identifier().classify(text)
    confidence = min(max(float(confidence), 0.0), 1.0)
    if confidence < min_confidence:
        return UNDETERMINED, confidence
    return code, confidence


class LanguageIdClassifier:
    """Language id as a classifier: one `language` signal per text item, the score is
    the confidence and detail["language"] the code."""

    name = "langid"
    media_types = frozenset({"text"})
    labels = (LANGUAGE_LABEL,)

    def __init__(self, min_confidence: float = 0.0) -> None:
        try:
            self.version = version("py3langid")
        except PackageNotFoundError:
            self.version = "unknown"
        self.min_confidence = float(min_confidence)
        self.model_checksum: str | None = None  # sha256, set by load()

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> LanguageIdClassifier:
        return cls(min_confidence=float(settings.get("langid_min_confidence") or 0.0))

    def load(self) -> None:
        _get_identifier()
        self.model_checksum = sha256_files([_model_path()])

    def _identify(self, items: Sequence[ClassifierInput]) -> list[list[Signal]]:
        results = []
        for item in items:
            code, confidence = identify_language(item.text or "", self.min_confidence)
            results.append([Signal(LANGUAGE_LABEL, confidence, detail={"language": code})])
        return results

    def classify_batch(self, items: Sequence[ClassifierInput]) -> list[list[Signal]]:
        if self.model_checksum is None:
            raise ClassifierNotLoaded(f"{self.name}: call load() first")
        return classify_supported_items(items, self.media_types, self._identify, classifier_name=self.name)
