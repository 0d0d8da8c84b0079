"""The contract every classifier follows: inputs, signals, the Classifier protocol.

A classifier turns a batch of items into one list of signals per item. Signals are plain
values (no model objects), so the workbench can store them next to the classifier's name,
version and model checksum: an auditor can then tell which model produced which score.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

log = logging.getLogger(__name__)

ERROR_LABEL = "error"

MediaType = Literal["text", "image"]


class ClassifierError(Exception):
    """Base class for the errors this package raises on purpose."""


class ClassifierLoadError(ClassifierError):
    """A classifier cannot load its model (missing file, bad checkpoint, missing package).

    Raised at worker start, so a misconfigured deployment fails loudly instead of
    silently storing no scores.
    """


class ClassifierNotLoaded(ClassifierError):
    """classify_batch() was called before load()."""


@dataclass(frozen=True)
class Signal:
    """One score from one classifier for one item.

    `detail` carries optional context such as the frame an image score came from
    ({"frame": 3, "time_ms": 300}) or the language code of a language-id signal.
    An error signal (see `Signal.failure`) means the classifier could not score the item:
    the caller should retry the item rather than read its score.
    """

    label: str
    score: float
    detail: Mapping[str, Any] = field(default_factory=dict, hash=False)
    error: str | None = None

    def __post_init__(self) -> None:
        # A private copy, so the caller's dict cannot change a signal after the fact.
        # (Plain dict, not a read-only proxy: signals must pickle and deepcopy for RQ.)
        object.__setattr__(self, "detail", dict(self.detail))
        object.__setattr__(self, "score", float(self.score))

    @classmethod
    def failure(cls, message: str, retryable: bool = True) -> Signal:
        """The item could not be scored. `retryable=False` when trying again cannot help
        (an upload that is not an image at all)."""
        return cls(label=ERROR_LABEL, score=0.0, detail={"retryable": retryable}, error=message or "unknown error")

    @property
    def is_error(self) -> bool:
        return self.error is not None

    @property
    def retryable(self) -> bool:
        return self.is_error and bool(self.detail.get("retryable", True))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form for storage and the API."""
        data: dict[str, Any] = {"label": self.label, "score": self.score}
        if self.detail:
            data["detail"] = dict(self.detail)
        if self.error is not None:
            data["error"] = self.error
        return data


@dataclass(frozen=True)
class ClassifierInput:
    """One item to classify. Text items carry `text`; image items carry the raw bytes.

    `frames`: the image's frames when the caller has decoded them already
    (classifiers.image.frames.decode_frames, e.g. a video's sampled frames it also keeps
    as thumbnails); an image classifier then uses them instead of decoding the bytes again."""

    item_id: str
    kind: MediaType
    text: str | None = None
    image: bytes | None = None
    language: str | None = None  # ISO 639-1 if already known (e.g. from language id)
    frames: tuple[Any, ...] | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.kind not in ("text", "image"):
            raise ValueError(f"kind must be 'text' or 'image', not {self.kind!r}")

    @classmethod
    def for_text(cls, item_id: Any, text: str, language: str | None = None) -> ClassifierInput:
        return cls(item_id=str(item_id), kind="text", text=text, language=language)

    @classmethod
    def for_image(cls, item_id: Any, image: bytes, frames: Sequence[Any] | None = None) -> ClassifierInput:
        return cls(
            item_id=str(item_id), kind="image", image=image, frames=tuple(frames) if frames is not None else None
        )


@runtime_checkable
class Classifier(Protocol):
    """What the pipeline needs from a classifier.

    `model_checksum` is the sha256 of the model file(s) actually loaded, None until
    `load()` has run. `load()` raises ClassifierLoadError when the model cannot load.
    `classify_batch` returns exactly one list per input, in order: an empty list for
    items of a media type the classifier does not handle, a single error signal for an
    item that failed. It never raises for one bad item.
    """

    name: str
    version: str
    media_types: frozenset[str]
    model_checksum: str | None

    def load(self) -> None: ...

    def classify_batch(self, items: Sequence[ClassifierInput]) -> list[list[Signal]]: ...


