# mypy: ignore-errors
"""A fake web for functional tests (installed as ``wwfake`` in the sandbox; see __init__.py).

Cheap to install: ``urllib.request``, ``socket`` and ``smtplib`` are patched when the program first
imports them (an import hook), so a program that never uses them does not pay for loading them."""

from __future__ import annotations

import io
import os
import sys
import urllib.parse

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


class Closing:
    """A do-nothing close() and use in a with statement (responses, sessions, SMTP connections)."""

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


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


_NOT_FOUND = b"<!doctype html><html><head><title>404 Not Found</title></head><body>Not Found</body></html>"


def _example_host(host):
    """The domains reserved for examples (RFC 2606: example.com/.net/.org, the .example TLD), which
    answers use in their example code: they exist, like the real ones, and answer 404 where nothing is
    served, so an answer's example call at import time behaves as it would on the web."""
    host = (host or "").lower().rstrip(".")
    return host.endswith(".example") or any(host == d or host.endswith("." + d)
                                            for d in ("example.com", "example.net", "example.org"))


def _address(host):
    host = str(host).lower()
    return _hosts.get(host) or (PUBLIC_IP if _example_host(host) else None)


def fetch(method, url, headers=None, body=None):
    """(status, headers dict, body bytes) for one request: the page served at the URL; 404 on an example
    domain where nothing is served; Unreachable (a connection failure) for any other host."""
    calls.append(Call(method, url, headers, body))
    key = _norm(url)
    if key not in _routes and key.endswith("/") and key.rstrip("/") in _routes:
        key = key.rstrip("/")
    if key not in _routes:
        key = _by_query_subset(key)
    if key is None:
        if _example_host(urllib.parse.urlsplit(url).hostname):
            return 404, {"Content-Type": "text/html; charset=utf-8", "Content-Length": str(len(_NOT_FOUND))}, \
                (b"" if method.upper() == "HEAD" else _NOT_FOUND)
        raise Unreachable(f"wwfake: nothing is served at {url}")
    status, hdrs, data = _routes[key]
    return status, dict(hdrs), (b"" if method.upper() == "HEAD" else data)


