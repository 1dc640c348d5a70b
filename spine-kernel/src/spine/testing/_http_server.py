"""A real, programmable HTTP/1.1 server for tests of plugins that speak HTTP (127.0.0.1, a free port)."""

from __future__ import annotations

import json
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

# A route returning DROP as its body makes the server close the connection without answering.
DROP = object()


class RawAnswer(bytes):
    """A body sent as the whole answer, status line included, after which the connection
    closes: for answers no well-behaved server gives (a body shorter than announced)."""


@dataclass
class HttpRequest:
    """One request as the server received it."""

    method: str
    path: str
    query: dict[str, str]  # the last value of each parameter
    headers: dict[str, str]  # lower-case names
    body: Any  # JSON parsed, a form as a dict, other text as str; None when empty
    target: str  # path and query string as sent


Reply = tuple[int, dict[str, Any], Any]
Route = Callable[[HttpRequest], Reply]


class HttpServer:
    """A threaded HTTP/1.1 server (keep-alive, exact Content-Length) answering registered routes.

    ``route(method, path, handler)``: ``handler(request)`` returns ``(status, headers,
    body)``; the body is bytes, text, None, `DROP`, `RawAnswer`, or anything JSON can encode
    (sent as application/json). A header value may be a list, sent as several headers.
    Every request received is kept in ``requests``, in order.
    """

    # More requests than any test needs: the client is paging without end. Answered with a
    # 400, which fails the read at once, instead of letting the test run forever.
    MAX_REQUESTS = 300

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.routes: dict[tuple[str, str], Route] = {}
        self.requests: list[HttpRequest] = []
        self.errors: list[str] = []
        self.released = threading.Event()
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer((host, 0), _handler_class(self))
        self._httpd.daemon_threads = True
        self.host = host
        self.port = self._httpd.server_address[1]
        self.url = f"http://{host}:{self.port}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.005}, daemon=True
        )
        self._thread.start()

    def route(self, method: str, path: str, handler: Route) -> str:
        """Answer `method` `path` with `handler`; returns the route's full URL."""
        self.routes[(method.upper(), path)] = handler
        return self.to(path)

    def to(self, path: str) -> str:
        return self.url + path

    def seen(self, path: str | None = None) -> list[HttpRequest]:
        """The requests received (for `path` only, when given)."""
        with self._lock:
            return [r for r in self.requests if path is None or r.path == path]

    def pause(self, seconds: float) -> None:
        """Wait in a handler thread; cut short when the server closes."""
        self.released.wait(seconds)

    def close(self) -> None:
        self.released.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(5)

    def _record(self, request: HttpRequest) -> None:
        with self._lock:
            self.requests.append(request)


def _parse_body(data: bytes, content_type: str) -> Any:
    if not data:
        return None
    text = data.decode("utf-8")
    if "json" in content_type:
        return json.loads(text)
    if "x-www-form-urlencoded" in content_type:
        return {key: values[-1] for key, values in parse_qs(text, keep_blank_values=True).items()}
    return text


def _handler_class(server: HttpServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out at once, not 40 ms apart
        timeout = 10  # idle keep-alive connections end on their own

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def _handle(self) -> None:
            split = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            data = self.rfile.read(length) if length else b""
            headers = {name.lower(): value for name, value in self.headers.items()}
            try:
                body = _parse_body(data, headers.get("content-type", ""))
            except ValueError:
                body = data.decode("utf-8", "replace")
            request = HttpRequest(
                self.command,
                split.path,
                {key: values[-1] for key, values in parse_qs(split.query, keep_blank_values=True).items()},
                headers,
                body,
                self.path,
            )
            server._record(request)
            handler = server.routes.get((self.command, split.path))
            if len(server.requests) > server.MAX_REQUESTS:
                message = f"more than {server.MAX_REQUESTS} requests: the client pages without end"
                if len(server.requests) == server.MAX_REQUESTS + 1:
                    server.errors.append(message)
                reply: Reply = (400, {"Content-Type": "text/plain"}, message)
            elif handler is None:
                reply = (
                    404,
                    {"Content-Type": "text/plain"},
                    f"no route for {self.command} {split.path}",
                )
            else:
                try:
                    reply = handler(request)
                except Exception:
                    server.errors.append(traceback.format_exc())
                    reply = (500, {"Content-Type": "text/plain"}, "the test's route failed")
            self._send(*reply)

        def _send(self, status: int, headers: dict[str, Any], body: Any) -> None:
            if body is DROP:
                self.close_connection = True
                return
            if isinstance(body, RawAnswer):
                self.close_connection = True
                try:
                    self.wfile.write(body)
                    self.wfile.flush()
                except OSError:
                    pass
                return
            headers = dict(headers)
            if isinstance(body, bytes):
                data = body
            elif isinstance(body, str):
                data = body.encode("utf-8")
            elif body is None:
                data = b""
            else:
                data = json.dumps(body).encode("utf-8")
                if not any(name.lower() == "content-type" for name in headers):
                    headers["Content-Type"] = "application/json"
            try:
                self.send_response(status)
                for name, value in headers.items():
                    for one in value if isinstance(value, list) else [value]:
                        self.send_header(name, str(one))
                if status != 204 and status != 304:
                    self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if status != 204 and status != 304:
                    self.wfile.write(data)
                self.wfile.flush()
            except OSError:  # the client went away (a timeout on its side)
                self.close_connection = True

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle

    return Handler
