"""The loopback server the engine page loads everything from: 127.0.0.1, a free port, a per-run secret as the
first path segment (requests without it are refused and counted), and COOP/COEP headers so the page is
cross-origin isolated (SharedArrayBuffer, hence WASM threads). The model file is streamed from disk in 1 MB
blocks, never read whole into Python memory.

A loopback origin is used rather than a custom scheme because Chromium grants cross-origin isolation to
http://127.0.0.1 with these headers, not to a custom scheme (measured, see shared/DESIGN.md).
"""

from __future__ import annotations

import mimetypes
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

_TYPES = {
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".wasm": "application/wasm",
    ".html": "text/html",
    ".json": "application/json",
    ".gguf": "application/octet-stream",
}


class EngineServer:
    def __init__(self, web_root: Path, extra_files: dict[str, bytes] | None = None) -> None:
        self.web_root = web_root.resolve()
        self.extra = extra_files or {}
        self.model_path: Path | None = None
        self.secret = secrets.token_urlsafe(18)
        self.refused = 0
        self.served: list[str] = []
        self.reports: list[bytes] = []  # what a page in self-test mode posted to /SECRET/report
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                server._answer(self)

            def do_HEAD(self) -> None:  # noqa: N802
                server._answer(self, body=False)

            def do_POST(self) -> None:  # noqa: N802
                if self.path != f"/{server.secret}/report":
                    server._refuse(self, 405)
                    return
                length = min(int(self.headers.get("Content-Length", 0) or 0), 1 << 20)
                server.reports.append(self.rfile.read(length))
                server._headers(self, "text/plain", 0)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.origin = f"http://127.0.0.1:{self.port}"
        self.base_url = f"{self.origin}/{self.secret}/"
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="engine-server", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def _refuse(self, handler: BaseHTTPRequestHandler, code: int = 403) -> None:
        self.refused += 1
        handler.send_response(code)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    def _headers(self, handler: BaseHTTPRequestHandler, kind: str, length: int) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", kind)
        handler.send_header("Content-Length", str(length))
        handler.send_header("Cross-Origin-Opener-Policy", "same-origin")
        handler.send_header("Cross-Origin-Embedder-Policy", "require-corp")
        handler.send_header("Cross-Origin-Resource-Policy", "same-origin")
        handler.send_header("Cache-Control", "no-store")
        handler.end_headers()

    def _answer(self, handler: BaseHTTPRequestHandler, body: bool = True) -> None:
        path = handler.path.split("?", 1)[0]
        prefix = f"/{self.secret}/"
        if not path.startswith(prefix):
            self._refuse(handler)
            return
        name = path[len(prefix) :] or "index.html"
        self.served.append(name)
        if name in self.extra:
            data = self.extra[name]
            self._headers(handler, _TYPES.get(Path(name).suffix, "application/octet-stream"), len(data))
            if body:
                handler.wfile.write(data)
            return
        if name == "model.gguf" and self.model_path is not None:
            self._stream(handler, self.model_path, body)
            return
        target = (self.web_root / name).resolve()
        if not target.is_file() or self.web_root not in target.parents:
            self._refuse(handler, 404)
            return
        self._stream(handler, target, body)

    def _stream(self, handler: BaseHTTPRequestHandler, path: Path, body: bool) -> None:
        kind = _TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        self._headers(handler, kind, path.stat().st_size)
        if not body:
            return
        with path.open("rb") as source:
            try:
                while block := source.read(1 << 20):
                    handler.wfile.write(block)
            except (BrokenPipeError, ConnectionResetError):
                pass
