"""How well each hash survives everyday edits of real photographs.

    .venv/bin/python bench/hash_robustness.py

Photographs come from installed wheels (no download): scikit-image's
skimage/data and scikit-learn's sklearn/datasets/images. For each photo and
edit, an algorithm "matches" when the edited copy is within its library
threshold of the original (PDQ 31, pHash 8, dHash 8; MD5 equal), and for PDQ
only when both hashes have quality >= 50, as the workbench matches.

False matches: every pair of variants (original and edited) of two different
photographs is compared; the rate is the share of those pairs that match.

Prints a table, then one JSON line with every figure.
"""

from __future__ import annotations

import importlib.util
import io
import itertools
import json
import os
import sys
from pathlib import Path

from PIL import Image, ImageDraw, ImageEnhance, ImageFont, ImageOps

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from classifiers.hashing.compute import ImageHashes, hash_image
from classifiers.hashing.distance import DEFAULT_THRESHOLDS, hamming_distance

ALGORITHMS = ("pdq", "phash", "dhash", "md5")
SKIMAGE_PHOTOS = (
    "astronaut.png",
    "coffee.png",
    "chelsea.png",
    "camera.png",
    "rocket.jpg",
    "motorcycle_left.png",
    "hubble_deep_field.jpg",
    "moon.png",
    "retina.jpg",
    "coins.png",
    "ihc.png",
    "brick.png",
    "grass.png",
    "gravel.png",
    "page.png",
    "cell.png",
    "clock_motion.png",
)
SKLEARN_PHOTOS = ("china.jpg", "flower.jpg")


def package_dir(package: str) -> Path | None:
    spec = importlib.util.find_spec(package)
    return Path(spec.origin).parent if spec and spec.origin else None


def find_photos() -> dict[str, Image.Image]:
    found = {}
    for package, sub, names in (("skimage", "data", SKIMAGE_PHOTOS), ("sklearn", "datasets/images", SKLEARN_PHOTOS)):
        base = package_dir(package)
        if base is None:
            continue
        for name in names:
            path = base / sub / name
            if path.is_file():
                with Image.open(path) as image:
                    found[Path(name).stem] = image.convert("RGB")
    return found


def encode(image: Image.Image, fmt: str = "PNG", **params) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def crop_5(image):
    w, h = image.size
    dx, dy = round(w * 0.025), round(h * 0.025)
    return encode(image.crop((dx, dy, w - dx, h - dy)))


def text_overlay(image):
    out = image.copy()
    draw = ImageDraw.Draw(out)
    w, h = out.size
    font = ImageFont.load_default(size=max(12, h // 12))
    draw.text(
        (w // 20, h - h // 5),
        "@someone 2024  watch this!",
        font=font,
        fill="white",
        stroke_width=max(1, h // 150),
        stroke_fill="black",
    )
    return encode(out)


EDITS = {
    "resize 50%": lambda im: encode(im.resize((im.width // 2, im.height // 2), Image.Resampling.LANCZOS)),
    "JPEG quality 40": lambda im: encode(im, "JPEG", quality=40),
    "crop 5% (2.5% each side)": crop_5,
    "brightness +20%": lambda im: encode(ImageEnhance.Brightness(im).enhance(1.2)),
    "grayscale": lambda im: encode(im.convert("L").convert("RGB")),
    "rotate 3 degrees": lambda im: encode(im.rotate(3, resample=Image.Resampling.BICUBIC)),
    "horizontal flip": lambda im: encode(ImageOps.mirror(im)),
    "text overlay": text_overlay,
}


def matches(algorithm: str, a: ImageHashes, b: ImageHashes) -> bool:
    if algorithm == "md5":
        return a.md5 == b.md5
    if algorithm == "pdq" and not (a.pdq_matchable and b.pdq_matchable):
        return False
    return hamming_distance(getattr(a, algorithm), getattr(b, algorithm)) <= DEFAULT_THRESHOLDS[algorithm]


def main() -> None:
    photos = find_photos()
    if len(photos) < 2:
        sys.exit("no photographs found: install scikit-image and/or scikit-learn")
    originals = {name: hash_image(encode(image)) for name, image in photos.items()}
    variants = {name: [h] for name, h in originals.items()}
    rates: dict[str, dict[str, float]] = {}
    for edit, apply in EDITS.items():
        hits = dict.fromkeys(ALGORITHMS, 0)
        for name, image in photos.items():
            edited = hash_image(apply(image))
            variants[name].append(edited)
            for algorithm in ALGORITHMS:
                hits[algorithm] += matches(algorithm, originals[name], edited)
        rates[edit] = {a: hits[a] / len(photos) for a in ALGORITHMS}

    false_hits = dict.fromkeys(ALGORITHMS, 0)
    pairs = 0
    for first, second in itertools.combinations(variants, 2):
        for a, b in itertools.product(variants[first], variants[second]):
            pairs += 1
            for algorithm in ALGORITHMS:
                false_hits[algorithm] += matches(algorithm, a, b)
    false_rates = {a: false_hits[a] / pairs for a in ALGORITHMS}
    low_quality = sorted(n for n, h in originals.items() if not h.pdq_matchable)

    thresholds = {a: DEFAULT_THRESHOLDS[a] for a in ALGORITHMS}
    print(f"{len(photos)} photographs: {', '.join(sorted(photos))}")
    print(
        f"thresholds: pdq <= {thresholds['pdq']}, phash <= {thresholds['phash']}, "
        f"dhash <= {thresholds['dhash']}, md5 equal; PDQ quality < 50: {low_quality or 'none'}\n"
    )
    header = f"{'edit':<26}" + "".join(f"{a:>8}" for a in ALGORITHMS)
    print(header)
    print("-" * len(header))
    for edit, row in rates.items():
        print(f"{edit:<26}" + "".join(f"{row[a] * 100:>7.0f}%" for a in ALGORITHMS))
    print("-" * len(header))
    print(
        f"{'false matches':<26}"
        + "".join(f"{false_rates[a] * 100:>7.2f}%" for a in ALGORITHMS)
        + f"   ({pairs} pairs of different photos)"
    )
    print(
        json.dumps(
            {
                "photos": len(photos),
                "thresholds": thresholds,
                "match_rate": {e: {a: round(r, 3) for a, r in row.items()} for e, row in rates.items()},
                "false_match_rate": {a: round(r, 5) for a, r in false_rates.items()},
                "false_match_pairs": pairs,
                "pdq_low_quality": low_quality,
            }
        )
    )


if __name__ == "__main__":
    main()
