"""A real HTTP server on loopback that records webhook requests and answers as told."""

from __future__ import annotations

import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    """`host` and `port`: the loopback address to listen on (port 0: any free one);
    `tls`: a server-side SSLContext for https."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, tls: ssl.SSLContext | None = None):
        self.requests: list[dict] = []
        # per request: "ok", "500", "slow", "reset" (hang up without answering), "redirect"
        # (302 to redirect_to), "trickle" (a 200 sent one byte every 0.1 s); then "ok" forever
        self.script: list[str] = []
        self.redirect_to = ""
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
                if behaviour == "trickle":
                    self.close_connection = True
                    try:
                        for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX-Padding: trickle\r\n\r\n":
                            self.wfile.write(bytes([byte]))
                            self.wfile.flush()
                            time.sleep(0.1)
                    except OSError:
                        pass  # the sender gave up
                    return
                status = {"500": 500, "redirect": 302}.get(behaviour, 200)
                self.send_response(status)
                if behaviour == "redirect":
                    self.send_header("Location", receiver.redirect_to)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.port = self.server.server_port
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.url = f"{'https' if tls else 'http'}://{host}:{self.port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
