"""The least any classify stage that stores its results can cost, next to the offline text model.

bench/classifiers.py measures the real stage against the bare model. For alt-profanity-check
the stage reaches about a third of the model's rate, because the model costs only ~3-4 ms
per call. This bench asks what a stage stripped to its duties could reach at best. It runs,
per batch:
  claim     the real BatchQueue.claim (one Lua call);
  read      the batch's texts (raw sqlite3);
  model     alt-profanity-check's predict_prob (timed on its own: "model_ms");
  store     in one BEGIN IMMEDIATE transaction: re-read the items, read their existing
            signals, insert one signal row per item, move each item on, seal one audit event
            per item onto the hash chain (the same hash the verifier checks), move the head;
  hand on   the real RQ enqueue of the next stages, the claim's release and the items'
            removal from the pending set, in one Redis transaction.
No SQLAlchemy, no ORM, no metrics, no failure handling: the database work is raw sqlite3, the
Redis work the real calls. What it writes verifies as a chain
(tests/workbench/classify/test_classify_floor_bench.py). stage_ms is all of it but the
model, per batch.

floor_overhead = stage_ms / model_ms: the least a stage that stores its results adds to the
model's time per batch (the issue's "overhead under 20%" asks for at most 0.2); floor_ratio =
model_ms / (model_ms + stage_ms): the most such a stage can reach, one batch after another,
as a share of the bare model's rate (the issue's 0.8).

    .venv/bin/python bench/classify_floor.py [--batch-sizes 1,8,32,128] [--texts 4096]

Prints one line per batch size, then one JSON line:
  {"model": "...", "target": 0.8,
   "floors": [{"batch_size": 32, "model_ms": .., "stage_ms": .., "floor_overhead": .., "floor_ratio": ..}, ...]}
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.classifiers import Bench, texts
from workbench.audit.log import canonical_json, timestamp_text
from workbench.audit.verifier import canonical_line
from workbench.embedded_redis import EmbeddedRedis
from workbench.models import ItemStatus
from workbench.models.base import utcnow
from workbench.pipeline.batch_queue import batch_queue_for
from workbench.pipeline.runner import PIPELINE
from workbench.queues import add_items_job

TARGET = 0.8
WORKER = "floor"
INSERT_SIGNALS = (
    "INSERT INTO item_signals (item_id, classifier, label, classifier_version, model_checksum, "
    "score, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
INSERT_EVENTS = (
    "INSERT INTO audit_events (id, occurred_at, actor_type, actor_id, action, object_type, "
    "object_id, payload, prev_hash, event_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


class FloorStage:
    """The classify stage's duties for the offline text model, and nothing else."""

    def __init__(self, bench: Bench):
        self.bench = bench
        loaded = bench.load("profanity_check")
        self.model = loaded.classifiers[0]
        self.identity = loaded.identities[self.model.name]
        self.connection = sqlite3.connect(str(bench.database), isolation_level=None)
        self.connection.execute("PRAGMA journal_mode=WAL")
        self.connection.execute("PRAGMA synchronous=NORMAL")  # what the workbench's engine sets

    def run(self, batch_size: int) -> tuple[float, float, int]:
        """Process the classify queue to the end; returns (model seconds, the rest's seconds, batches)."""
        model_s = total_s = 0.0
        batches = 0
        with self.bench.app.app_context():
            queue = batch_queue_for("classify")
            while True:
                started = time.perf_counter()
                item_ids = queue.claim(WORKER, batch_size)
                if not item_ids:
                    return model_s, total_s - model_s, batches
                rows = self._read(item_ids)  # (an id another run left on the queue reads as nothing)
                model_started = time.perf_counter()
                scores = self.model.predict_prob([text for _, text in rows]) if rows else []
                model_s += time.perf_counter() - model_started
                if rows:
                    self._store([item_id for item_id, _ in rows], scores)
                with queue.redis.pipeline(transaction=True) as pipe:
                    add_items_job(pipe, item_ids)  # first: RQ's enqueue starts the MULTI itself
                    queue.forget(item_ids, pipe)
                    queue.release(WORKER, pipe)
                    pipe.execute()
                total_s += time.perf_counter() - started
                batches += 1

    def measure(self, batch_size: int) -> dict:
        """run() reported per batch, as the figures this bench prints."""
        model_s, stage_s, batches = self.run(batch_size)
        model_ms, stage_ms = model_s / batches * 1000, stage_s / batches * 1000
        return {
            "model_ms": round(model_ms, 3),
            "stage_ms": round(stage_ms, 3),
            "floor_overhead": round(stage_ms / model_ms, 3),
            "floor_ratio": round(model_ms / (model_ms + stage_ms), 3),
        }

    def _in(self, ids) -> str:
        return ",".join("?" * len(ids))

    def _read(self, item_ids: list[int]) -> list[tuple[int, str]]:
        return self.connection.execute(
            f"SELECT id, text FROM items WHERE id IN ({self._in(item_ids)}) AND status = ? ORDER BY id",
            [*item_ids, ItemStatus.PROCESSING],
        ).fetchall()

    def _store(self, item_ids: list[int], scores) -> None:
        now = utcnow()
        hashed_time = timestamp_text(now)
        stored_time = f"{hashed_time[:10]} {hashed_time[11:26]}"  # SQLAlchemy's SQLite text form
        marks = self._in(item_ids)
        payload = canonical_json(
            {
                "stage": "classify",
                "signals": 1,
                "classifiers": {
                    self.model.name: {
                        "version": self.identity["version"],
                        "model_checksum": self.identity["model_checksum"],
                    }
                },
            }
        )
        execute = self.connection.execute
        execute("BEGIN IMMEDIATE")
        execute(f"SELECT id, stage, status, attempts FROM items WHERE id IN ({marks})", item_ids).fetchall()
        execute(
            f"SELECT id, item_id, classifier, label, score FROM item_signals WHERE item_id IN ({marks})", item_ids
        ).fetchall()
        self.connection.executemany(
            INSERT_SIGNALS,
            [
                (
                    item_id,
                    self.model.name,
                    "profanity",
                    self.identity["version"],
                    self.identity["model_checksum"],
                    float(score),
                    stored_time,
                    stored_time,
                )
                for item_id, score in zip(item_ids, scores)
            ],
        )
        self.connection.executemany(
            "UPDATE items SET stage = 'classify', updated_at = ? WHERE id = ?",
            [(stored_time, item_id) for item_id in item_ids],
        )
        seq, last_hash = execute("SELECT last_seq, last_hash FROM audit_chain_head WHERE id = 1").fetchone()
        events = []
        for item_id in item_ids:
            seq += 1
            values = (
                seq,
                hashed_time,
                PIPELINE.type,
                PIPELINE.id,
                "item.stage_completed",
                "item",
                str(item_id),
                payload,
            )  # the verifier's EVENT_FIELDS, hashed as audit.log's seal hashes them
            event_hash = hashlib.sha256(bytes.fromhex(last_hash) + canonical_line(values)).hexdigest()
            events.append((seq, stored_time, *values[2:], last_hash, event_hash))
            last_hash = event_hash
        self.connection.executemany(INSERT_EVENTS, events)
        execute("UPDATE audit_chain_head SET last_seq = ?, last_hash = ? WHERE id = 1", (seq, last_hash))
        execute("COMMIT")


