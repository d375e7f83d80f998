"""A local HTTP server that speaks the Hugging Face hub's file protocol, for download tests.

``HEAD /{repo}/resolve/{revision}/{file}`` answers with the commit, the LFS ETag (sha256) and the size;
``GET`` serves the bytes, honouring ``Range``. Switches: ``drop_after`` closes the first GET's connection after
that many bytes (a dropped connection); ``corrupt`` serves different bytes than the ETag promises.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

COMMIT = "0123456789abcdef0123456789abcdef01234567"


class HubServer:
    def __init__(self, files: dict[str, Path]) -> None:
        self.files = files  # "owner/repo/file.gguf" -> path on disk
        self.sha256 = {name: _sha256(path) for name, path in files.items()}
        self.drop_after: int | None = None
        self.corrupt = False
        self.delay_per_mb = 0.0  # seconds: a slow link, so a test can kill a download midway
        self.requests: list[tuple[str, str, str]] = []  # method, path, range
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_HEAD(self) -> None:  # noqa: N802
                server._answer(self, body=False)

            def do_GET(self) -> None:  # noqa: N802
                server._answer(self, body=True)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> HubServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def _answer(self, handler: BaseHTTPRequestHandler, body: bool) -> None:
        self.requests.append((handler.command, handler.path, handler.headers.get("Range", "")))
        match = re.match(r"^/(?P<repo>[^/]+/[^/]+)/resolve/(?P<rev>[^/]+)/(?P<file>.+)$", handler.path)
        name = f"{match['repo']}/{match['file']}" if match else ""
        if name not in self.files:
            handler.send_response(404)
            handler.send_header("X-Error-Code", "EntryNotFound")
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        path = self.files[name]
        size = path.stat().st_size
        start, end = _range(handler.headers.get("Range", ""), size)
        handler.send_response(206 if (start, end) != (0, size - 1) else 200)
        handler.send_header("X-Repo-Commit", COMMIT)
        handler.send_header("ETag", f'"{self.sha256[name]}"')
        handler.send_header("X-Linked-Etag", f'"{self.sha256[name]}"')
        handler.send_header("X-Linked-Size", str(size))
        handler.send_header("Accept-Ranges", "bytes")
        handler.send_header("Content-Length", str(end - start + 1))
        if (start, end) != (0, size - 1):
            handler.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        handler.end_headers()
        if not body:
            return
        drop, self.drop_after = self.drop_after, None
        sent = 0
        with path.open("rb") as source:
            source.seek(start)
            remaining = end - start + 1
            while remaining > 0:
                block = source.read(min(1 << 20, remaining))
                if self.corrupt:
                    block = bytes(b ^ 0xFF for b in block[:16]) + block[16:]
                if drop is not None and sent + len(block) > drop:
                    handler.wfile.write(block[: drop - sent])
                    handler.wfile.flush()
                    handler.close_connection = True
                    handler.connection.shutdown(2)
                    return
                handler.wfile.write(block)
                if self.delay_per_mb:
                    time.sleep(self.delay_per_mb * len(block) / (1 << 20))
                sent += len(block)
                remaining -= len(block)


def _range(header: str, size: int) -> tuple[int, int]:
    match = re.match(r"bytes=(\d+)-(\d*)", header)
    if not match:
        return 0, size - 1
    return int(match[1]), int(match[2]) if match[2] else size - 1


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()
