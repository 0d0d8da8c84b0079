"""How to construct a real `detoxify.Detoxify`, online or air-gapped, and prove what was loaded.

Why the air-gapped path needs care (detoxify 0.5.4, detoxify/detoxify.py):
  get_model_and_tokenizer() always calls
      config_class.from_pretrained(checkpoint["config"]["arch"]["args"]["model_type"], ...)
  and the released checkpoints name a hub model there ("bert-base-uncased", ...). Passing
  `huggingface_config_path` does not stop that call, so an offline machine would try the
  hub. We therefore load the checkpoint ourselves, point `model_type` at the local
  config/tokenizer directory, and hand the rewritten checkpoint to Detoxify as a file-like
  object (Detoxify passes it straight to torch.load). With `huggingface_config_path` set,
  Detoxify also passes local_files_only=True for the model and tokenizer.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import os
import pickle
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from classifiers.base import ClassifierLoadError, sha256_files

log = logging.getLogger(__name__)
DETOXIFY_MODELS = ("original", "unbiased", "multilingual")
_OFFLINE_ENV = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")


@contextlib.contextmanager
def hub_offline() -> Iterator[None]:
    """Make Hugging Face libraries refuse the network for the duration of a load.

    huggingface_hub and transformers read HF_HUB_OFFLINE once, at import time, so setting
    the environment variable now is not enough: the module-level flags are set too, then
    everything is put back as it was.
    """
    saved_env = {name: os.environ.get(name) for name in _OFFLINE_ENV}
    patched: list[tuple[Any, str, Any]] = []
    for name in _OFFLINE_ENV:
        os.environ[name] = "1"
    try:
        import huggingface_hub.constants as hub_constants

        patched.append((hub_constants, "HF_HUB_OFFLINE", hub_constants.HF_HUB_OFFLINE))
        hub_constants.HF_HUB_OFFLINE = True
        import transformers.utils.hub as transformers_hub

        if hasattr(transformers_hub, "_is_offline_mode"):
            patched.append((transformers_hub, "_is_offline_mode", transformers_hub._is_offline_mode))
            transformers_hub._is_offline_mode = True
        yield
    finally:
        for module, attribute, value in reversed(patched):
            setattr(module, attribute, value)
        for name, value in saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _import_detoxify() -> Any:
    try:
        import detoxify
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ClassifierLoadError(f"the detoxify package is not installed: {exc}") from exc
    return detoxify


def _read_checkpoint(path: Path, allow_pickle: bool) -> dict[str, Any]:
    import torch

    try:
        # weights_only refuses arbitrary pickled objects: a checkpoint is code otherwise.
        loaded = torch.load(path, map_location="cpu", weights_only=not allow_pickle)
    except pickle.UnpicklingError as exc:
        raise ClassifierLoadError(
            f"Detoxify checkpoint {path} holds more than tensors and plain values; if you "
            "trust this file, set WORKBENCH_DETOXIFY_TRUST_CHECKPOINT=1 to load it anyway "
            f"({exc})"
        ) from exc
    except Exception as exc:
        raise ClassifierLoadError(f"cannot read Detoxify checkpoint {path}: {exc}") from exc
    try:
        loaded["config"]["arch"]["args"]["model_type"]
        loaded["config"]["dataset"]["args"]["classes"]
        loaded["state_dict"]
    except (KeyError, TypeError) as exc:
        raise ClassifierLoadError(
            f"{path} is not a Detoxify checkpoint: it needs config.arch.args, "
            f"config.dataset.args.classes and state_dict (missing {exc})"
        ) from exc
    return loaded


def _declared_label_count(hf_dir: Path) -> int:
    config = json.loads((hf_dir / "config.json").read_text(encoding="utf-8"))
    if config.get("id2label"):
        return len(config["id2label"])
    return int(config.get("num_labels", 2))  # transformers' default


def _check_weights_loaded(model: Any, state_dict: dict[str, Any], path: Path) -> None:
    """transformers only warns when checkpoint keys do not match and keeps random weights;
    a moderation model with a random head must not start silently."""
    renames = {"LayerNorm.gamma": "LayerNorm.weight", "LayerNorm.beta": "LayerNorm.bias"}
    provided = set()
    for key in state_dict:
        for old, new in renames.items():
            key = key.replace(old, new)
        provided.add(key)
    missing = sorted(set(model.state_dict()) - provided)
    if missing:
        raise ClassifierLoadError(
            f"Detoxify checkpoint {path} does not provide {len(missing)} model weights "
            f"(e.g. {missing[:3]}); refusing to run with randomly initialised layers"
        )


def local_model_files(checkpoint: Path, hf_dir: Path) -> list[Path]:
    return [checkpoint] + sorted(p for p in hf_dir.iterdir() if p.is_file())


def load_local_detoxify(
    checkpoint: str | Path, hf_dir: str | Path, device: str = "cpu", allow_pickle: bool = False
) -> tuple[Any, str]:
    """Load Detoxify from a local checkpoint and HF config/tokenizer directory, offline.

    Returns (Detoxify instance, sha256 over the checkpoint and the directory's files).
    """
    checkpoint, hf_dir = Path(checkpoint), Path(hf_dir)
    if not checkpoint.is_file():
        raise ClassifierLoadError(f"Detoxify checkpoint not found: {checkpoint}")
    if not (hf_dir / "config.json").is_file():
        raise ClassifierLoadError(
            f"Hugging Face config directory {hf_dir} has no config.json (it needs the "
            "model's config.json and tokenizer files, e.g. from save_pretrained())"
        )
    checksum = sha256_files(local_model_files(checkpoint, hf_dir))

    detoxify = _import_detoxify()
    import torch

    loaded = _read_checkpoint(checkpoint, allow_pickle)
    num_classes = len(loaded["config"]["dataset"]["args"]["classes"])
    declared = _declared_label_count(hf_dir)
    if declared != num_classes:
        # Detoxify builds the model from config.json here, so the head would not fit.
        raise ClassifierLoadError(
            f"{hf_dir / 'config.json'} declares {declared} labels but the checkpoint has "
            f"{num_classes} classes; save the config with num_labels={num_classes}"
        )
    loaded["config"]["arch"]["args"]["model_type"] = str(hf_dir)

    buffer = io.BytesIO()
    torch.save(loaded, buffer)
    buffer.seek(0)
    try:
        with hub_offline():
            model = detoxify.Detoxify(checkpoint=buffer, device=device, huggingface_config_path=str(hf_dir))
    except ClassifierLoadError:
        raise
    except Exception as exc:
        raise ClassifierLoadError(f"Detoxify could not load {checkpoint} with config {hf_dir}: {exc}") from exc
    _check_weights_loaded(model.model, loaded["state_dict"], checkpoint)
    return model, checksum


def load_online_detoxify(model_type: str, device: str = "cpu") -> tuple[Any, str]:
    """Load a released Detoxify model by name (downloads once into torch's hub cache)."""
    if model_type not in DETOXIFY_MODELS:
        raise ClassifierLoadError(f"unknown Detoxify model {model_type!r}; choose one of {', '.join(DETOXIFY_MODELS)}")
    detoxify = _import_detoxify()
    try:
        model = detoxify.Detoxify(model_type=model_type, device=device)
    except Exception as exc:
        raise ClassifierLoadError(
            f"Detoxify could not load the released {model_type!r} weights (no network? "
            f"for air-gapped use set WORKBENCH_DETOXIFY_CHECKPOINT): {exc}"
        ) from exc
    cached = released_checkpoint_path(model_type)
    if cached is None or not cached.is_file():
        raise ClassifierLoadError(f"Detoxify loaded but its checkpoint file is not at {cached}")
    return model, sha256_files([cached])


def released_checkpoint_path(model_type: str) -> Path | None:
    """Where torch.hub keeps the released checkpoint once downloaded (None if unknown)."""
    import torch

    try:
        from detoxify.detoxify import MODEL_URLS
    except ImportError:
        return None
    url = MODEL_URLS.get(model_type)
    if url is None:
        return None
    return Path(torch.hub.get_dir()) / "checkpoints" / url.rsplit("/", 1)[-1]


def combined_checksum(checksums: dict[str, str]) -> str:
    """One model's checksum as is; several (English + multilingual) as the sha256 of a
    "checksum  role" manifest, so the stored identity covers every model that can score."""
    if len(checksums) == 1:
        return next(iter(checksums.values()))
    manifest = "".join(f"{value}  {role}\n" for role, value in sorted(checksums.items()))
    return hashlib.sha256(manifest.encode()).hexdigest()


# Texts on which a fast tokenizer must give exactly the slow one's ids before it replaces it.
_TOKENIZER_PROBES = [
    "you are a stupid idiot and I hate you!!!",
    "Thanks 4 sharing :) see u @ the game #fun",
    "Ça va? Größe naïve façade — 東京 😂😂",
    "",
    "word " * 600,
]


def use_fast_tokenizer(model: Any) -> bool:
    """Swap Detoxify's slow Python tokenizer for its Rust twin (e.g. BertTokenizer ->
    BertTokenizerFast: milliseconds -> microseconds per text) when the twin loads from the
    same files without the network and gives the same ids on the probes; otherwise keep it."""
    slow = model.tokenizer
    if getattr(slow, "is_fast", False):
        return True
    import transformers

    fast_class = getattr(transformers, f"{type(slow).__name__}Fast", None)
    if fast_class is None:
        return False
    try:
        with hub_offline():
            fast = fast_class.from_pretrained(
                slow.name_or_path, local_files_only=True, model_max_length=slow.model_max_length
            )
        same = all(
            fast(text, truncation=True)["input_ids"] == slow(text, truncation=True)["input_ids"]
            for text in _TOKENIZER_PROBES
        )
    except Exception as exc:  # noqa: BLE001 - the slow tokenizer still works
        log.info("keeping Detoxify's slow tokenizer (%s)", exc)
        return False
    if not same:
        log.warning("keeping Detoxify's slow tokenizer: %s gives different token ids", fast_class.__name__)
        return False
    model.tokenizer = fast
    return True
