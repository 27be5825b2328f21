"""A loopback HTTP server that answers like the Hugging Face Hub's model API, from recorded items.

Built from the documented shapes (huggingface_hub's `HfApi.list_models` / `model_info`, the Hub API
docs): `GET /api/models` returns a JSON list and, when more remain, a
`Link: <http://host/api/models?...&cursor=OPAQUE>; rel="next"` header (the GitHub convention the Hub
follows; the next URL repeats every query parameter). `GET /api/models/{owner}/{name}` returns one
model, `GET /{owner}/{name}/resolve/main/README.md` its card. Rate limiting is a 429 with
`Retry-After` and the IETF `RateLimit` headers the Hub sends.

Scripted faults, for tests: `rate_limit` (page number -> how many times to answer it with 429), `drop_pages`
(page numbers whose connection is closed without an answer, every time, until cleared). Every request
is recorded in `requests` as (path, page or None, status).
"""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

FIXTURES = Path(__file__).parent / "fixtures"


def load_items(name: str) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads((FIXTURES / name).read_text("utf-8"))
    return data


def _cursor(page: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"p": page}).encode()).decode().rstrip("=")


def _page(cursor: str | None) -> int:
    if not cursor:
        return 1
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    return int(json.loads(raw)["p"])


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a dropped connection (scripted fault) is expected, not an error to print


class FakeHub:
    def __init__(self, items: list[dict[str, Any]], *, page_size: int = 1000,
                 readmes: dict[str, str] | None = None, prefix: str = "") -> None:
        self.items = items
        self.prefix = prefix.rstrip("/")    # serve under a path, like a mirror at https://host/hf
        self.retry_after = 0                # seconds announced by a 429 (Retry-After and RateLimit t=)
        self.times: list[float] = []        # monotonic arrival time of each request in `requests`
        self.page_size = page_size          # the server's own cap on a page
        self.readmes = readmes or {}
        self.rate_limit: dict[int, int] = {}   # page -> how many more times to answer it with 429
        self.drop_pages: set[int] = set()
        self.requests: list[tuple[str, int | None, int]] = []
        self._lock = threading.Lock()
        hub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_GET(self) -> None:  # noqa: N802
                hub._handle(self)

        self.server = _QuietServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}{self.prefix}"

    def __enter__(self) -> FakeHub:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def pages_requested(self) -> list[int]:
        return [p for path, p, _ in self.requests if path == "/api/models" and p is not None]

    # --- handling ------------------------------------------------------------------------------------
    def _send(self, h: BaseHTTPRequestHandler, status: int, body: Any, headers: dict[str, str] | None = None,
              page: int | None = None) -> None:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        with self._lock:
            self.requests.append((self._strip(urlsplit(h.path).path), page, status))
            self.times.append(time.monotonic())
        h.send_response(status)
        ctype = "text/plain; charset=utf-8" if isinstance(body, bytes) else "application/json; charset=utf-8"
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(raw)))
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(raw)

    def _strip(self, path: str) -> str:
        if self.prefix and path.startswith(self.prefix + "/"):
            return path[len(self.prefix):]
        return path if not self.prefix else "<outside prefix>" + path

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(h.path)
        path = unquote(self._strip(parts.path))
        query = parse_qsl(parts.query, keep_blank_values=True)
        if path == "/api/models":
            return self._list(h, query)
        if path.startswith("/api/models/"):
            mid = path[len("/api/models/"):]
            item = next((i for i in self.items if i["id"] == mid), None)
            if item is None:
                return self._send(h, 404, {"error": "Repository not found"}, {"X-Error-Code": "RepoNotFound"})
            return self._send(h, 200, item)
        if path.endswith("/resolve/main/README.md"):
            mid = path[1:-len("/resolve/main/README.md")]
            if mid in self.readmes:
                return self._send(h, 200, self.readmes[mid].encode())
            return self._send(h, 404, {"error": "Entry not found"}, {"X-Error-Code": "EntryNotFound"})
        return self._send(h, 404, {"error": "Not found"})

    def _list(self, h: BaseHTTPRequestHandler, query: list[tuple[str, str]]) -> None:
        q: dict[str, list[str]] = {}
        for k, v in query:
            q.setdefault(k, []).append(v)
        page = _page(q.get("cursor", [None])[0])
        if page in self.drop_pages:
            with self._lock:
                self.requests.append(("/api/models", page, 0))
                self.times.append(time.monotonic())
            h.close_connection = True
            h.connection.shutdown(socket.SHUT_RDWR)
            return
        if self.rate_limit.get(page, 0) > 0:
            self.rate_limit[page] -= 1
            wait = str(self.retry_after)
            return self._send(h, 429, b"Too Many Requests",
                              {"Retry-After": wait, "RateLimit": f'"api";r=0;t={wait}',
                               "RateLimit-Policy": '"fixed window";"api";q=500;w=300'}, page=page)
        items = list(self.items)
        if "author" in q:
            items = [i for i in items if i["id"].split("/")[0] == q["author"][0]]
        sort = q.get("sort", [None])[0]
        if sort == "downloads":
            items.sort(key=lambda i: -(i.get("downloads") or 0))
        elif sort == "createdAt":
            items.sort(key=lambda i: i.get("createdAt") or "", reverse=True)
        size = min(int(q.get("limit", [self.page_size])[0]), self.page_size)
        start = (page - 1) * size
        chunk = items[start:start + size]
        headers = {}
        if start + size < len(items):
            keep = [(k, v) for k, v in query if k != "cursor"] + [("cursor", _cursor(page + 1))]
            headers["Link"] = f'<{self.endpoint}/api/models?{urlencode(keep)}>; rel="next"'
        self._send(h, 200, chunk, headers, page=page)
