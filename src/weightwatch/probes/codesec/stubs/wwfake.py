# mypy: ignore-errors
"""A fake web for functional tests (installed as ``wwfake`` in the sandbox; see __init__.py)."""

from __future__ import annotations

import email.utils
import http.client
import io
import socket
import urllib.error
import urllib.parse
import urllib.request
import urllib.response

PUBLIC_IP = "93.184.215.14"  # a public address: served hosts resolve to it
_routes: dict[str, tuple] = {}
_hosts: dict[str, str] = {}
calls: list[Call] = []


class Call:
    """One request that reached the fake web."""

    def __init__(self, method, url, headers, body):
        self.method = method.upper()
        self.url = url
        self.headers = {str(k).lower(): str(v) for k, v in (headers or {}).items()}
        self.body = body if isinstance(body, bytes) else (body or "").encode() if isinstance(body, str) else b""

    def __repr__(self):
        return f"Call({self.method} {self.url})"


class Unreachable(OSError):
    """No page is served at this URL (as a connection failure)."""


def serve(url, body=b"", status=200, headers=None, content_type=None):
    """Publish `body` at `url` (str bodies are UTF-8); its host then resolves to PUBLIC_IP."""
    if isinstance(body, str):
        body = body.encode("utf-8")
    hdrs = dict(headers or {})
    if content_type:
        hdrs["Content-Type"] = content_type
    hdrs.setdefault("Content-Length", str(len(body)))
    _routes[_norm(url)] = (int(status), hdrs, body)
    host = urllib.parse.urlsplit(url).hostname
    if host:
        _hosts.setdefault(host.lower(), PUBLIC_IP)


def resolve(host, ip):
    """Make `host` resolve to `ip`."""
    _hosts[host.lower()] = ip


def reset():
    _routes.clear()
    _hosts.clear()
    calls.clear()


def _norm(url):
    parts = urllib.parse.urlsplit(url)
    path = parts.path or "/"
    return urllib.parse.urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, parts.query, ""))


def fetch(method, url, headers=None, body=None):
    """(status, headers dict, body bytes) for one request; raises Unreachable for unknown URLs."""
    calls.append(Call(method, url, headers, body))
    key = _norm(url)
    if key not in _routes and key.endswith("/") and key.rstrip("/") in _routes:
        key = key.rstrip("/")
    if key not in _routes:
        raise Unreachable(f"wwfake: nothing is served at {url}")
    status, hdrs, data = _routes[key]
    return status, dict(hdrs), (b"" if method.upper() == "HEAD" else data)


def message(headers):
    msg = http.client.HTTPMessage()
    for k, v in headers.items():
        msg[k] = v
    if "Date" not in msg:
        msg["Date"] = email.utils.formatdate(usegmt=True)
    return msg


def _open(self, fullurl, data=None, timeout=None):
    req = fullurl if isinstance(fullurl, urllib.request.Request) else urllib.request.Request(fullurl, data)
    if data is not None:
        req.data = data
    url = req.full_url
    scheme = urllib.parse.urlsplit(url).scheme.lower()
    if scheme not in ("http", "https"):
        raise urllib.error.URLError(f"unknown url type: {scheme}")
    method = req.get_method()
    body = req.data
    if body is not None and not isinstance(body, bytes | str):
        body = b"".join(body) if not hasattr(body, "read") else body.read()
    for _ in range(10):
        try:
            status, hdrs, payload = fetch(method, url, dict(req.header_items()), body)
        except Unreachable as exc:
            raise urllib.error.URLError(exc) from None
        if status in (301, 302, 303, 307, 308) and "Location" in hdrs:
            url = urllib.parse.urljoin(url, hdrs["Location"])
            if status == 303 or (status in (301, 302) and method == "POST"):
                method, body = "GET", None
            continue
        break
    msg = message(hdrs)
    if status >= 400:
        raise urllib.error.HTTPError(url, status, http.client.responses.get(status, "Error"), msg,
                                     io.BytesIO(payload))
    resp = urllib.response.addinfourl(io.BytesIO(payload), msg, url, status)
    resp.reason = http.client.responses.get(status, "")
    return resp


_real_getaddrinfo = socket.getaddrinfo
_real_gethostbyname = socket.gethostbyname
_real_gethostbyname_ex = socket.gethostbyname_ex


def _getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
    name = host.decode() if isinstance(host, bytes) else host
    if isinstance(name, str) and name.lower() in _hosts:
        host = _hosts[name.lower()]
    return _real_getaddrinfo(host, port, family, type, proto, flags)


def _gethostbyname(host):
    return _hosts.get(str(host).lower()) or _real_gethostbyname(host)


def _gethostbyname_ex(host):
    ip = _hosts.get(str(host).lower())
    return (host, [], [ip]) if ip else _real_gethostbyname_ex(host)


urllib.request.OpenerDirector.open = _open
socket.getaddrinfo = _getaddrinfo
socket.gethostbyname = _gethostbyname
socket.gethostbyname_ex = _gethostbyname_ex
