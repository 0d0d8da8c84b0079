"""Detoxify loaded from a tiny random checkpoint through the production air-gapped path."""

import json
import socket

import pytest
import torch

from classifiers.base import ClassifierInput, ClassifierLoadError, ClassifierNotLoaded, sha256_files
from classifiers.registry import create_classifier
from classifiers.text.detoxify_classifier import DetoxifyClassifier
from classifiers.text.detoxify_loading import hub_offline, local_model_files
from classifiers.text.tiny_checkpoint import build_tiny_checkpoint

DETOXIFY_ORIGINAL_LABELS = {"toxicity", "severe_toxicity", "obscene", "threat", "insult", "identity_attack"}
TEXTS = [
    "you are a stupid idiot and I hate you",
    "what a nice video, thanks for sharing",
    "click this link to win free money",
    "",
    "word " * 400,  # longer than the tiny model's 128 positions: must be truncated
]


def _refuse_network(*args, **kwargs):
    raise AssertionError(f"network access attempted: {args!r}")


@pytest.fixture()
def no_network(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(socket.socket, "connect", _refuse_network)
    monkeypatch.setattr(socket.socket, "connect_ex", _refuse_network)
    monkeypatch.setattr(socket, "create_connection", _refuse_network)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return build_tiny_checkpoint(tmp_path_factory.mktemp("detoxify"))


@pytest.fixture(scope="module")
def detoxify_classifier(tiny):
    # Loaded once for the module; test_load_is_offline proves the load itself is offline.
    classifier = create_classifier("detoxify", {"detoxify_checkpoint": str(tiny.checkpoint_path)})
    classifier.load()
    return classifier


def _texts(texts):
    return [ClassifierInput.for_text(str(i), text) for i, text in enumerate(texts)]


def test_load_is_offline_and_records_the_model_checksum(tiny, no_network):
    classifier = DetoxifyClassifier(checkpoint=tiny.checkpoint_path, hf_dir=tiny.hf_dir)
    classifier.load()
    assert classifier.model_checksum == sha256_files(local_model_files(tiny.checkpoint_path, tiny.hf_dir))
    assert len(classifier.model_checksum) == 64
    assert set(classifier.labels) == DETOXIFY_ORIGINAL_LABELS
    # The checkpoint still names the hub model: only the loader's rewrite kept it local.
    on_disk = torch.load(tiny.checkpoint_path, weights_only=True)
    assert on_disk["config"]["arch"]["args"]["model_type"] == "bert-base-uncased"


def test_every_detoxify_label_becomes_a_signal_in_range(detoxify_classifier):
    results = detoxify_classifier.classify_batch(_texts(TEXTS))
    assert len(results) == len(TEXTS)
    for signals in results:
        assert {s.label for s in signals} == DETOXIFY_ORIGINAL_LABELS
        assert all(0.0 <= s.score <= 1.0 and not s.is_error for s in signals)


def test_batched_scores_equal_one_by_one(detoxify_classifier):
    batched = detoxify_classifier.classify_batch(_texts(TEXTS))
    for text, signals in zip(TEXTS, batched):
        (alone,) = detoxify_classifier.classify_batch(_texts([text]))
        assert [s.label for s in alone] == [s.label for s in signals]
        for a, b in zip(alone, signals):
            assert a.score == pytest.approx(b.score, abs=1e-4)


def test_small_batch_size_gives_the_same_scores(tiny, detoxify_classifier):
    small = DetoxifyClassifier(checkpoint=tiny.checkpoint_path, batch_size=2)
    small.load()
    for a, b in zip(small.classify_batch(_texts(TEXTS)), detoxify_classifier.classify_batch(_texts(TEXTS))):
        assert [s.score for s in a] == pytest.approx([s.score for s in b], abs=1e-4)


def test_different_texts_get_different_scores(detoxify_classifier):
    results = detoxify_classifier.classify_batch(_texts(TEXTS[:3]))
    vectors = [tuple(round(s.score, 6) for s in signals) for signals in results]
    assert len(set(vectors)) == 3


def test_image_items_are_skipped_not_failed(detoxify_classifier):
    items = [ClassifierInput.for_image("img", b"\x89PNG"), *_texts(["hello"])]
    results = detoxify_classifier.classify_batch(items)
    assert results[0] == []
    assert len(results[1]) == len(DETOXIFY_ORIGINAL_LABELS)


def test_a_failing_text_gets_an_error_signal_and_the_rest_score(detoxify_classifier, monkeypatch):
    model = detoxify_classifier.detoxify
    real_predict = model.predict

    def predict(texts):
        if any("POISON" in t for t in texts):
            raise RuntimeError("tokenizer exploded")
        return real_predict(texts)

    expected = detoxify_classifier.classify_batch(_texts(TEXTS[:2]))
    monkeypatch.setattr(model, "predict", predict)
    results = detoxify_classifier.classify_batch(_texts([TEXTS[0], "POISON", TEXTS[1]]))
    assert results[1][0].is_error and results[1][0].retryable
    for got, want in zip([results[0], results[2]], expected):
        assert [s.score for s in got] == pytest.approx([s.score for s in want], abs=1e-4)


def test_classify_before_load_is_an_error(tiny):
    with pytest.raises(ClassifierNotLoaded):
        DetoxifyClassifier(checkpoint=tiny.checkpoint_path).classify_batch(_texts(["x"]))


def test_missing_checkpoint_fails_loudly(tmp_path, no_network):
    classifier = DetoxifyClassifier(checkpoint=tmp_path / "absent.ckpt")
    with pytest.raises(ClassifierLoadError, match="not found"):
        classifier.load()


def test_missing_config_directory_fails_loudly(tiny, tmp_path, no_network):
    classifier = DetoxifyClassifier(checkpoint=tiny.checkpoint_path, hf_dir=tmp_path / "nothing")
    with pytest.raises(ClassifierLoadError, match="config.json"):
        classifier.load()


def test_file_that_is_not_a_detoxify_checkpoint_fails_loudly(tiny, tmp_path, no_network):
    bogus = tmp_path / "bogus.ckpt"
    torch.save({"weights": torch.zeros(2)}, bogus)
    with pytest.raises(ClassifierLoadError, match="not a Detoxify checkpoint"):
        DetoxifyClassifier(checkpoint=bogus, hf_dir=tiny.hf_dir).load()


def test_checkpoint_whose_weights_do_not_match_is_refused(tiny, tmp_path, no_network):
    # Lightning-style keys ("model.bert...") would leave the model randomly initialised.
    loaded = torch.load(tiny.checkpoint_path, weights_only=True)
    loaded["state_dict"] = {f"model.{k}": v for k, v in loaded["state_dict"].items()}
    prefixed = tmp_path / "prefixed.ckpt"
    torch.save(loaded, prefixed)
    with pytest.raises(ClassifierLoadError, match="randomly initialised"):
        DetoxifyClassifier(checkpoint=prefixed, hf_dir=tiny.hf_dir).load()


def test_config_with_the_wrong_label_count_is_explained(tiny, tmp_path, no_network):
    hf_dir = tmp_path / "hf"
    hf_dir.mkdir()
    for source in tiny.hf_dir.iterdir():
        (hf_dir / source.name).write_bytes(source.read_bytes())
    config = json.loads((hf_dir / "config.json").read_text())
    config.pop("id2label"), config.pop("label2id")
    (hf_dir / "config.json").write_text(json.dumps(config))
    with pytest.raises(ClassifierLoadError, match="num_labels=6"):
        DetoxifyClassifier(checkpoint=tiny.checkpoint_path, hf_dir=hf_dir).load()


def test_unknown_model_name_is_refused():
    with pytest.raises(ClassifierLoadError, match="unknown Detoxify model"):
        DetoxifyClassifier(model="gigantic")


def test_hub_offline_restores_the_libraries_flags(monkeypatch):
    import huggingface_hub.constants as hub_constants
    import transformers.utils.hub as transformers_hub

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(hub_constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(transformers_hub, "_is_offline_mode", False)
    with hub_offline():
        assert hub_constants.HF_HUB_OFFLINE is True
        assert transformers_hub.is_offline_mode() is True
    assert hub_constants.HF_HUB_OFFLINE is False
    assert transformers_hub.is_offline_mode() is False
    import os

    assert "HF_HUB_OFFLINE" not in os.environ


@pytest.mark.slow
def test_base_size_checkpoint_has_the_original_architecture(tmp_path, no_network):
    base = build_tiny_checkpoint(tmp_path, size="base")
    classifier = DetoxifyClassifier(checkpoint=base.checkpoint_path)
    classifier.load()
    config = classifier.detoxify.model.config
    assert type(classifier.detoxify.model).__name__ == "BertForSequenceClassification"
    assert (config.num_hidden_layers, config.hidden_size, config.vocab_size) == (12, 768, 30522)
    (signals,) = classifier.classify_batch(_texts(["hello there"]))
    assert {s.label for s in signals} == DETOXIFY_ORIGINAL_LABELS


def test_passes_keep_short_texts_apart_from_long_ones(detoxify_classifier, monkeypatch):
    """Forward passes follow the token-count plan: the short comments are not padded to the
    long caption's length, and every text is scored once."""
    model = detoxify_classifier.detoxify
    real_predict = model.predict
    passes = []

    def predict(texts):
        passes.append(list(texts))
        return real_predict(texts)

    monkeypatch.setattr(model, "predict", predict)
    long_caption = "great video " * 50
    texts = ["nice", "so good", long_caption, "thanks", "lol ok", long_caption + "!"]
    results = detoxify_classifier.classify_batch(_texts(texts))
    assert sorted(t for p in passes for t in p) == sorted(texts)
    assert any(long_caption in p for p in passes)
    assert not any(("nice" in p) and (long_caption in p) for p in passes)
    assert all(len(r) == len(DETOXIFY_ORIGINAL_LABELS) for r in results)
