"""Classifier throughput: the pipeline's classify stage vs calling the model directly.

For each model, on the same inputs in the same run:
  pipeline  items/s through the classify worker's real code path (BatchWorker on an
            embedded Redis and SQLite): take a batch off the queue, read the items,
            classify, store signals + progress + audit events in one transaction, hand the
            items on to the later stages (RQ jobs);
  direct    the model's own batched call on the same inputs at the same batch size
            (alt-profanity-check's predict_prob, Detoxify.predict, NudeDetector.detect_batch
            on the image bytes), nothing else;
  classify_batch  the classifier adapter alone (what the pipeline adds on top of it is the
            rest of the difference);
  floor_ratio  (offline_text) the most a stage stripped to its duties reaches on the same
            texts, as a share of the bare model (bench/classify_floor.py).
Detoxify uses a randomly initialised bert-base-sized checkpoint (the architecture of
Detoxify's `original`), built in a temporary directory and loaded through
WORKBENCH_DETOXIFY_CHECKPOINT (so with the classifier's load-time settings: fast tokenizer,
torch threads = cores available). "direct" is Detoxify.predict on the batch's texts sorted by
token count, in the passes classifiers/text/passes.py plans (at most
WORKBENCH_DETOXIFY_BATCH_SIZE each), under torch.inference_mode (the classifier batches the
same way); batch1 is Detoxify.predict one text at a time on the same texts;
direct_one_pass is one Detoxify.predict over the batch as collected (padded to its longest).
Texts (all models): short-video comments and captions, 3-40 words, ~60% under 13 (see texts()).

    .venv/bin/python bench/classifiers.py [--texts 2048] [--images 128] [--detoxify-texts 128] [--rounds 2]
                                          [--batch-size N] [--skip-detoxify]

The pipeline and the direct calls are timed batch by batch in alternation on the same inputs
(`rounds` passes), so the shared machine's changing load hits them alike.
Prints its figures and, last, one JSON line:
  {"batch_size": 32, "offline_text": {...}, "detoxify": {...}, "nudenet": {...}}
"""

from __future__ import annotations

import argparse
import io
import json
import random
import signal
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from workbench import create_app
from workbench import settings as workbench_settings
from workbench.embedded_redis import EmbeddedRedis
from workbench.extensions import db
from workbench.models import ApiClient, Blob, Item, ItemStatus
from workbench.models.base import utcnow
from workbench.pipeline import runner  # noqa: F401  (registers every stage)
from workbench.pipeline.batch_queue import batch_queue_for
from workbench.pipeline.batch_worker import BatchWorker
from workbench.pipeline.classify_stage import ClassifyStage
from workbench.services.blobstore import BlobStore

# Words a bert-base-uncased vocabulary holds whole (and so does the benchmark checkpoint's
# vocabulary, see classifiers/text/tiny_checkpoint.py): one WordPiece token per word, as for
# real comments, instead of rarer words spelt out letter by letter.
WORDS = (
    "the a you your this that what love hate great stupid idiot thanks video post comment "
    "friend friends today tomorrow game music watch ugly nice people no just like so good "
    "fun happy sad angry night play win free money click link buy sell block spam user report "
    "family hello please thank kill dumb can not do it is are was my me we they all one"
).split()
# What a short-video platform's text items look like: mostly short comments, some captions.
LENGTHS = ((0.6, 3, 12), (0.3, 13, 25), (0.1, 26, 40))  # (share, min words, max words)