def classifier_identity(classifier: Classifier) -> dict[str, str]:
    """What to store next to every signal: which model, exactly, produced it."""
    if not classifier.model_checksum:
        raise ClassifierNotLoaded(f"{classifier.name}: call load() first")
    return {"classifier": classifier.name, "version": classifier.version, "model_checksum": classifier.model_checksum}


# --- helpers shared by the implementations ------------------------------------------


def sha256_file(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def sha256_files(paths: Iterable[str | Path]) -> str:
    """One checksum for a model made of several files.

    A single file gives its plain sha256 (what `sha256sum` prints); several files give
    the sha256 of a manifest of "sha256  name" lines sorted by name, so the result does
    not depend on where the files live.
    """
    files = sorted(Path(p) for p in paths)
    if not files:
        raise ValueError("no model files to checksum")
    if len(files) == 1:
        return sha256_file(files[0])
    manifest = "".join(f"{sha256_file(p)}  {p.name}\n" for p in sorted(files, key=lambda p: p.name))
    return hashlib.sha256(manifest.encode()).hexdigest()


def describe_error(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}"[:500] if text else type(exc).__name__


def classify_isolating_failures(
    items: Sequence[Any],
    run_batch: Callable[[Sequence[Any]], list[list[Signal]]],
    *,
    chunk_size: int | None = None,
    classifier_name: str = "classifier",
    chunk_sizes: Sequence[int] | None = None,
) -> list[list[Signal]]:
    """Run `run_batch` over chunks of `items` (of `chunk_size`, or of the consecutive
    `chunk_sizes`); if a chunk fails, retry it one by one.

    One bad item then costs only its own result (an error signal) instead of the batch.
    """
    if chunk_sizes is None:
        size = chunk_size or max(len(items), 1)
        chunk_sizes = [min(size, len(items) - start) for start in range(0, len(items), size)]
    elif sum(chunk_sizes) != len(items) or min(chunk_sizes, default=1) < 1:
        raise ValueError(f"chunk sizes {list(chunk_sizes)} do not cover {len(items)} items")
    results: list[list[Signal]] = []
    start = 0
    for size in chunk_sizes:
        chunk = items[start : start + size]
        start += size
        try:
            chunk_results = run_batch(chunk)
            if len(chunk_results) != len(chunk):
                raise RuntimeError(f"{len(chunk_results)} results for {len(chunk)} items")
            results.extend(chunk_results)
            continue
        except Exception:  # noqa: BLE001 - whatever broke the batch, each item gets its own try
            log.warning("%s: batch of %d failed, retrying one by one", classifier_name, len(chunk), exc_info=True)
        for item in chunk:
            try:
                (one,) = run_batch([item])
                results.append(one)
            except Exception as exc:  # noqa: BLE001 - one item's failure is data, not a crash
                log.warning(
                    "%s: item %s failed: %s", classifier_name, getattr(item, "item_id", "?"), describe_error(exc)
                )
                results.append([Signal.failure(describe_error(exc))])
    return results


def classify_supported_items(
    items: Sequence[ClassifierInput],
    media_types: Iterable[str],
    run_batch: Callable[[Sequence[ClassifierInput]], list[list[Signal]]],
    *,
    chunk_size: int | None = None,
    classifier_name: str = "classifier",
    chunk_sizes: Sequence[int] | None = None,
) -> list[list[Signal]]:
    """Classify the items whose kind the classifier handles, isolating failures; every
    other item gets an empty list, so the result still lines up with `items`.
    `chunk_sizes`, if given, are the consecutive chunks of the supported items."""
    kinds = frozenset(media_types)
    results: list[list[Signal]] = [[] for _ in items]
    positions = [i for i, item in enumerate(items) if item.kind in kinds]
    scored = classify_isolating_failures(
        [items[i] for i in positions],
        run_batch,
        chunk_size=chunk_size,
        classifier_name=classifier_name,
        chunk_sizes=chunk_sizes,
    )
    for position, signals in zip(positions, scored):
        results[position] = signals
    return results
