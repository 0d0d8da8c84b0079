"""Which text model scores text items, and why, in words an operator can act on.

Detoxify when a local checkpoint is configured (air-gapped) or online weights are
requested; otherwise the offline model that ships inside its package. A configured
checkpoint that turns out to be missing still selects Detoxify: its load() then fails
loudly at worker start, rather than the workbench quietly scoring with another model.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from classifiers.text.detoxify_classifier import DetoxifyClassifier
from classifiers.text.offline_classifier import DISTRIBUTION, ProfanityCheckClassifier

DETOXIFY = "detoxify"
OFFLINE = "profanity_check"


@dataclass(frozen=True)
class TextModelChoice:
    classifier_name: str  # the registry name: "detoxify" or "profanity_check"
    reason: str

    def __str__(self) -> str:
        return f"text model: {self.classifier_name} ({self.reason})"


def _truthy(value: Any) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def _online_cache_note(model: str) -> str:
    try:
        # Only the online model needs the loader (and torch behind it), which may be missing here.
        from classifiers.text.detoxify_loading import released_checkpoint_path

        cached = released_checkpoint_path(model)
    except Exception:  # noqa: BLE001 - torch or detoxify missing or broken: load() will say so loudly
        cached = None
    if cached is not None and cached.is_file():
        return f"already downloaded to {cached}"
    return "not downloaded yet: the first load fetches it from GitHub and fails without network"


def select_text_model(settings: Mapping[str, Any]) -> TextModelChoice:
    """Settings keys: detoxify_checkpoint, detoxify_hf_dir, detoxify_model, detoxify_online."""
    model = settings.get("detoxify_model") or "original"
    checkpoint = settings.get("detoxify_checkpoint")
    if checkpoint:
        state = "" if Path(checkpoint).is_file() else " (file missing: loading will fail)"
        hf_dir = settings.get("detoxify_hf_dir") or Path(checkpoint).parent / "hf"
        return TextModelChoice(
            DETOXIFY,
            f"WORKBENCH_DETOXIFY_CHECKPOINT is set: Detoxify '{model}' from the local "
            f"checkpoint {checkpoint}{state} with config/tokenizer {hf_dir}, no network",
        )
    if _truthy(settings.get("detoxify_online", False)):
        return TextModelChoice(
            DETOXIFY,
            f"WORKBENCH_DETOXIFY_ONLINE is on: Detoxify's released '{model}' weights, {_online_cache_note(model)}",
        )
    return TextModelChoice(
        OFFLINE,
        f"no Detoxify weights configured (set WORKBENCH_DETOXIFY_CHECKPOINT for a local "
        f"checkpoint or WORKBENCH_DETOXIFY_ONLINE=1 for the released weights): using the "
        f"offline model {DISTRIBUTION}",
    )


def build_text_classifier(settings: Mapping[str, Any]) -> DetoxifyClassifier | ProfanityCheckClassifier:
    """The classifier `select_text_model` chose (not loaded yet)."""
    choice = select_text_model(settings)
    if choice.classifier_name == DETOXIFY:
        return DetoxifyClassifier.from_settings(settings)
    return ProfanityCheckClassifier.from_settings(settings)
