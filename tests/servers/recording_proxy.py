"""A TCP proxy on loopback that records every byte clients send to an upstream server.

Put it in front of a test "cloud" server: what it records is exactly what left the
client on the wire, so leak tests can assert on real bytes rather than on what the
client meant to send. ``requests()`` parses the recording into HTTP requests with h11.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from dataclasses import dataclass

import h11


@dataclass(frozen=True)
class RecordedRequest:
    """One HTTP request as it arrived at the proxy."""

    method: str
    target: str
    headers: dict[str, str]
    body: bytes


class RecordingProxy:
    """Forward ``127.0.0.1:<port>`` to ``upstream`` and keep the client-to-server bytes."""

    def __init__(self, upstream_port: int, upstream_host: str = "127.0.0.1") -> None:
        self.upstream = (upstream_host, upstream_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._streams: list[bytearray] = []
        self._lock = threading.Lock()
        self._closed = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def raw(self) -> bytes:
        """Every byte clients sent, connection after connection."""
        with self._lock:
            return b"".join(bytes(s) for s in self._streams)

    def requests(self) -> list[RecordedRequest]:
        """The recorded bytes parsed into HTTP requests."""
        with self._lock:
            streams = [bytes(s) for s in self._streams]
        return [request for data in streams for request in _parse(data)]

    def clear(self) -> None:
        """Forget what was recorded so far."""
        with self._lock:
            for stream in self._streams:
                del stream[:]  # open keep-alive connections keep appending to their buffer

    def close(self) -> None:
        """Stop accepting connections."""
        self._closed.set()
        self._listener.close()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.upstream)
            record = bytearray()
            with self._lock:
                self._streams.append(record)
            threading.Thread(target=_pump, args=(client, upstream, record, self._lock), daemon=True).start()
            threading.Thread(target=_pump, args=(upstream, client, None, None), daemon=True).start()


def _pump(src: socket.socket, dst: socket.socket, record: bytearray | None, lock: threading.Lock | None) -> None:
    try:
        while data := src.recv(65536):
            if record is not None and lock is not None:
                with lock:
                    record.extend(data)
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)


def _parse(data: bytes) -> list[RecordedRequest]:
    conn = h11.Connection(h11.SERVER)
    conn.receive_data(data)
    found: list[RecordedRequest] = []
    current: h11.Request | None = None
    body = bytearray()
    while True:
        try:
            event = conn.next_event()
        except h11.RemoteProtocolError:
            return found
        if event is h11.NEED_DATA or event is h11.PAUSED or isinstance(event, h11.ConnectionClosed):
            return found
        if isinstance(event, h11.Request):
            current, body = event, bytearray()
        elif isinstance(event, h11.Data):
            body.extend(event.data)
        elif isinstance(event, h11.EndOfMessage) and current is not None:
            headers = {k.decode().lower(): v.decode() for k, v in current.headers}
            found.append(RecordedRequest(current.method.decode(), current.target.decode(), headers, bytes(body)))
            current = None
            # Pretend the response was sent so h11 parses the next request on this connection.
            conn.send(h11.Response(status_code=200, headers=[("content-length", "0")]))
            conn.send(h11.EndOfMessage())
            conn.start_next_cycle()
