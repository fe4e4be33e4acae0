"""An HTTP proxy on loopback that injects faults in front of a real server.

Each request takes the next planned fault (``plan``); with none planned it is forwarded as it
is. Faults: an error status with optional headers (``Fault.status(429, retry_after=1)``), a
delay before forwarding (the client times out), or a stream cut off after a number of chunks
(chunked transfer encoding without its last chunk, so the client sees a broken stream, not an
end). ``forwarded`` counts the requests that reached the real server.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding"}


@dataclass(frozen=True)
class Fault:
    """What happens to one request."""

    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    cut_after: int | None = None

    @classmethod
    def error(cls, status: int, retry_after: float | None = None) -> Fault:
        """Answer ``status`` (with ``Retry-After`` when given) without forwarding."""
        return cls(status=status, headers={"Retry-After": f"{retry_after:g}"} if retry_after is not None else {})


class FaultProxy:
    """Forward ``127.0.0.1:<port>`` to ``upstream``, injecting the planned faults."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.faults: deque[Fault] = deque()
        self.forwarded: list[str] = []
        self.arrivals: list[float] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        """The proxy's base URL."""
        return f"http://127.0.0.1:{self.port}"

    def plan(self, *faults: Fault) -> None:
        """Queue faults for the next requests, in order (replacing what was planned)."""
        with self._lock:
            self.faults = deque(faults)
            self.forwarded.clear()
            self.arrivals.clear()

    def take(self, path: str) -> Fault | None:
        """The fault for the request arriving now (``None``: forward it)."""
        with self._lock:
            self.arrivals.append(time.monotonic())
            return self.faults.popleft() if self.faults else None

    def close(self) -> None:
        """Stop serving."""
        self._server.shutdown()
        self._server.server_close()


def _handler(proxy: FaultProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            self._serve(b"")

        def do_POST(self) -> None:
            self._serve(self.rfile.read(int(self.headers.get("content-length", 0))))

        def _serve(self, body: bytes) -> None:
            fault = proxy.take(self.path)
            if fault is not None and fault.status is not None:
                self._error(fault)
                return
            if fault is not None and fault.delay_s:
                time.sleep(fault.delay_s)
            with proxy._lock:
                proxy.forwarded.append(self.path)
            try:
                self._forward(body, fault.cut_after if fault else None)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client gave up (a timeout test): nothing to answer

        def _error(self, fault: Fault) -> None:
            payload = json.dumps({"error": {"message": f"injected HTTP {fault.status}", "type": "injected"}}).encode()
            self.send_response(fault.status or 500)
            for name, value in {"content-type": "application/json", **fault.headers}.items():
                self.send_header(name, value)
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def _forward(self, body: bytes, cut_after: int | None) -> None:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP | {"host"}}
            with (
                httpx.Client(timeout=300) as client,
                client.stream(self.command, proxy.upstream + self.path, content=body, headers=headers) as upstream,
            ):
                self.send_response(upstream.status_code)
                for name, value in upstream.headers.items():
                    if name.lower() not in _HOP:
                        self.send_header(name, value)
                self.send_header("transfer-encoding", "chunked")
                self.end_headers()
                for count, piece in enumerate(upstream.iter_raw()):
                    if cut_after is not None and count >= cut_after:
                        self.close_connection = True
                        self.wfile.flush()
                        self.connection.close()  # no terminating chunk: the client sees a broken stream
                        return
                    self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                    self.wfile.flush()
                self.wfile.write(b"0\r\n\r\n")

    return Handler
