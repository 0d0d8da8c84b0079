"""NudeNet's detector with its post-processing in numpy.

nudenet 3.4's `_postprocess` loops in Python over every one of the model's 2,100 candidate
boxes per image (np.amax on 18 scores each), which costs about as much as the ONNX run of a
small batch. `FastNudeDetector` is the same detector (same ONNX session, same
pre-processing, same thresholds, same NMS) with that loop vectorised: the candidates above
NudeNet's 0.2 score floor are selected at once, and only those are converted to boxes, with
the same float32 arithmetic, so the detections are identical (tests/classifiers/test_nudenet.py
compares it with the library's own function).
"""

from __future__ import annotations

import cv2
import nudenet.nudenet as _module
import numpy as np
from nudenet import NudeDetector
from nudenet.nudenet import _read_image

SCORE_FLOOR = 0.2  # nudenet's own: candidates below it are dropped before NMS
NMS_SCORE, NMS_IOU = 0.25, 0.45  # nudenet's own cv2.dnn.NMSBoxes arguments


def _labels() -> list[str]:
    return list(getattr(_module, "__labels"))


def postprocess(
    output: np.ndarray,
    x_pad: int,
    y_pad: int,
    image_width: int,
    image_height: int,
    model_width: int,
    model_height: int,
    labels: list[str] | None = None,
) -> list[dict]:
    """nudenet.nudenet._postprocess for one image's output (1 x (4+classes) x boxes), vectorised."""
    labels = labels or _labels()
    rows = np.transpose(np.squeeze(output, axis=0))  # boxes x (4 + classes)
    class_scores = rows[:, 4:]
    best = class_scores.max(axis=1)
    keep = np.flatnonzero(best >= SCORE_FLOOR)
    if keep.size == 0:
        return []
    scores = best[keep]
    class_ids = class_scores[keep].argmax(axis=1)
    x, y, w, h = (rows[keep, k] for k in range(4))
    x = x - w / 2
    y = y - h / 2
    x = x * (image_width + x_pad) / model_width
    y = y * (image_height + y_pad) / model_height
    w = w * (image_width + x_pad) / model_width
    h = h * (image_height + y_pad) / model_height
    x = np.maximum(0, np.minimum(x, image_width))
    y = np.maximum(0, np.minimum(y, image_height))
    w = np.minimum(w, image_width - x)
    h = np.minimum(h, image_height - y)
    boxes = np.stack([x, y, w, h], axis=1)
    indices = cv2.dnn.NMSBoxes(boxes.tolist(), scores.tolist(), NMS_SCORE, NMS_IOU)
    return [
        {"class": labels[int(class_ids[i])], "score": float(scores[i]), "box": [int(v) for v in boxes[i]]}
        for i in np.asarray(indices).reshape(-1)
    ]


class FastNudeDetector(NudeDetector):
    """A NudeDetector whose detect_batch post-processes in numpy (results unchanged)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._labels = _labels()

    def detect_batch(self, image_paths, batch_size=4):
        detections: list[list[dict]] = []
        for start in range(0, len(image_paths), batch_size):
            prepared = [_read_image(image, self.input_width) for image in image_paths[start : start + batch_size]]
            outputs = self.onnx_session.run(None, {self.input_name: np.vstack([p[0] for p in prepared])})
            for index, (_, _x_ratio, _y_ratio, x_pad, y_pad, width, height) in enumerate(prepared):
                detections.append(
                    postprocess(
                        outputs[0][index : index + 1],
                        x_pad,
                        y_pad,
                        width,
                        height,
                        self.input_width,
                        self.input_height,
                        self._labels,
                    )
                )
        return detections
