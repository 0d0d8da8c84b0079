"""A real HTTP server on loopback that records webhook requests and answers as told."""
from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    def __init__(self):
        self.requests: list[dict] = []
        # per request: "ok", "500", "slow", "reset" (hang up without answering); then "ok" forever
        self.script: list[str] = []
        self.slow_s = 2.0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append({"headers": dict(self.headers), "body": body})
                behaviour = receiver.script.pop(0) if receiver.script else "ok"
                if behaviour == "slow":
                    time.sleep(receiver.slow_s)
                if behaviour == "reset":
                    self.close_connection = True
                    return
                status = 500 if behaviour == "500" else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "Receiver":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
