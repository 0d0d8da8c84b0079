"""`make run` end to end: the supervisor starts Redis, workers, the sweeper and gunicorn,
seeds the demo items through the real API, they reach a final status, Ctrl-C stops it all."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import pytest
import requests

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_devserver_serves_health_and_processes_the_demo_items(tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env["WORKBENCH_INSTANCE_PATH"] = str(tmp_path / "instance")
    log = open(tmp_path / "devserver.log", "w+")
    process = subprocess.Popen([sys.executable, "-m", "workbench.devserver", "--port", str(port)], cwd=ROOT,
                               env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        output = ""
        while time.monotonic() < deadline and "The workbench is running" not in output:
            assert process.poll() is None, output
            time.sleep(0.5)
            log.seek(0)
            output = log.read()
        assert "The workbench is running" in output, output[-3000:]
        assert "statuses: {'processed': 10}" in output
        assert "login moderator" in output and "login admin" in output
        health = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
        assert health.status_code == 200 and health.json()["workers"]["count"] == 2
        key = (tmp_path / "instance" / "demo_api_key").read_text().strip()
        item = requests.get(f"http://127.0.0.1:{port}/api/v1/items?external_id=demo-image-1",
                            headers={"Authorization": f"Bearer {key}"}, timeout=5).json()
        assert item["status"] == "processed" and {h["algorithm"] for h in item["hashes"]} == {"sha256", "md5"}
    finally:
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        process.wait(30)
        log.close()
    assert process.returncode == 0
    leftovers = subprocess.run(["pgrep", "-f", str(tmp_path / "instance")], capture_output=True, text=True).stdout
    assert leftovers.strip() == ""
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
