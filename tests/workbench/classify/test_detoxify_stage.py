"""Detoxify through the workbench path: WORKBENCH_DETOXIFY_CHECKPOINT -> the classify
worker's start-up -> the pipeline -> stored signals, with a tiny random checkpoint built in a
temporary directory (no network, no downloaded weights)."""

from __future__ import annotations

import pytest

from classifiers.base import sha256_files
from classifiers.text.detoxify_loading import local_model_files
from classifiers.text.tiny_checkpoint import build_tiny_checkpoint
from tests.support.classify import loaded_classifiers
from tests.support.factories import text_item
from workbench import settings as workbench_settings

DETOXIFY_ORIGINAL_LABELS = {"toxicity", "severe_toxicity", "obscene", "threat", "insult", "identity_attack"}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return build_tiny_checkpoint(tmp_path_factory.mktemp("detoxify"))


@pytest.fixture
def classifier_names():
    return "text,langid"


@pytest.fixture
def classify_settings(tiny):
    return {
        "WORKBENCH_DETOXIFY_CHECKPOINT": str(tiny.checkpoint_path),
        "WORKBENCH_CLASSIFY_BATCH_SIZE": 4,
        "WORKBENCH_DETOXIFY_BATCH_SIZE": 2,
    }


@pytest.mark.slow  # imports torch and builds a checkpoint (a few seconds, once)
def test_detoxify_scores_text_items_through_the_pipeline(app, api, run_worker, tiny):
    texts = [
        "you are a stupid idiot and I hate you",
        "what a nice video, thanks for sharing",
        "click this link to win free money",
        "see you at the game tonight",
        "word " * 300,
    ]
    ids = [api.post_json("/items", text_item(f"t{i}", text=text)).json["id"] for i, text in enumerate(texts)]
    run_worker()
    documents = [api.get(f"/items/{item_id}").json for item_id in ids]
    assert [d["status"] for d in documents] == ["processed"] * len(texts), [d["error"] for d in documents]
    expected_checksum = sha256_files(local_model_files(tiny.checkpoint_path, tiny.hf_dir))
    scores = []
    for document in documents:
        group = document["signals"]["detoxify"]
        assert group["model_checksum"] == expected_checksum and group["version"].endswith("+original")
        assert set(group["scores"]) == DETOXIFY_ORIGINAL_LABELS
        assert all(0.0 <= value <= 1.0 for value in group["scores"].values())
        scores.append(tuple(group["scores"][label] for label in sorted(DETOXIFY_ORIGINAL_LABELS)))
        assert "profanity_check" not in document["signals"]  # "text" chose Detoxify
    assert len(set(scores)) == len(texts)  # different texts, different scores
    assert (
        loaded_classifiers(workbench_settings.of(app)).classifiers[1].batch_size == 2
    )  # WORKBENCH_DETOXIFY_BATCH_SIZE


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_worker_says_detoxify_is_active_and_why(app):
    from workbench.pipeline.classify_worker import load_classifiers

    lines: list[str] = []
    loaded = load_classifiers(workbench_settings.of(app), echo=lines.append)
    assert lines[0].startswith(
        "text model: detoxify (WORKBENCH_DETOXIFY_CHECKPOINT is set: Detoxify 'original' from the local checkpoint"
    )
    assert any(line.startswith("classifier detoxify ") and "local checkpoint" in line for line in lines)
    assert [c.name for c in loaded.classifiers] == ["langid", "detoxify"]