def measure(folder: Path, redis_url: str, batch_sizes: list[int], count: int) -> tuple[str, list[dict]]:
    """(the model, one floor per batch size), each over the same `count` texts in a fresh database."""
    inputs = texts(count, seed=1)
    floors, model = [], ""
    for batch_size in batch_sizes:
        run_folder = folder / f"batch-{batch_size}"
        run_folder.mkdir()
        bench = Bench(run_folder, redis_url)
        stage = FloorStage(bench)
        model = f"{stage.model.name} {stage.identity['version']}"
        bench.seed("text", inputs[:256])
        stage.run(batch_size)  # warm-up: the model's first calls, SQLite's page cache
        bench.seed("text", inputs)
        floors.append({"batch_size": batch_size, **stage.measure(batch_size)})
        stage.connection.close()
        print("  ".join(f"{key} {value}" for key, value in floors[-1].items()), flush=True)
    return model, floors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch-sizes", default="1,8,32,128")
    parser.add_argument("--texts", type=int, default=4096)
    args = parser.parse_args()
    batch_sizes = [int(size) for size in args.batch_sizes.split(",")]
    with tempfile.TemporaryDirectory(prefix="wb-bench-floor-") as tmp:
        folder = Path(tmp)
        redis = EmbeddedRedis(str(folder / "redis.sock"), str(folder / "redis"), persistent=False).start()
        try:
            model, floors = measure(folder, redis.url, batch_sizes, args.texts)
        finally:
            redis.stop()
    print(json.dumps({"model": model, "target": TARGET, "floors": floors}))


if __name__ == "__main__":
    main()
