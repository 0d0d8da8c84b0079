"""`make run`: the whole workbench on one machine.

Migrates, starts the embedded Redis (when REDIS_URL is unset), the RQ workers, the
classify worker (models loaded once, items classified in batches), the sweeper and the
web server, seeds the demo data through the real API, and prints
where to go. Ctrl-C stops everything it started.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time

import requests

from workbench import create_app
from workbench.demo.seed import seed
from workbench.embedded_redis import EmbeddedRedis
from workbench.pipeline.classify_stage import classify_enabled
from workbench.pipeline.classify_worker import EXIT_MODELS_DID_NOT_LOAD
from workbench.settings import of as settings_of

HOST = "127.0.0.1"


class Supervisor:
    def __init__(self, app, workers: int, port: int):
        self.app = app
        self.workers = workers
        self.base_url = f"http://{HOST}:{port}"
        self.port = port
        self.children: dict[str, subprocess.Popen] = {}
        self.redis: EmbeddedRedis | None = None
        self.env = dict(os.environ)

    def flask(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "flask", "--app", "wsgi", *args]

    def spawn(self, name: str, argv: list[str]) -> None:
        self.children[name] = subprocess.Popen(argv, env=self.env, start_new_session=True)

    def start(self) -> None:
        with self.app.app_context():
            from flask_migrate import upgrade

            upgrade()
        config = self.app.config
        if config["REDIS_EMBEDDED"]:
            self.redis = EmbeddedRedis(config["REDIS_EMBEDDED_SOCKET"], os.path.join(self.app.instance_path, "redis"))
            if not self.redis.is_running():
                self.redis.start()
            print(f"embedded Redis on {self.redis.url}")
        for index in range(self.workers):
            self.spawn(f"worker-{index + 1}", self.flask("worker", "--name", f"devserver-{os.getpid()}-{index + 1}"))
        if classify_enabled(settings_of(self.app)):
            self.spawn("classify-worker", self.flask("classify-worker", "--name", f"devserver-{os.getpid()}-classify"))
        self.spawn("sweeper", self.flask("pipeline", "sweeper"))
        self.spawn(
            "web",
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--bind",
                f"{HOST}:{self.port}",
                "--workers",
                "2",
                "--threads",
                "4",
                "--access-logfile",
                "-",
                "wsgi:app",
            ],
        )

    def wait_healthy(self, timeout_s: float = 60) -> dict:
        deadline = time.monotonic() + timeout_s
        last = {}
        while time.monotonic() < deadline:
            self.check_children()
            try:
                response = requests.get(f"{self.base_url}/healthz", timeout=2)
                last = response.json()
                if response.status_code == 200:
                    return last
            except requests.RequestException:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"the workbench did not become healthy: {last}")

    def check_children(self) -> None:
        for name, process in list(self.children.items()):
            if process.poll() is not None:
                if name == "classify-worker" and process.returncode == EXIT_MODELS_DID_NOT_LOAD:
                    raise RuntimeError(
                        "the classify worker could not load its models (its message is above); see docs/classifiers.md"
                    )
                if name.startswith("worker") or name in ("sweeper", "classify-worker"):
                    print(f"{name} exited with {process.returncode}; restarting it", flush=True)
                    self.spawn(name, process.args)
                else:
                    raise RuntimeError(f"{name} exited with {process.returncode}")

    def stop(self) -> None:
        for process in self.children.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for process in self.children.values():
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        if self.redis:
            self.redis.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=int(os.environ.get("WORKBENCH_PORT", "5000")))
    parser.add_argument("--no-seed", action="store_true")
    args = parser.parse_args()
    app = create_app()
    supervisor = Supervisor(app, args.workers, args.port)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        supervisor.start()
        health = supervisor.wait_healthy()
        print(f"healthy: {health}", flush=True)
        for reason in health.get("reasons", []):
            print(f"warning: {health['status']}: {reason}", flush=True)
        if not args.no_seed:
            with app.app_context():
                seed(supervisor.base_url)
        print(
            f"\nThe workbench is running: {supervisor.base_url}/  (health: {supervisor.base_url}/healthz)."
            " Log in with a user above. Ctrl-C stops it.\n",
            flush=True,
        )
        while True:
            supervisor.check_children()
            time.sleep(1)
    except KeyboardInterrupt:
        print("\nstopping…", flush=True)
        return 0
    finally:
        supervisor.stop()


if __name__ == "__main__":
    sys.exit(main())
