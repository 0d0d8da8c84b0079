import dataclasses
import hashlib
import pickle

import numpy as np
import pytest

from classifiers.base import (
    Classifier,
    ClassifierInput,
    ClassifierNotLoaded,
    Signal,
    classifier_identity,
    classify_isolating_failures,
    classify_supported_items,
    sha256_file,
    sha256_files,
)


def test_signal_is_a_frozen_value_that_pickles():
    detail = {"frame": 3}
    signal = Signal("exposed", np.float32(0.5), detail=detail)
    detail["frame"] = 4  # the caller's dict is not the signal's
    with pytest.raises(dataclasses.FrozenInstanceError):
        signal.score = 1.0
    assert signal.to_dict() == {"label": "exposed", "score": 0.5, "detail": {"frame": 3}}
    assert type(signal.to_dict()["score"]) is float
    assert pickle.loads(pickle.dumps(signal)) == signal
    assert hash(signal) == hash(Signal("exposed", 0.5, detail={"frame": 9}))
    assert not signal.is_error


def test_error_signal_says_whether_to_retry():
    transient = Signal.failure("timeout")
    permanent = Signal.failure("not an image", retryable=False)
    assert transient.is_error and transient.retryable
    assert permanent.is_error and not permanent.retryable
    assert transient.to_dict()["error"] == "timeout"


def test_identity_needs_a_loaded_classifier():
    class Fake:
        name, version, media_types, model_checksum = "fake", "1.0", frozenset({"text"}), None

        def load(self):
            self.model_checksum = "ab" * 32

        def classify_batch(self, items):
            return [[] for _ in items]

    fake = Fake()
    assert isinstance(fake, Classifier)
    with pytest.raises(ClassifierNotLoaded):
        classifier_identity(fake)
    fake.load()
    assert classifier_identity(fake) == {"classifier": "fake", "version": "1.0", "model_checksum": "ab" * 32}


def test_input_rejects_unknown_kind():
    with pytest.raises(ValueError):
        ClassifierInput(item_id="1", kind="video")


def test_checksum_of_one_file_is_its_sha256(tmp_path):
    path = tmp_path / "model.bin"
    path.write_bytes(b"weights")
    assert sha256_file(path) == hashlib.sha256(b"weights").hexdigest()
    assert sha256_files([path]) == hashlib.sha256(b"weights").hexdigest()


def test_checksum_of_several_files_changes_with_any_file(tmp_path):
    (tmp_path / "a").write_bytes(b"one")
    (tmp_path / "b").write_bytes(b"two")
    before = sha256_files([tmp_path / "b", tmp_path / "a"])
    assert before == sha256_files([tmp_path / "a", tmp_path / "b"])  # order-free
    (tmp_path / "b").write_bytes(b"three")
    assert sha256_files([tmp_path / "a", tmp_path / "b"]) != before


def _fragile_batch(calls):
    def run(items):
        calls.append(list(items))
        if "poison" in items:
            raise RuntimeError("model crashed on poison")
        return [[Signal("length", len(item) / 10)] for item in items]

    return run


def test_one_failing_item_does_not_fail_the_batch():
    calls = []
    items = ["a", "bb", "poison", "dddd"]
    results = classify_isolating_failures(items, _fragile_batch(calls))
    assert len(results) == 4
    assert [r[0].score for i, r in enumerate(results) if i != 2] == [0.1, 0.2, 0.4]
    assert results[2][0].is_error and "poison" in results[2][0].error
    assert calls[0] == items  # tried as one batch first, then one by one
    assert len(calls) == 1 + len(items)


def test_chunks_without_failures_are_not_retried():
    calls = []
    results = classify_isolating_failures(["a", "b", "poison", "c"], _fragile_batch(calls), chunk_size=2)
    assert [len(c) for c in calls] == [2, 2, 1, 1]
    assert [r[0].is_error for r in results] == [False, False, True, False]


def test_wrong_number_of_results_counts_as_failure():
    results = classify_isolating_failures(["a", "b"], lambda items: [[Signal("x", 0.1)]] * (len(items) + 1))
    assert all(r[0].is_error for r in results)


def test_unsupported_items_get_empty_lists_in_place():
    items = [
        ClassifierInput.for_image("1", b"x"),
        ClassifierInput.for_text("2", "hi"),
        ClassifierInput.for_image("3", b"y"),
    ]
    results = classify_supported_items(items, {"text"}, lambda batch: [[Signal("seen", 1.0)] for _ in batch])
    assert results == [[], [Signal("seen", 1.0)], []]
