"""PDQ against ThreatExchange's answers, through the workbench's own path.

The hash stage turns an item's bytes into hashes with classifiers.hashing.compute.hash_image
(decode with classifiers.hashing.images, then PDQ and its hex). Each case here feeds it the same
bytes ThreatExchange hashed and wants the same hex and quality, digit for digit: a hex read in the
wrong bit order, a decoder that changes pixels, or a different PDQ build all show up here. One
case also goes through the API and the pipeline's hash stage on a real worker. The provenance of
every value is in tests/data/pdq_known_answers.json.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import json
from pathlib import Path

import pytest

from classifiers.hashing import formats
from classifiers.hashing.compute import hash_image
from classifiers.hashing.distance import normalize_hash
from classifiers.hashing.pdq import MIN_QUALITY

DATA = json.loads((Path(__file__).parents[1] / "data" / "pdq_known_answers.json").read_text(encoding="utf-8"))
PUBLISHED = DATA["published"]["cases"]
COMPUTED = DATA["computed"]["cases"]


def _package_file(package: str, relative: str) -> Path:
    spec = importlib.util.find_spec(package)
    assert spec is not None and spec.origin, f"{package} is pinned in requirements.txt but not installed"
    return Path(spec.origin).parent / relative


def _check_input(data: bytes, case: dict, where: str) -> None:
    # The expected values belong to these exact bytes: a different file is a different question.
    assert hashlib.sha256(data).hexdigest() == case["sha256"], (
        f"{where} is not the file the known answer was computed from; recompute the answer "
        "with ThreatExchange's tool as tests/data/pdq_known_answers.json describes"
    )


def _assert_same(data: bytes, case: dict) -> None:
    hashes = hash_image(data)
    assert (hashes.pdq, hashes.pdq_quality) == (case["pdq"], case["quality"])
    assert hashes.pdq_matchable is (case["quality"] >= MIN_QUALITY)


@pytest.mark.parametrize("case", PUBLISHED, ids=[case["name"] for case in PUBLISHED])
def test_the_hash_threatexchange_publishes_for_its_test_image(case):
    data = base64.b64decode(case["png_base64"], validate=True)
    _check_input(data, case, "the decoded png_base64")
    _assert_same(data, case)


@pytest.mark.parametrize("case", COMPUTED, ids=[Path(case["path"]).name for case in COMPUTED])
def test_the_hash_threatexchanges_hasher_gives_for_packaged_images(case):
    path = _package_file(case["package"], case["path"])
    data = path.read_bytes()
    _check_input(data, case, f"{case['package']}/{case['path']}")
    _assert_same(data, case)


def test_the_hash_stage_stores_the_published_hash(app, api, run_worker):
    # End to end: uploaded through the API, hashed by the pipeline's hash stage on a real worker.
    from sqlalchemy import select

    from workbench.extensions import db
    from workbench.models import ItemHash

    case = PUBLISHED[0]
    response = api.post_image(
        base64.b64decode(case["png_base64"]), external_id="pdq-known-answer", author_id="u", country="DE"
    )
    assert response.status_code == 201, response.json
    run_worker()
    with app.app_context():
        stored = db.session.execute(
            select(ItemHash.value, ItemHash.quality).where(
                ItemHash.item_id == response.json["id"], ItemHash.algorithm == "pdq"
            )
        ).one()
    assert tuple(stored) == (case["pdq"], case["quality"])


def test_the_published_hash_survives_the_hma_csv_unchanged():
    # What the workbench exports for HMA is the very hex ThreatExchange published.
    published = PUBLISHED[0]["pdq"]
    computed = hash_image(base64.b64decode(PUBLISHED[0]["png_base64"])).pdq
    assert normalize_hash("pdq", published) == published == computed
    text = formats.write([formats.HashRecord("pdq", computed)], formats.HMA_CSV)
    assert text.splitlines()[1].startswith(f"pdq,{published},")
    parsed = formats.parse(text, formats.HMA_CSV)
    assert parsed.errors == [] and [(r.algorithm, r.hash) for r in parsed.records] == [("pdq", published)]
