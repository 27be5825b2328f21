# mypy: ignore-errors
"""A fake of the `requests` package over the fake web (installed as ``requests`` in the sandbox)."""

from __future__ import annotations

import io
import json as _json
import sys
import types
import urllib.parse

import wwfake


class RequestException(OSError):
    def __init__(self, *args, response=None, request=None):
        super().__init__(*args)
        self.response = response
        self.request = request


class ConnectionError(RequestException):  # noqa: A001 - the name requests uses
    pass


class HTTPError(RequestException):
    pass


class Timeout(RequestException):
    pass


class ConnectTimeout(ConnectionError, Timeout):
    pass


class ReadTimeout(Timeout):
    pass


class TooManyRedirects(RequestException):
    pass


class URLRequired(RequestException):
    pass


class InvalidURL(RequestException, ValueError):
    pass


class MissingSchema(RequestException, ValueError):
    pass


class InvalidSchema(RequestException, ValueError):
    pass


class InvalidHeader(RequestException, ValueError):
    pass


class JSONDecodeError(RequestException, ValueError):
    pass


class CaseInsensitiveDict(dict):
    def __init__(self, data=None, **kw):
        super().__init__()
        for k, v in dict(data or {}, **kw).items():
            self[k] = v

    def __setitem__(self, k, v):
        super().__setitem__(str(k).lower(), v)

    def __getitem__(self, k):
        return super().__getitem__(str(k).lower())

    def __contains__(self, k):
        return super().__contains__(str(k).lower())

    def get(self, k, default=None):
        return super().get(str(k).lower(), default)

    def __delitem__(self, k):
        super().__delitem__(str(k).lower())

    def update(self, other=(), **kw):
        for k, v in dict(other, **kw).items():
            self[k] = v

    def setdefault(self, k, default=None):
        return super().setdefault(str(k).lower(), default)


class PreparedRequest:
    def __init__(self, method, url, headers, body):
        self.method, self.url, self.headers, self.body = method, url, headers, body


class Response(wwfake.Closing):
    def __init__(self, status, headers, content, url, request=None):
        self.status_code = status
        self.headers = CaseInsensitiveDict(headers)
        self._content = content
        self.url = url
        self.request = request
        self.history = []
        self.encoding = "utf-8"
        self.reason = "OK" if status < 400 else "Error"
        self.raw = io.BytesIO(content)
        self.raw.decode_content = True
        self.cookies = {}

    @property
    def content(self):
        return self._content

    @property
    def text(self):
        return self._content.decode(self.encoding or "utf-8", errors="replace")

    @property
    def apparent_encoding(self):
        return "utf-8"

    @property
    def ok(self):
        return self.status_code < 400

    @property
    def is_redirect(self):
        return self.status_code in (301, 302, 303, 307, 308) and "location" in self.headers

    def json(self, **kw):
        try:
            return _json.loads(self.text, **kw)
        except ValueError as exc:
            raise JSONDecodeError(str(exc)) from None

    def raise_for_status(self):
        if self.status_code >= 400:
            raise HTTPError(f"{self.status_code} Error for url: {self.url}", response=self)

    def iter_content(self, chunk_size=1, decode_unicode=False):
        size = chunk_size or len(self._content) or 1
        for i in range(0, len(self._content), size):
            chunk = self._content[i:i + size]
            yield chunk.decode(self.encoding or "utf-8", errors="replace") if decode_unicode else chunk

    def iter_lines(self, chunk_size=512, decode_unicode=False, delimiter=None):
        for line in self._content.splitlines():
            yield line.decode(self.encoding or "utf-8", errors="replace") if decode_unicode else line

    def __bool__(self):
        return self.ok

    def __repr__(self):
        return f"<Response [{self.status_code}]>"


class HTTPAdapter:
    def __init__(self, *args, **kw):
        pass