def texts(count: int, seed: int) -> list[str]:
    """Comments and captions of 3-40 words, ~60% under 13 words (mean ~13)."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        pick = rng.random()
        for share, low, high in LENGTHS:  # noqa: B007 - the bucket the loop stops in is used below
            if pick < share:
                break
            pick -= share
        out.append(" ".join(rng.choice(WORDS) for _ in range(rng.randint(low, high))).capitalize() + rng.choice(".!?"))
    return out


def photos(count: int, seed: int) -> list[bytes]:
    """Camera-sized JPEG scenes (640x480, texture and shapes), all different."""
    rng = np.random.default_rng(seed)
    images = []
    for _ in range(count):
        noise = rng.integers(0, 255, (480, 640, 3), dtype=np.uint8)
        image = Image.fromarray(noise).filter(ImageFilter.GaussianBlur(6))
        draw = ImageDraw.Draw(image)
        for _ in range(6):
            x, y = (int(v) for v in rng.integers(0, 560, 2))
            draw.ellipse((x, y % 400, x + 80, y % 400 + 80), fill=tuple(int(c) for c in rng.integers(0, 255, 3)))
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=85)
        images.append(buffer.getvalue())
    return images


class Bench:
    def __init__(self, folder: Path, redis_url: str):
        from tests.support.apps import _schema_metadata

        database = self.database = folder / "bench.db"
        self.app = create_app(
            {
                "INSTANCE_PATH": str(folder / "instance"),
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
                "REDIS_URL": redis_url,
                "REDIS_EMBEDDED": False,
                "SECRET_KEY": "bench",
                "WORKBENCH_PSEUDONYM_KEY": "bench",
                "WORKBENCH_BLOB_DIR": str(folder / "blobs"),
            }
        )
        with self.app.app_context():
            _schema_metadata().create_all(db.engine)  # the models' schema (as the tests build it)
            client = ApiClient(name="bench", key_prefix="bench", key_hash="0" * 64)
            db.session.add(client)
            db.session.commit()
            self.client_id = client.id
        self.batch_size = workbench_settings.of(self.app).classify_batch_size
        self.serial = 0

    def load(self, names: str, **config):
        settings = workbench_settings.update(self.app, WORKBENCH_CLASSIFIERS=names, **config)
        return ClassifyStage().load(settings)

    def seed(self, kind: str, payloads: list) -> list[int]:
        """Items as the hash stage leaves them (not timed), handed to the classify queue."""
        store = BlobStore(workbench_settings.of(self.app).blob_dir)
        now = utcnow()
        with self.app.app_context():
            items = []
            for payload in payloads:
                self.serial += 1
                sha = None
                if kind == "image":
                    with store.reserve(payload) as reservation:
                        reservation.keep()
                        sha = reservation.sha256
                    if db.session.get(Blob, sha) is None:
                        db.session.add(
                            Blob(sha256=sha, mime="image/jpeg", size=len(payload), width=640, height=480, frames=1)
                        )
                items.append(
                    Item(
                        client_id=self.client_id,
                        external_id=f"bench-{self.serial}",
                        kind=kind,
                        author_pseudonym="0" * 64,
                        country="DE",
                        text=payload if kind == "text" else None,
                        blob_sha256=sha,
                        status=ItemStatus.PROCESSING,
                        stage="hash",
                        created_at=now,
                        updated_at=now,
                    )
                )
            db.session.add_all(items)
            db.session.commit()
            ids = [item.id for item in items]
            batch_queue_for("classify").hand_off(ids)
        return ids

    def chunks(self, values: list, size: int | None = None) -> list[list]:
        size = size or self.batch_size
        return [values[start : start + size] for start in range(0, len(values), size)]

    def paired(self, loaded, kind: str, payloads: list, direct: dict, rounds: int) -> dict[str, float]:
        """Rates of the pipeline and of each `direct` call (chunk -> items done), measured
        batch by batch in alternation on the same inputs, so a shared machine's changing
        load hits them alike. The pipeline step is the classify worker's own: claim a batch
        from the queue, process_batch (read the items, classify, store signals, progress and
        audit events in one transaction, hand the batch on and release the claim)."""
        seconds = {"pipeline_per_s": 0.0, **{name: 0.0 for name in direct}}
        done = {name: 0 for name in seconds}
        for _ in range(rounds):
            self.seed(kind, payloads)
            worker = BatchWorker(
                self.app,
                "classify",
                loaded,
                settings=workbench_settings.of(self.app),
                name="bench",
                batch_size=self.batch_size,
                wait_ms=0,
            )
            with self.app.app_context():
                worker.queue.register_worker(worker.name, worker.info(), ttl_s=3600)
                for index, chunk in enumerate(self.chunks(payloads)):
                    steps = [("pipeline_per_s", lambda worker=worker: self._pipeline_step(worker))]
                    steps += [(name, lambda call=call, chunk=chunk: call(chunk)) for name, call in direct.items()]
                    for name, step in steps if index % 2 == 0 else steps[::-1]:
                        started = time.perf_counter()
                        done[name] += step()
                        seconds[name] += time.perf_counter() - started
                left = worker.queue.counts()
                worker.queue.unregister_worker(worker.name)
            assert left == {"queued": 0, "delayed": 0, "pending": 0}, left
        return {name: done[name] / seconds[name] for name in seconds}

    def _pipeline_step(self, worker: BatchWorker) -> int:
        item_ids = worker.queue.claim(worker.name, self.batch_size)
        report = worker.process_batch(item_ids)  # releases the claim with its hand-off, as in work()
        assert len(report.completed) + len(report.finished) == len(item_ids), report
        return len(item_ids)


def bench_offline_text(bench: Bench, count: int, rounds: int) -> dict:
    from classifiers.base import ClassifierInput

    loaded = bench.load("profanity_check")
    model = loaded.classifiers[0]
    inputs = texts(count, seed=1)
    bench.paired(loaded, "text", inputs[: bench.batch_size * 2], {}, 1)  # warm-up
    return bench.paired(
        loaded,
        "text",
        inputs,
        {
            "direct_per_s": lambda chunk: len(model.predict_prob(chunk)),
            "classify_batch_per_s": lambda chunk: len(
                model.classify_batch([ClassifierInput.for_text(i, text) for i, text in enumerate(chunk)])
            ),
        },
        rounds,
    )


def offline_text_floor(bench: Bench, count: int) -> dict:
    """The most a stage that stores the offline model's results could reach on the same texts:
    bench/classify_floor.py's stage stripped to its duties, at the same batch size."""
    from bench.classify_floor import FloorStage

    stage = FloorStage(bench)
    bench.seed("text", texts(count, seed=1))
    figures = stage.measure(bench.batch_size)
    stage.connection.close()
    return {"floor_ratio": figures["floor_ratio"]}


