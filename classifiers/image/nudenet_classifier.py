"""NudeNet (the ONNX detector inside the `nudenet` wheel) as an image classifier.

Signals per image: one per NudeNet class (e.g. FEMALE_BREAST_EXPOSED) with the highest
detection score for that class, 0.0 when nothing was detected (NudeNet drops detections
below 0.2), plus two summaries:
  exposed   max over every *_EXPOSED class (feet and armpits included)
  explicit  max over the sexual *_EXPOSED classes (genitalia, anus, female breast, buttocks)
For animated images the sampled frames are scored and each signal keeps its best frame in
`detail` ({"frame", "time_ms", "frames_sampled", "frames_total"}).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from classifiers.base import (
    ClassifierInput,
    ClassifierLoadError,
    ClassifierNotLoaded,
    Signal,
    classify_isolating_failures,
    describe_error,
    sha256_files,
)
from classifiers.image.frames import Frame, ImageDecodeError, decode_frames

log = logging.getLogger(__name__)

EXPOSED_LABEL = "exposed"
EXPLICIT_LABEL = "explicit"
EXPLICIT_CLASSES = frozenset(
    {"FEMALE_GENITALIA_EXPOSED", "MALE_GENITALIA_EXPOSED", "ANUS_EXPOSED", "FEMALE_BREAST_EXPOSED", "BUTTOCKS_EXPOSED"}
)
DEFAULT_MAX_FRAMES = 8
DEFAULT_BATCH_SIZE = 8


def nudenet_class_names() -> tuple[str, ...]:
    """NudeNet's own label list (a module-private name in nudenet 3.4)."""
    import nudenet.nudenet as module

    return tuple(getattr(module, "__labels"))


@dataclass
class _Best:
    score: float = 0.0
    frame: Frame | None = None


class NudeNetClassifier:
    name = "nudenet"
    media_types = frozenset({"image"})

    def __init__(
        self,
        max_frames: int = DEFAULT_MAX_FRAMES,
        batch_size: int = DEFAULT_BATCH_SIZE,
        model_path: str | Path | None = None,
    ) -> None:
        try:
            self.version = version("nudenet")
        except PackageNotFoundError:
            self.version = "unknown"
        self.max_frames = max(1, int(max_frames))
        self.batch_size = max(1, int(batch_size))
        self.model_path = Path(model_path) if model_path else None
        self.class_names: tuple[str, ...] = ()
        self.labels: tuple[str, ...] = ()
        self._detector: Any = None
        self.model_checksum: str | None = None  # sha256, set by load()

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> NudeNetClassifier:
        return cls(
            max_frames=int(settings.get("nudenet_max_frames") or DEFAULT_MAX_FRAMES),
            batch_size=int(settings.get("nudenet_batch_size") or DEFAULT_BATCH_SIZE),
            model_path=settings.get("nudenet_model_path") or None,
        )

    @property
    def detector(self) -> Any:
        """The loaded `nudenet.NudeDetector` (for calling the model directly)."""
        if self._detector is None:
            raise ClassifierNotLoaded(f"{self.name}: call load() first")
        return self._detector

    def load(self) -> None:
        if self._detector is not None:
            return
        try:
            import nudenet

            # NudeNet's detector, its post-processing vectorised (same detections, faster).
            from classifiers.image.nudenet_detector import FastNudeDetector
        except Exception as exc:
            raise ClassifierLoadError(f"cannot import nudenet: {exc}") from exc
        path = self.model_path or Path(os.path.dirname(nudenet.__file__)) / "320n.onnx"
        if not path.is_file():
            raise ClassifierLoadError(f"NudeNet model not found: {path}")
        try:
            self._detector = FastNudeDetector(model_path=str(path))
        except Exception as exc:
            raise ClassifierLoadError(f"NudeNet could not load {path}: {exc}") from exc
        self.class_names = nudenet_class_names()
        self.labels = self.class_names + (EXPOSED_LABEL, EXPLICIT_LABEL)
        self.model_checksum = sha256_files([path])
        log.info("nudenet %s loaded from %s, sha256 %s", self.version, path, self.model_checksum)

    # --- scoring ---------------------------------------------------------------------

    def _signal(self, label: str, best: _Best, animated: bool, sampled: int) -> Signal:
        detail: dict[str, Any] = {}
        if animated and best.frame is not None and best.score > 0:
            detail = {
                "frame": best.frame.index,
                "time_ms": best.frame.time_ms,
                "frames_sampled": sampled,
                "frames_total": best.frame.total_frames,
            }
        return Signal(label, best.score, detail=detail)

    def _signals_for(self, frames: list[Frame], detections: list[list[dict]]) -> list[Signal]:
        best = {name: _Best() for name in self.class_names}
        for frame, found in zip(frames, detections):
            for detection in found:
                slot = best.setdefault(detection["class"], _Best())
                if detection["score"] > slot.score:
                    slot.score, slot.frame = float(detection["score"]), frame
        animated = frames[0].total_frames > 1
        summaries = {
            EXPOSED_LABEL: [n for n in best if n.endswith("_EXPOSED")],
            EXPLICIT_LABEL: [n for n in best if n in EXPLICIT_CLASSES],
        }
        signals = [self._signal(n, slot, animated, len(frames)) for n, slot in best.items()]
        for label, members in summaries.items():
            top = max((best[n] for n in members), key=lambda slot: slot.score, default=_Best())
            signals.append(self._signal(label, top, animated, len(frames)))
        return signals

    def _detect(self, decoded: Sequence[list[Frame]]) -> list[list[Signal]]:
        """One detector run over every frame of every image in the batch."""
        flat = [frame for frames in decoded for frame in frames]
        detections = self._detector.detect_batch([f.bgr for f in flat], batch_size=self.batch_size)
        if len(detections) != len(flat):
            raise RuntimeError(f"nudenet returned {len(detections)} results for {len(flat)} frames")
        results, start = [], 0
        for frames in decoded:
            results.append(self._signals_for(frames, detections[start : start + len(frames)]))
            start += len(frames)
        return results

    def classify_batch(self, items: Sequence[ClassifierInput]) -> list[list[Signal]]:
        if self._detector is None:
            raise ClassifierNotLoaded(f"{self.name}: call load() first")
        results: list[list[Signal]] = [[] for _ in items]
        decoded: list[list[Frame]] = []
        positions: list[int] = []
        # Decoding fails for one item at a time (corrupt upload); keep it out of the batch.
        for position, item in enumerate(items):
            if item.kind != "image":
                continue
            try:
                decoded.append(list(item.frames) if item.frames else decode_frames(item.image or b"", self.max_frames))
                positions.append(position)
            except ImageDecodeError as exc:
                log.warning("nudenet: item %s not decodable: %s", item.item_id, exc)
                results[position] = [Signal.failure(describe_error(exc), retryable=False)]
            except MemoryError as exc:
                results[position] = [Signal.failure(describe_error(exc))]
        scored = classify_isolating_failures(
            decoded, self._detect, chunk_size=self.batch_size, classifier_name=self.name
        )
        for position, signals in zip(positions, scored):
            results[position] = signals
        return results
