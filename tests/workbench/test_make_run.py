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

from tests.support.tools import path_without

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Devserver:
    """`python -m workbench.devserver` (what `make run` starts) on a free port, its output in a file."""

    def __init__(self, tmp_path, env: dict | None = None):
        self.port = _free_port()
        self.instance = tmp_path / "instance"
        env = dict(env or os.environ)
        for name in ("DATABASE_URL", "REDIS_URL"):
            env.pop(name, None)
        env["WORKBENCH_INSTANCE_PATH"] = str(self.instance)
        self.log = open(tmp_path / "devserver.log", "w+")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "workbench.devserver", "--port", str(self.port)],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def wait_until_running(self) -> str:
        deadline = time.monotonic() + 300  # the demo waits up to 240 s for its items on a busy machine
        output = ""
        while time.monotonic() < deadline and "The workbench is running" not in output:
            assert self.process.poll() is None, output
            time.sleep(0.5)
            self.log.seek(0)
            output = self.log.read()
        assert "The workbench is running" in output, output[-3000:]
        return output

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        self.process.wait(30)
        self.log.close()


@pytest.mark.slow
def test_devserver_serves_health_and_processes_the_demo_items(tmp_path):
    server = Devserver(tmp_path)
    port = server.port
    try:
        output = server.wait_until_running()
        assert "statuses: {'processed': 11}" in output
        assert "login moderator" in output and "login admin" in output
        health = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
        assert health.status_code == 200 and health.json()["workers"]["count"] == 2
        assert health.json()["status"] == "ok", health.json()["reasons"]
        key = (tmp_path / "instance" / "demo_api_key").read_text().strip()
        # The classify worker: its models loaded once, it says which text model and why,
        # and the demo items carry real scores from those models.
        assert "text model: profanity_check (no Detoxify weights configured" in output
        classify = health.json()["classify"]
        assert classify["ok"] and classify["count"] == 1 and classify["pending"] == 0

        def demo_item(external_id):
            return requests.get(
                f"http://127.0.0.1:{port}/api/v1/items?external_id={external_id}",
                headers={"Authorization": f"Bearer {key}"},
                timeout=5,
            ).json()

        insult, french = demo_item("demo-text-3"), demo_item("demo-text-2")
        assert insult["signals"]["profanity_check"]["scores"]["profanity"] > 0.5
        assert len(insult["signals"]["profanity_check"]["model_checksum"]) == 64
        assert (french["language"], french["language_source"]) == ("fr", "detected")
        for external_id in ("demo-image-1", "demo-image-3"):  # a JPEG and an animated GIF
            nudenet = demo_item(external_id)["signals"]["nudenet"]
            assert {"exposed", "explicit", "FACE_FEMALE"} <= set(nudenet["scores"]) and nudenet["error"] is None
        item = requests.get(
            f"http://127.0.0.1:{port}/api/v1/items?external_id=demo-image-1",
            headers={"Authorization": f"Bearer {key}"},
            timeout=5,
        ).json()
        assert item["status"] == "processed" and {h["algorithm"] for h in item["hashes"]} == {
            "sha256",
            "md5",
            "pdq",
            "phash",
            "dhash",
        }
        # The demo bank holds a resized copy of demo-image-4: that item matches it, by perceptual hashes.
        import sqlite3

        with sqlite3.connect(tmp_path / "instance" / "workbench.db") as conn:
            matched = conn.execute(
                "SELECT m.algorithm FROM hash_matches m JOIN items i ON i.id = m.item_id "
                "JOIN hash_banks b ON b.id = m.bank_id WHERE i.external_id = 'demo-image-4' "
                "AND b.name = 'demo-known-images' ORDER BY m.algorithm"
            ).fetchall()
        assert [row[0] for row in matched] == ["dhash", "pdq", "phash"]
    finally:
        server.stop()
    assert server.process.returncode == 0
    leftovers = subprocess.run(["pgrep", "-f", str(tmp_path / "instance")], capture_output=True, text=True).stdout
    assert leftovers.strip() == ""
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2)


@pytest.mark.slow
def test_devserver_without_fpcalc_serves_degraded_and_processes_the_demo(tmp_path):
    env = {**os.environ, "PATH": path_without("fpcalc", tmp_path / "bin")}
    server = Devserver(tmp_path, env)
    try:
        output = server.wait_until_running()
        assert output.count("warning: demo music bank skipped: fpcalc is not installed") == 1
        assert "statuses: {'processed': 11}" in output  # the video with sound included
        health = requests.get(server.url("/healthz"), timeout=5)
        body = health.json()
        assert health.status_code == 200 and body["status"] == "degraded" and body["ready"] is True
        music = body["capabilities"]["music_fingerprinting"]
        assert music["ok"] is False and "fpcalc" in music["reason"]
        assert "web" in music["where"] and sum(w.startswith("worker ") for w in music["where"]) == 2
        assert any("fpcalc is not installed" in reason for reason in body["reasons"])
        key = (server.instance / "demo_api_key").read_text().strip()
        video = requests.get(
            server.url("/api/v1/items?external_id=demo-video-1"), headers={"Authorization": f"Bearer {key}"}, timeout=5
        ).json()
        # Hashed and classified all the same; the music score is unknown, not "no match".
        assert video["status"] == "processed" and {"sha256", "md5"} <= {h["algorithm"] for h in video["hashes"]}
        assert video["signals"]["vpdq"]["error"] is None and "nudenet" in video["signals"]
        assert "music_match" not in video["signals"].get("music", {}).get("scores", {})
        assert "fpcalc is not installed" in video["signals"]["music"]["error"]
    finally:
        server.stop()
    assert server.process.returncode == 0