def bench_nudenet(bench: Bench, count: int, rounds: int) -> dict:
    from classifiers.base import ClassifierInput

    loaded = bench.load("nudenet")
    model = loaded.classifiers[0]
    images = photos(count, seed=2)
    model.detector.detect_batch(images[:4], batch_size=model.batch_size)  # warm-up
    return bench.paired(
        loaded,
        "image",
        images,
        {
            "direct_per_s": lambda chunk: len(model.detector.detect_batch(chunk, batch_size=model.batch_size)),
            "classify_batch_per_s": lambda chunk: len(
                model.classify_batch([ClassifierInput.for_image(i, data) for i, data in enumerate(chunk)])
            ),
        },
        rounds,
    )


def bench_detoxify(bench: Bench, folder: Path, count: int, rounds: int) -> dict:
    import torch

    from classifiers.text.passes import plan_passes
    from classifiers.text.tiny_checkpoint import build_tiny_checkpoint

    print("building a bert-base-sized random Detoxify checkpoint…", flush=True)
    checkpoint = build_tiny_checkpoint(folder / "detoxify", size="base")
    loaded = bench.load("text", WORKBENCH_DETOXIFY_CHECKPOINT=str(checkpoint.checkpoint_path))
    model = loaded.classifiers[0]
    assert model.name == "detoxify", loaded.text_model
    print(loaded.text_model, flush=True)
    inputs = texts(count, seed=3)
    detoxify = model.detoxify
    print(
        f"tokenizer {type(detoxify.tokenizer).__name__}, {torch.get_num_threads()} torch thread(s), "
        f"passes of at most {model.batch_size} (WORKBENCH_DETOXIFY_BATCH_SIZE); mean tokens per text "
        f"{sum(len(detoxify.tokenizer(t)['input_ids']) for t in inputs) / len(inputs):.1f}",
        flush=True,
    )

    def sorted_passes(chunk: list[str]) -> int:
        """The model alone, batched as the classifier batches it: sorted by token count, in
        the passes plan_passes picks."""
        counts = [len(ids) for ids in detoxify.tokenizer(chunk, truncation=True)["input_ids"]]
        ordered = sorted(zip(counts, chunk))
        start = 0
        with torch.inference_mode():
            for size in plan_passes([count for count, _ in ordered], model.batch_size):
                detoxify.predict([text for _, text in ordered[start : start + size]])
                start += size
        return len(chunk)

    def one_by_one(chunk: list[str]) -> int:
        with torch.inference_mode():
            for text in chunk[:per_chunk_batch1]:
                detoxify.predict([text])
        return per_chunk_batch1

    def unsorted(chunk: list[str]) -> int:
        with torch.inference_mode():
            return len(detoxify.predict(chunk)["toxicity"])

    sorted_passes(inputs[: bench.batch_size])  # warm-up
    per_chunk_batch1 = max(1, bench.batch_size // 4)  # one text at a time is slow: a quarter of each batch
    return bench.paired(
        loaded,
        "text",
        inputs,
        {"direct_per_s": sorted_passes, "batch1_per_s": one_by_one, "direct_one_pass_per_s": unsorted},
        rounds,
    )


def summarise(name: str, figures: dict) -> dict:
    figures = {key: round(value, 1) for key, value in figures.items()}
    figures["pipeline_vs_direct"] = round(figures["pipeline_per_s"] / figures["direct_per_s"], 3)
    if "batch1_per_s" in figures:
        figures["batching_speedup"] = round(figures["direct_per_s"] / figures["batch1_per_s"], 2)
        figures["pipeline_vs_batch1"] = round(figures["pipeline_per_s"] / figures["batch1_per_s"], 2)
    print(f"{name:13} " + "  ".join(f"{key} {value}" for key, value in figures.items()), flush=True)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--texts", type=int, default=2048)
    parser.add_argument("--images", type=int, default=128)
    parser.add_argument("--detoxify-texts", type=int, default=128)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--skip-detoxify", action="store_true", help="(for a quick run)")
    parser.add_argument(
        "--batch-size", type=int, help="pipeline AND direct batch size (default: WORKBENCH_CLASSIFY_BATCH_SIZE)"
    )
    args = parser.parse_args()
    # SIGTERM unwinds like Ctrl-C, so the embedded Redis and the temporary files go too.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    with tempfile.TemporaryDirectory(prefix="wb-bench-classifiers-") as tmp:
        folder = Path(tmp)
        redis = EmbeddedRedis(str(folder / "redis.sock"), str(folder / "redis"), persistent=False).start()
        try:
            bench = Bench(folder, redis.url)
            bench.batch_size = args.batch_size or bench.batch_size
            source = "--batch-size" if args.batch_size else "WORKBENCH_CLASSIFY_BATCH_SIZE"
            print(f"batch size {bench.batch_size} ({source}), {args.rounds} round(s)", flush=True)
            result = {"batch_size": bench.batch_size}
            result["offline_text"] = summarise("offline_text", bench_offline_text(bench, args.texts, args.rounds))
            floor = offline_text_floor(bench, args.texts)
            result["offline_text"].update(floor)
            print(f"offline_text  floor_ratio {floor['floor_ratio']} (bench/classify_floor.py)", flush=True)
            result["nudenet"] = summarise("nudenet", bench_nudenet(bench, args.images, args.rounds))
            if not args.skip_detoxify:
                result["detoxify"] = summarise(
                    "detoxify", bench_detoxify(bench, folder, args.detoxify_texts, args.rounds)
                )
        finally:
            redis.stop()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
