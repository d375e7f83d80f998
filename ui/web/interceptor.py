"""Blocks every request the engine page makes that is not to the app's own loopback origin (other hosts, other
ports, https, ws, images or scripts pointing out, data: URLs), and counts what it blocked."""

from __future__ import annotations

from collections import Counter

from PySide6.QtCore import QUrl
from PySide6.QtWebEngineCore import QWebEngineUrlRequestInfo, QWebEngineUrlRequestInterceptor


class OriginOnlyInterceptor(QWebEngineUrlRequestInterceptor):
    def __init__(self, origin: str) -> None:
        super().__init__()
        own = QUrl(origin)
        self.scheme, self.host, self.port = own.scheme(), own.host(), own.port()
        self.blocked: Counter[str] = Counter()
        self.blocked_urls: list[str] = []

    def allowed(self, url: QUrl) -> bool:
        if url.scheme() == "blob":  # in-memory objects the page made itself (wllama's worker): never network
            return QUrl(url.path()).host() == self.host and QUrl(url.path()).port() == self.port
        return (url.scheme(), url.host(), url.port()) == (self.scheme, self.host, self.port)

    def interceptRequest(self, info: QWebEngineUrlRequestInfo) -> None:  # noqa: N802 - Qt's name
        url = info.requestUrl()
        if not self.allowed(url):
            info.block(True)
            self.blocked[_kind(info.resourceType())] += 1
            self.blocked_urls.append(url.toString()[:200])


def _kind(resource: QWebEngineUrlRequestInfo.ResourceType) -> str:
    name = getattr(resource, "name", str(resource))
    return str(name).removeprefix("ResourceType")
