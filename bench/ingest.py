"""Ingestion benchmark: the real API (gunicorn) into the real pipeline (embedded Redis,
`flask worker` processes and the batching classify worker), on SQLite and on PostgreSQL.

Baseline in the same run: the raw cost of inserting the same item rows with the ORM,
one transaction each, with no HTTP, validation, blob, audit or queue.

    .venv/bin/python bench/ingest.py [--items 1000] [--clients 8] [--workers 2]

Prints its figures and, last, one JSON line: {"sqlite": {...}, "postgresql": {...}}.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import io
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select

from tests.support.postgres import PostgresCluster
from workbench import create_app
from workbench.embedded_redis import EmbeddedRedis
from workbench.extensions import db
from workbench.models import Item, ItemStatus
from workbench.models.base import utcnow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def small_jpeg(seed: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (96, 64), (seed % 256, (seed * 7) % 256, (seed * 13) % 256)).save(buffer, "JPEG")
    return buffer.getvalue()


def baseline_inserts(app, count: int) -> float:
    """Items/s for bare ORM inserts, one commit each (what the API's transaction has to beat)."""
    with app.app_context():
        from workbench.models import ApiClient

        client = ApiClient(name="baseline", key_prefix="baseline", key_hash="0" * 64)
        db.session.add(client)
        db.session.commit()
        started = time.perf_counter()
        for index in range(count):
            now = utcnow()
            db.session.add(
                Item(
                    client_id=client.id,
                    external_id=f"baseline-{index}",
                    kind="text",
                    author_pseudonym="0" * 64,
                    country="DE",
                    text=f"baseline text {index}",
                    status=ItemStatus.RECEIVED,
                    created_at=now,
                    updated_at=now,
                )
            )
            db.session.commit()
        elapsed = time.perf_counter() - started
        db.session.remove()
    return count / elapsed


def post_items(base_url: str, key: str, count: int, clients: int) -> float:
    headers = {"Authorization": f"Bearer {key}"}

    def post(index: int) -> int:
        with requests.Session() as http:
            fields = {"external_id": f"bench-{index}", "author_id": f"user-{index % 97}", "country": "DE"}
            if index % 5 == 0:  # one in five is an image upload
                response = http.post(
                    f"{base_url}/api/v1/items",
                    data=fields,
                    headers=headers,
                    timeout=60,
                    files={"image": ("x.jpg", small_jpeg(index), "image/jpeg")},
                )
            else:
                fields["text"] = f"benchmark post number {index} with some words in it"
                response = http.post(f"{base_url}/api/v1/items", json=fields, headers=headers, timeout=60)
            return response.status_code

    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        statuses = list(pool.map(post, range(count)))
    elapsed = time.perf_counter() - started
    bad = [s for s in statuses if s != 201]
    if bad:
        raise RuntimeError(f"{len(bad)} uploads were not accepted: {sorted(set(bad))}")
    return count / elapsed


def wait_for_pipeline(app, count: int, timeout_s: float) -> dict:
    deadline = time.monotonic() + timeout_s
    with app.app_context():
        while time.monotonic() < deadline:
            done = db.session.scalar(
                select(func.count())
                .select_from(Item)
                .where(Item.external_id.like("bench-%"), Item.status.in_(ItemStatus.FINAL))
            )
            db.session.rollback()
            if done >= count:
                break
            time.sleep(0.2)
        rows = db.session.execute(
            select(Item.created_at, Item.finished_at, Item.status).where(Item.external_id.like("bench-%"))
        ).all()
        db.session.remove()
    finished = [r for r in rows if r.finished_at is not None]
    if len(finished) < count or any(r.status != ItemStatus.PROCESSED for r in rows):
        raise RuntimeError(f"only {len(finished)} of {count} items finished cleanly")
    latencies = [(r.finished_at - r.created_at).total_seconds() * 1000 for r in finished]
    span = (max(r.finished_at for r in finished) - min(r.created_at for r in finished)).total_seconds()
    return {
        "pipeline_items_per_s": round(count / span, 1),
        "p50_ms": round(percentile(latencies, 0.5), 1),
        "p95_ms": round(percentile(latencies, 0.95), 1),
    }


def run_backend(name: str, database_url: str, args) -> dict:
    folder = Path(tempfile.mkdtemp(prefix=f"wb-bench-{name}-"))
    redis = EmbeddedRedis(str(folder / "redis.sock"), str(folder / "redis"), persistent=False).start()
    env = {k: v for k, v in os.environ.items()}
    env.update(
        {
            "DATABASE_URL": database_url,
            "REDIS_URL": redis.url,
            "WORKBENCH_INSTANCE_PATH": str(folder),
            "WORKBENCH_RATE_LIMIT_UPLOADS_PER_S": "0",
        }
    )  # the most the API takes, not what one key may send
    os.environ.update({"DATABASE_URL": database_url, "REDIS_URL": redis.url, "WORKBENCH_INSTANCE_PATH": str(folder)})
    app = create_app()
    with app.app_context():
        from flask_migrate import upgrade

        upgrade(directory=str(ROOT / "migrations"))
        from workbench.audit import Actor
        from workbench.services.platforms.clients import create_client

        key = create_client(db.session, "bench", Actor.system("bench")).key
        db.session.remove()
    baseline = baseline_inserts(app, args.items)
    port = free_port()
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
                "--threads",
                "4",
                "wsgi:app",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    ]
    processes += [
        subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "worker"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(args.workers)
    ]
    # The classify stage runs in its own batching worker (models loaded once).
    processes.append(
        subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "classify-worker"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    )
    try:
        base_url = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                if requests.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.2)
        api_rate = post_items(base_url, key, args.items, args.clients)
        pipeline = wait_for_pipeline(app, args.items, timeout_s=600)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(30)
        with app.app_context():
            db.engine.dispose()
        redis.stop()
    figures = {
        "items": args.items,
        "api_items_per_s": round(api_rate, 1),
        **pipeline,
        "baseline_insert_per_s": round(baseline, 1),
    }
    print(f"{name}: {figures}", flush=True)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=8, help="concurrent API clients")
    parser.add_argument("--workers", type=int, default=2, help="pipeline worker processes")
    args = parser.parse_args()
    results = {}
    sqlite_dir = tempfile.mkdtemp(prefix="wb-bench-sqlite-db-")
    results["sqlite"] = run_backend("sqlite", f"sqlite:///{sqlite_dir}/bench.db", args)
    cluster = PostgresCluster().start()
    try:
        results["postgresql"] = run_backend("postgresql", cluster.create_database("bench"), args)
    finally:
        cluster.stop()
    print(json.dumps(results))


if __name__ == "__main__":
    main()