def _prepare(method, url, params, data, json, headers):
    if not isinstance(url, str) or not url:
        raise MissingSchema(f"Invalid URL {url!r}: No scheme supplied")
    parts = urllib.parse.urlsplit(url)
    if not parts.scheme:
        raise MissingSchema(f"Invalid URL {url!r}: No scheme supplied")
    if parts.scheme.lower() not in ("http", "https"):
        raise InvalidSchema(f"No connection adapters were found for {url!r}")
    if not parts.hostname:
        raise InvalidURL(f"Invalid URL {url!r}: No host supplied")
    if params:
        items = params.items() if hasattr(params, "items") else params
        query = urllib.parse.urlencode(list(items), doseq=True)
        url = url + ("&" if parts.query else "?") + query
    hdrs = CaseInsensitiveDict(headers or {})
    body = None
    if json is not None:
        body = _json.dumps(json).encode()
        hdrs.setdefault("Content-Type", "application/json")
    elif data is not None:
        if isinstance(data, dict | list | tuple):
            body = urllib.parse.urlencode(data.items() if isinstance(data, dict) else data, doseq=True).encode()
            hdrs.setdefault("Content-Type", "application/x-www-form-urlencoded")
        elif isinstance(data, str):
            body = data.encode()
        elif hasattr(data, "read"):
            body = data.read()
        else:
            body = bytes(data)
    return PreparedRequest(method.upper(), url, hdrs, body)


def request(method, url, params=None, data=None, headers=None, cookies=None, files=None, auth=None,
            timeout=None, allow_redirects=True, proxies=None, hooks=None, stream=False, verify=True, cert=None,
            json=None, max_redirects=30):
    if files:
        raise ModuleNotFoundError("weightwatch stub: requests file uploads are not supported")
    prep = _prepare(method, url, params, data, json, headers)
    history = []
    for _ in range(max_redirects + 1):
        try:
            status, hdrs, content = wwfake.fetch(prep.method, prep.url, dict(prep.headers), prep.body)
        except wwfake.Unreachable as exc:
            raise ConnectionError(str(exc)) from None
        resp = Response(status, hdrs, content, prep.url, prep)
        if not (allow_redirects and resp.is_redirect):
            resp.history = history
            return resp
        history.append(resp)
        new_url = urllib.parse.urljoin(prep.url, resp.headers["location"])
        method = prep.method
        if status == 303 or (status in (301, 302) and method == "POST"):
            method = "GET"
            prep = _prepare(method, new_url, None, None, None, headers)
        else:
            prep = PreparedRequest(method, new_url, prep.headers, prep.body)
    raise TooManyRedirects(f"Exceeded {max_redirects} redirects.")


def get(url, params=None, **kw):
    return request("GET", url, params=params, **kw)


def head(url, **kw):
    kw.setdefault("allow_redirects", False)
    return request("HEAD", url, **kw)


def options(url, **kw):
    return request("OPTIONS", url, **kw)


def post(url, data=None, json=None, **kw):
    return request("POST", url, data=data, json=json, **kw)


def put(url, data=None, **kw):
    return request("PUT", url, data=data, **kw)


def patch(url, data=None, **kw):
    return request("PATCH", url, data=data, **kw)


def delete(url, **kw):
    return request("DELETE", url, **kw)


class Session(wwfake.Closing):
    def __init__(self):
        self.headers = CaseInsensitiveDict({"User-Agent": "python-requests/2.32"})
        self.max_redirects = 30
        self.verify = True
        self.proxies = {}
        self.cookies = {}
        self.trust_env = True

    def mount(self, prefix, adapter):
        pass

    def request(self, method, url, **kw):
        hdrs = CaseInsensitiveDict(self.headers)
        hdrs.update(kw.pop("headers", None) or {})
        kw.setdefault("max_redirects", self.max_redirects)
        return request(method, url, headers=hdrs, **kw)

    def get(self, url, **kw):
        return self.request("GET", url, **kw)

    def head(self, url, **kw):
        kw.setdefault("allow_redirects", False)
        return self.request("HEAD", url, **kw)

    def post(self, url, data=None, json=None, **kw):
        return self.request("POST", url, data=data, json=json, **kw)

    def put(self, url, data=None, **kw):
        return self.request("PUT", url, data=data, **kw)

    def delete(self, url, **kw):
        return self.request("DELETE", url, **kw)


def session():
    return Session()


codes = types.SimpleNamespace(ok=200, OK=200, created=201, no_content=204, not_found=404, forbidden=403,
                              bad_request=400, unauthorized=401, server_error=500)
__version__ = "2.32.0"


def _submodule(name, **attrs):
    mod = types.ModuleType("requests." + name)
    mod.__dict__.update(attrs)
    sys.modules[mod.__name__] = mod
    globals()[name] = mod


_errors = {k: v for k, v in dict(globals()).items() if isinstance(v, type) and issubclass(v, OSError)}
_submodule("exceptions", **_errors)
_submodule("adapters", HTTPAdapter=HTTPAdapter)
_submodule("structures", CaseInsensitiveDict=CaseInsensitiveDict)
_submodule("models", Response=Response, PreparedRequest=PreparedRequest)
_submodule("sessions", Session=Session)
