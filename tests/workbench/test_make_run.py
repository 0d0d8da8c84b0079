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
        deadline = time.monotonic() + 300  # the demo waits up to 240 s for its items on a busy machine
        output = ""
        while time.monotonic() < deadline and "The workbench is running" not in output:
            assert process.poll() is None, output
            time.sleep(0.5)
            log.seek(0)
            output = log.read()
        assert "The workbench is running" in output, output[-3000:]
        assert "statuses: {'processed': 11}" in output
        assert "login moderator" in output and "login admin" in output
        health = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
        assert health.status_code == 200 and health.json()["workers"]["count"] == 2
        key = (tmp_path / "instance" / "demo_api_key").read_text().strip()
        # The classify worker: its models loaded once, it says which text model and why,
        # and the demo items carry real scores from those models.
        assert "text model: profanity_check (no Detoxify weights configured" in output
        classify = health.json()["classify"]
        assert classify["ok"] and classify["count"] == 1 and classify["pending"] == 0

        def demo_item(external_id):
            return requests.get(f"http://127.0.0.1:{port}/api/v1/items?external_id={external_id}",
                                headers={"Authorization": f"Bearer {key}"}, timeout=5).json()
        insult, french = demo_item("demo-text-3"), demo_item("demo-text-2")
        assert insult["signals"]["profanity_check"]["scores"]["profanity"] > 0.5
        assert len(insult["signals"]["profanity_check"]["model_checksum"]) == 64
        assert (french["language"], french["language_source"]) == ("fr", "detected")
        for external_id in ("demo-image-1", "demo-image-3"):  # a JPEG and an animated GIF
            nudenet = demo_item(external_id)["signals"]["nudenet"]
            assert {"exposed", "explicit", "FACE_FEMALE"} <= set(nudenet["scores"]) and nudenet["error"] is None
        item = requests.get(f"http://127.0.0.1:{port}/api/v1/items?external_id=demo-image-1",
                            headers={"Authorization": f"Bearer {key}"}, timeout=5).json()
        assert item["status"] == "processed" and {h["algorithm"] for h in item["hashes"]} == {
            "sha256", "md5", "pdq", "phash", "dhash"}
        # The demo bank holds a resized copy of demo-image-4: that item matches it, by perceptual hashes.
        import sqlite3
        with sqlite3.connect(tmp_path / "instance" / "workbench.db") as conn:
            matched = conn.execute(
                "SELECT m.algorithm FROM hash_matches m JOIN items i ON i.id = m.item_id "
                "JOIN hash_banks b ON b.id = m.bank_id WHERE i.external_id = 'demo-image-4' "
                "AND b.name = 'demo-known-images' ORDER BY m.algorithm").fetchall()
        assert [row[0] for row in matched] == ["dhash", "pdq", "phash"]
    finally:
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        process.wait(30)
        log.close()
    assert process.returncode == 0
    leftovers = subprocess.run(["pgrep", "-f", str(tmp_path / "instance")], capture_output=True, text=True).stdout
    assert leftovers.strip() == ""
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