def _by_query_subset(key):
    """A served URL with the same scheme, host and path whose query parameters all appear in the request's
    (an answer may add its own parameters, such as units or an API key), or None."""
    parts = urllib.parse.urlsplit(key)
    got = set(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
    for served in _routes:
        sp = urllib.parse.urlsplit(served)
        if (sp.scheme, sp.netloc, sp.path.rstrip("/")) == (parts.scheme, parts.netloc, parts.path.rstrip("/")) and \
                set(urllib.parse.parse_qsl(sp.query, keep_blank_values=True)) <= got:
            return served
    return None


def message(headers):
    import email.utils
    import http.client

    msg = http.client.HTTPMessage()
    for k, v in headers.items():
        msg[k] = v
    if "Date" not in msg:
        msg["Date"] = email.utils.formatdate(usegmt=True)
    return msg


def _open(self, fullurl, data=None, timeout=None):
    import http.client
    import urllib.error
    import urllib.request
    import urllib.response

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


_real: dict = {}  # the socket functions the fakes replaced


def _getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
    name = host.decode() if isinstance(host, bytes) else host
    if isinstance(name, str) and _address(name):
        host = _address(name)
    return _real["getaddrinfo"](host, port, family, type, proto, flags)


def _gethostbyname(host):
    return _address(host) or _real["gethostbyname"](host)


def _gethostbyname_ex(host):
    ip = _address(host)
    return (host, [], [ip]) if ip else _real["gethostbyname_ex"](host)


def _patch_socket(mod):
    for name, fake in (("getaddrinfo", _getaddrinfo), ("gethostbyname", _gethostbyname),
                       ("gethostbyname_ex", _gethostbyname_ex)):
        _real[name] = getattr(mod, name)
        setattr(mod, name, fake)


def _patch_urllib_request(mod):
    mod.OpenerDirector.open = _open


# --- e-mail: smtplib.SMTP / SMTP_SSL reach a fake server that records logins and messages ------------

mails: list[dict] = []  # {"host", "port", "login": (user, password) | None, "from", "to", "message"}


class FakeSMTP(Closing):
    def __init__(self, host="", port=0, local_hostname=None, timeout=None, source_address=None, **kw):
        self.host, self.port, self._login, self.tls = host, port, None, False
        if not host:
            return
        self.connect(host, port)

    def connect(self, host="localhost", port=0, source_address=None):
        self.host, self.port = host, port
        return (220, b"fake smtp ready")

    def set_debuglevel(self, level):
        pass

    def ehlo(self, name=""):
        return (250, b"ok")

    helo = ehlo_or_helo_if_needed = ehlo

    def has_extn(self, name):
        return name.lower() in ("starttls", "auth")

    def starttls(self, *a, **k):
        self.tls = True
        return (220, b"ready")

    def login(self, user, password, initial_response_ok=True):
        self._login = (user, password)
        return (235, b"authenticated")

    def sendmail(self, from_addr, to_addrs, msg, mail_options=(), rcpt_options=()):
        mails.append({"host": self.host, "port": self.port, "login": self._login, "tls": self.tls,
                      "from": from_addr, "to": [to_addrs] if isinstance(to_addrs, str) else list(to_addrs),
                      "message": msg if isinstance(msg, str) else bytes(msg).decode("utf-8", "replace")})
        return {}

    def send_message(self, msg, from_addr=None, to_addrs=None, mail_options=(), rcpt_options=()):
        frm = from_addr or msg.get("From")
        to = to_addrs or [a.strip() for h in ("To", "Cc", "Bcc") for a in (msg.get_all(h) or []) for a in
                          a.split(",")]
        return self.sendmail(frm, to, msg.as_string())

    def noop(self):
        return (250, b"ok")

    def quit(self):
        return (221, b"bye")



class FakeSMTP_SSL(FakeSMTP):  # noqa: N801 - smtplib's name
    def __init__(self, host="", port=0, *a, **k):
        super().__init__(host, port)
        self.tls = True


def _patch_smtplib(mod):
    mod.SMTP = FakeSMTP
    mod.SMTP_SSL = FakeSMTP_SSL


_PATCHES = {"socket": _patch_socket, "urllib.request": _patch_urllib_request, "smtplib": _patch_smtplib}


class _PatchOnImport:
    """Import hook: load the real module, then apply its patch."""

    def find_spec(self, fullname, path=None, target=None):
        patch = _PATCHES.get(fullname)
        if patch is None:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                break
        else:
            return None
        loader = spec.loader
        if loader is None or isinstance(loader, type):
            return None
        original = loader.exec_module

        def exec_module(module):
            original(module)
            patch(module)
        loader.exec_module = exec_module
        return spec


for _name, _patch in _PATCHES.items():
    if _name in sys.modules:
        _patch(sys.modules[_name])
sys.meta_path.insert(0, _PatchOnImport())


# --- configuration: every environment variable the answer's own code reads has a value ----------------

env_reads: dict[str, str] = {}  # variables the answer read that were not set: name -> the value it got
_SKIP_FILES = ("os.py", "_collections_abc.py", "<frozen os>", "<frozen _collections_abc>")


def _fake_value(key):
    k = key.upper()
    if k.endswith("PORT"):
        return "5432" if any(w in k for w in ("DB", "PG", "POSTGRES", "DATABASE")) else "8080"
    if k in ("HOME", "USERPROFILE", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "APPDATA"):
        path = os.path.join(os.getcwd(), "home")
        os.makedirs(path, exist_ok=True)
        return path
    if "DEBUG" in k or "TESTING" in k:
        return "false"
    if "TIMEOUT" in k or "SECONDS" in k or "EXPIRY" in k or "TTL" in k:
        return "30"
    if "URL" in k or "URI" in k or k.endswith("DSN"):
        return "postgresql://app:ww-test-password@db.internal:5432/app" if "DATABASE" in k or "DB" in k \
            else "https://service.example.com/"
    return "ww-test-" + key.lower().replace("_", "-")


def _from_answer():
    f = sys._getframe(2)
    for _ in range(6):
        if f is None:
            return False
        name = f.f_code.co_filename
        if not name.endswith(_SKIP_FILES) and not name.startswith("<weightwatch stub"):
            return name == (sys.argv[0] if sys.argv else "")
        f = f.f_back
    return False


class _Environ(type(os.environ)):
    __slots__ = ()

    def __getitem__(self, key):
        try:
            return super().__getitem__(key)
        except KeyError:
            if not (isinstance(key, str) and _from_answer()):
                raise
            value = env_reads.setdefault(key, _fake_value(key))
            return value

    def __contains__(self, key):
        try:
            super().__getitem__(key)
            return True
        except KeyError:
            return isinstance(key, str) and _from_answer()


os.environ.__class__ = _Environ


# --- helpers for tests -------------------------------------------------------------------------------
def answer_functions(namespace):
    """name -> function for the functions and classes the answer defined at top level."""
    main = namespace.get("__name__", "__main__")
    return {k: v for k, v in namespace.items() if not k.startswith("_") and callable(v)
            and getattr(v, "__module__", None) == main}


def find(namespace, *patterns, exclude=()):
    """The answer's first function whose name matches one of the regexes (tried in order), or None."""
    import re
    funcs = answer_functions(namespace)
    for pat in patterns:
        for name, fn in funcs.items():
            if re.search(pat, name, re.I) and not any(re.search(x, name, re.I) for x in exclude):
                return fn
    return None


def call_any(fn, *argsets):
    """Call fn with the first argument tuple that does not raise; re-raise the last error otherwise."""
    assert fn is not None, "no matching function in the answer"
    error = None
    for args in argsets:
        try:
            return fn(*args)
        except ModuleNotFoundError:
            raise
        except Exception as exc:  # try the next way of calling it
            error = exc
    raise error


def any_call(fn, argsets, check):
    """The first result of fn(*args), over the argument tuples, for which check(result) holds; fails with
    the results seen otherwise (an answer may take its data in one of several reasonable shapes)."""
    assert fn is not None, "no matching function in the answer"
    seen = []
    for args in argsets:
        try:
            result = fn(*args)
        except ModuleNotFoundError:
            raise
        except Exception as exc:  # this shape of arguments is not the answer's
            seen.append(repr(exc))
            continue
        if check(result):
            return result
        seen.append(repr(result)[:300])
    raise AssertionError("no way of calling it gave the expected result: " + " | ".join(seen))


def secrets_seen(namespace):
    """Strings the answer may use as a configured secret: environment values it read, and top-level
    str/bytes constants whose names say secret, key, token or password."""
    import re
    out = list(env_reads.values())
    for k, v in list(namespace.items()):
        if isinstance(v, str | bytes) and re.search("secret|key|token|pass", k, re.I) and not k.startswith("_"):
            out.append(v.decode() if isinstance(v, bytes) else v)
    return out
